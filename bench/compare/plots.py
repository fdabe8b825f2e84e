"""PNG plots with gnuplot (a subprocess; data as small TSV files beside the plots).

One colour per allocator in every plot (Okabe-Ito: distinguishable with colour-blindness and in
greyscale), thick lines, system malloc in grey with a dashed baseline at its value."""

import json
import os
import shutil
import subprocess

from . import stats

COLOURS = {"system": "#808080", "hakmem-S": "#0072B2", "hakmem-P": "#D55E00",
           "jemalloc": "#009E73", "mimalloc": "#CC79A7", "tcmalloc": "#E69F00"}
EXTRA = ["#56B4E9", "#F0E442", "#999999"]
# Routes S and P often draw the same line: P dashed, so S shows through its gaps.
DASHES = {"hakmem-P": " dt (6,4)"}


def colour(name, order=()):
    if name in COLOURS:
        return COLOURS[name]
    others = [n for n in order if n not in COLOURS]
    return EXTRA[others.index(name) % len(EXTRA)] if name in others else EXTRA[-1]


def parse_hgrm(text):
    """(percentile, latency ms) pairs from HdrHistogram's percentile text; comments skipped."""
    points = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 3 or line.lstrip().startswith("#"):
            continue
        try:
            value_ms, pct = float(fields[0]), float(fields[1])
        except ValueError:
            continue  # the header line
        if pct < 1.0:  # 1/(1-p) is infinite at 1
            points.append((pct, value_ms))
    return points


def gnuplot(script):
    proc = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-300:])


def header(png, title):
    return ('set terminal pngcairo size 1000,560 noenhanced font ",12" linewidth 1.5\n'
            'set output "%s"\nset title "%s" font ",13"\nset grid ytics lc rgb "#bbbbbb"\n'
            'set border lw 1.5\nset key outside right top\n' % (png, title))


def _whisker(s):
    """(lo, hi): the 95% interval of the median, else min-max."""
    return tuple(s["ci"]) if s.get("ci") else (s["min"], s["max"])


def bars(rows, metric, path, title, ylabel, scale=1.0, baseline=True):
    """One bar per allocator (median, 95% whiskers), its colour, a dashed line at system's."""
    data = path[:-4] + ".tsv"
    n = 0
    base = None
    with open(data, "w") as f:
        for r in rows:
            s = r["metrics"].get(metric)
            if not s:
                continue
            lo, hi = _whisker(s)
            f.write("%d\t%s\t%f\t%f\t%f\t%d\n" % (n, r["config"], s["median"] / scale, lo / scale,
                                                  hi / scale, int(colour(r["config"])[1:], 16)))
            if r["config"] == "system":
                base = s["median"] / scale
            n += 1
    if not n:
        return False
    line = ('set arrow from graph 0, first %f to graph 1, first %f nohead dt 2 lw 2 lc rgb "#000000"\n'
            'set label "system malloc" at graph 0.99, first %f right offset 0,0.7 front\n' % (base, base, base)
            if baseline and base is not None else "")
    gnuplot(header(path, title) + line +
            'set style fill solid 0.85 border lc rgb "#000000"\nset boxwidth 0.6\n'
            'set ylabel "%s"\nset yrange [0:*]\nset xrange [-0.6:%f]\nunset key\n'
            'plot "%s" using 1:3:(0.6):6:xtic(2) with boxes lc rgb variable, '
            '"" using 1:3:4:5 with yerrorbars lc rgb "#000000" lw 2 pt 7 ps 0.6\n'
            % (ylabel, n - 0.4, data))
    return True


def rss_bars(rows, path, title):
    """Peak (solid) and final (hatched) RSS per allocator, a dashed line at system's peak."""
    data = path[:-4] + ".tsv"
    n, base = 0, None
    with open(data, "w") as f:
        for r in rows:
            p, q = r["metrics"].get("rss_peak_bytes"), r["metrics"].get("rss_final_bytes")
            if not p or not q:
                continue
            mib = 1048576.0
            (plo, phi), (qlo, qhi) = _whisker(p), _whisker(q)
            f.write("%d\t%s\t%f\t%f\t%f\t%f\t%f\t%f\t%d\n" % (
                n, r["config"], p["median"] / mib, plo / mib, phi / mib, q["median"] / mib,
                qlo / mib, qhi / mib, int(colour(r["config"])[1:], 16)))
            if r["config"] == "system":
                base = p["median"] / mib
            n += 1
    if not n:
        return False
    line = ('set arrow from graph 0, first %f to graph 1, first %f nohead dt 2 lw 2 lc rgb "#000000" front\n'
            % (base, base)) if base is not None else ""
    gnuplot(header(path, title) + line +
            'set boxwidth 0.38\nset ylabel "server RSS (MiB; whiskers: 95%% interval or min-max)"\n'
            'set yrange [0:*]\nset xrange [-0.6:%f]\nset key outside right top\n'
            'plot "%s" using ($1-0.2):3:(0.38):9:xtic(2) with boxes lc rgb variable fs solid 0.85 '
            'border lc rgb "#000000" title "peak (solid)", '
            '"" using ($1+0.2):6:(0.38):9 with boxes lc rgb variable fs pattern 4 border '
            'title "final (hatched)", '
            '"" using ($1-0.2):3:4:5 with yerrorbars lc rgb "#000000" lw 2 pt 7 ps 0.6 notitle, '
            '"" using ($1+0.2):6:7:8 with yerrorbars lc rgb "#000000" lw 2 pt 7 ps 0.6 notitle, '
            '1/0 with lines dt 2 lw 2 lc rgb "#000000" title "system peak"\n' % (n - 0.4, data))
    return True


def normalized(samples, steps):
    """(x, rss) with each step stretched to width 1 (step i spans [i, i+1]); other samples dropped."""
    out = []
    for t, v in samples:
        for i, s in enumerate(steps):
            if s["start_s"] <= t <= s["end_s"] and s["end_s"] > s["start_s"]:
                out.append((i + (t - s["start_s"]) / (s["end_s"] - s["start_s"]), v))
                break
    return out


def read_rss(path):
    out = []
    with open(path) as f:
        for line in f:
            if not line.startswith("#"):
                t, v = line.split()
                out.append((float(t), int(v)))
    return out


def rss_over_steps(runs, configs, step_names, raw_dir, path, title):
    """The median-peak run of each allocator, RSS against its steps (boundaries marked)."""
    series = []
    for name in configs:
        run = stats.median_run(runs, name, "rss_peak_bytes")
        if not run or not run.get("rss_file") or len(run["steps"]) != len(step_names):
            continue
        points = normalized(read_rss(os.path.join(raw_dir, run["rss_file"])), run["steps"])
        data = os.path.join(raw_dir, "%s.steps.tsv" % run["rss_file"][:-8])
        with open(data, "w") as f:
            for x, v in points:
                f.write("%f\t%f\n" % (x, v / 1048576.0))
        series.append('"%s" using 1:2 with lines lw 3 lc rgb "%s"%s title "%s"'
                      % (data, colour(name, configs), DASHES.get(name, ""), name))
    if not series:
        return False
    marks = "".join('set arrow from %d, graph 0 to %d, graph 1 nohead lw 1.5 lc rgb "#555555"\n' % (i, i)
                    for i in range(1, len(step_names)))
    tics = ", ".join('"%s" %f' % (n, i + 0.5) for i, n in enumerate(step_names))
    gnuplot(header(path, title) + marks +
            'set xtics (%s)\nset xrange [0:%d]\nset xlabel "step (each stretched to the same width; '
            'median-peak run of each allocator)"\nset ylabel "server RSS (MiB)"\nset yrange [0:*]\n'
            'plot %s\n' % (tics, len(step_names), ", ".join(series)))
    return True


def latency(runs, configs, raw_dir, path, title, measured):
    series = []
    for name in configs:
        run = stats.median_run(runs, name)
        step = next((s for s in (run or {}).get("steps", []) if s["name"] == measured), None)
        if not step or not step.get("hgrm"):
            continue
        try:
            with open(os.path.join(raw_dir, step["hgrm"])) as f:
                points = parse_hgrm(f.read())
        except OSError:
            continue
        data = os.path.join(raw_dir, "%s.latency.tsv" % step["hgrm"][:-5])
        with open(data, "w") as f:
            for pct, ms in points:
                f.write("%f\t%f\n" % (1.0 / (1.0 - pct), ms * 1000.0))
        series.append('"%s" using 1:2 with lines lw 3 lc rgb "%s"%s title "%s"'
                      % (data, colour(name, configs), DASHES.get(name, ""), name))
    if not series:
        return False
    gnuplot(header(path, title) +
            'set logscale x\nset logscale y\nset xlabel "percentile (median-throughput run)"\n'
            'set ylabel "latency (us)"\nset xtics ("50%%" 2, "90%%" 10, "99%%" 100, "99.9%%" 1000, '
            '"99.99%%" 10000, "99.999%%" 100000)\nplot ' + ", ".join(series) + "\n")
    return True


def phases_timeline(run, raw_dir, path, title):
    """Per-second ops/s and p99 of the route-switch run, the phase boundaries marked."""
    if not run or run["status"] != "ok" or not run.get("load_json"):
        return False
    with open(os.path.join(raw_dir, run["load_json"])) as f:
        doc = json.load(f)
    routes = {p["index"]: p["route"] for p in doc["phases"]}
    data = path[:-4] + ".tsv"
    with open(data, "w") as f:
        f.write("# t_s\tops_per_sec\tp99_us\tphase\troute\n")
        for pt in doc["series"]:
            mid = pt["t_s"] - pt["interval_s"] / 2  # each point is one interval's figure
            f.write("%f\t%f\t%f\t%d\t%s\n" % (mid, pt["ops_per_sec"], pt["p99_us"], pt["phase"],
                                             routes.get(pt["phase"], "?")))
    bounds = "".join('set arrow from %f, graph 0 to %f, graph 1 nohead dt 2 lw 1.5\n' % (p["start_s"], p["start_s"])
                     for p in doc["phases"] if p["start_s"] > 0)
    labels = "".join('set label "route %s" at %f, graph 0.95\n' % (p["route"], p["start_s"] + 0.05)
                     for p in doc["phases"])
    gnuplot(header(path, title) + bounds + labels +
            'set xlabel "seconds since measuring started"\nset ylabel "ops/s"\nset y2label "p99 (us)"\n'
            'set ytics nomirror\nset y2tics\nset xrange [0:*]\nset yrange [0:*]\nset y2range [0:*]\n'
            'plot "%s" using 1:2 with linespoints lw 3 lc rgb "#0072B2" title "ops/s", '
            '"" using 1:3 axes x1y2 with linespoints lw 3 lc rgb "#D55E00" title "p99"\n' % data)
    return True


def make_all(summary, out_dir, raw_dir):
    """Paths of the PNGs made, and notes for the ones that could not be."""
    if shutil.which("gnuplot") is None:
        return [], ["plots skipped: gnuplot is not installed"]
    made, notes = [], []
    runs, configs = summary["runs"], list(summary["configs"])
    jobs = []
    for name, sc in summary["scenarios"].items():
        rows = sc["rows"]
        if not rows:
            continue
        mode_runs = [r for r in runs if r["mode"] == name]
        jobs.append(("rss_%s.png" % name, lambda p, r=rows, n=name: rss_bars(
            r, p, "%s: server RSS, peak and final" % n)))
        jobs.append(("rss_time_%s.png" % name, lambda p, m=mode_runs, s=sc, n=name: rss_over_steps(
            m, configs, s["step_names"], raw_dir, p, "%s: server RSS through the steps" % n)))
        if sc["measured"]:
            jobs.append(("throughput_%s.png" % name, lambda p, r=rows, n=name, s=sc: bars(
                r, "ops_per_sec", p, "%s: throughput of %s" % (n, s["measured"]),
                "ops/s (median; whiskers: 95% interval or min-max)")))
            jobs.append(("latency_%s.png" % name, lambda p, m=mode_runs, n=name, s=sc: latency(
                m, configs, raw_dir, p, "%s: latency percentiles of %s" % (n, s["measured"]),
                s["measured"])))
    if summary.get("phases_run"):
        jobs.append(("route_switch.png", lambda p: phases_timeline(
            summary["phases_run"], raw_dir, p, "hakmem route switched live (admin RPC): " +
            summary["phases_spec"])))
    if summary.get("rocksdb"):
        jobs.append(("throughput_rocksdb.png", lambda p: bars(
            summary["rocksdb"], "ops_per_sec", p, "hakmem-bench rocksdb (LD_PRELOAD) throughput",
            "ops/s (median; whiskers: 95% interval or min-max)")))
    for name, job in jobs:
        path = os.path.join(out_dir, name)
        try:
            if job(path):
                made.append(path)
        except (OSError, RuntimeError, ValueError, KeyError) as e:
            notes.append("plot %s failed: %s" % (name, e))
    return made, notes
