"""PNG plots with gnuplot (a subprocess; data as small TSV files beside the plots)."""

import json
import os
import shutil
import subprocess

from . import stats


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
    return ('set terminal pngcairo size 900,540 noenhanced font ",10"\nset output "%s"\n'
            'set title "%s"\nset grid\nset key outside right top\n' % (png, title))


def throughput(rows, path, title):
    data = path[:-4] + ".tsv"
    with open(data, "w") as f:
        for i, r in enumerate(rows):
            s = r["metrics"]["ops_per_sec"]
            if s:
                f.write("%d\t%s\t%f\t%f\t%f\n" % (i, r["config"], s["median"], s["min"], s["max"]))
    gnuplot(header(path, title) +
            'set style fill solid 0.6\nset boxwidth 0.6\nset ylabel "ops/s (median, min-max)"\n'
            'set yrange [0:*]\nset xrange [-0.5:%f]\nunset key\n'
            'plot "%s" using 1:3:xtic(2) with boxes, "" using 1:3:4:5 with yerrorbars lc black pt 0\n'
            % (len(rows) - 0.5, data))


def latency(runs, configs, raw_dir, path, title):
    series = []
    for name in configs:
        run = stats.median_run(runs, name)
        if not run or not run.get("hgrm"):
            continue
        try:
            with open(os.path.join(raw_dir, run["hgrm"])) as f:
                points = parse_hgrm(f.read())
        except OSError:
            continue
        data = os.path.join(raw_dir, "%s.latency.tsv" % run["hgrm"][:-5])
        with open(data, "w") as f:
            for pct, ms in points:
                f.write("%f\t%f\n" % (1.0 / (1.0 - pct), ms * 1000.0))
        series.append('"%s" using 1:2 with lines lw 2 title "%s"' % (data, name))
    if not series:
        return False
    gnuplot(header(path, title) +
            'set logscale x\nset logscale y\nset xlabel "percentile"\nset ylabel "latency (us)"\n'
            'set xtics ("50%%" 2, "90%%" 10, "99%%" 100, "99.9%%" 1000, "99.99%%" 10000, '
            '"99.999%%" 100000)\nplot ' + ", ".join(series) + "\n")
    return True


def rss(runs, configs, raw_dir, path, title):
    series = []
    for name in configs:
        run = stats.median_run(runs, name)
        if run and run.get("rss_file"):
            series.append('"%s" using 1:($2/1048576) with lines lw 2 title "%s"'
                          % (os.path.join(raw_dir, run["rss_file"]), name))
    if not series:
        return False
    gnuplot(header(path, title) +
            'set xlabel "seconds since server start (median run)"\nset ylabel "server RSS (MiB)"\n'
            'set yrange [0:*]\nplot ' + ", ".join(series) + "\n")
    return True


def phases_timeline(run, raw_dir, path, title):
    """Per-second ops/s and p99 of the route-switch run, one colour per phase's route."""
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
    bounds = "".join('set arrow from %f, graph 0 to %f, graph 1 nohead dt 2\n' % (p["start_s"], p["start_s"])
                     for p in doc["phases"] if p["start_s"] > 0)
    labels = "".join('set label "route %s" at %f, graph 0.95\n' % (p["route"], p["start_s"] + 0.05)
                     for p in doc["phases"])
    gnuplot(header(path, title) + bounds + labels +
            'set xlabel "seconds since measuring started"\nset ylabel "ops/s"\nset y2label "p99 (us)"\n'
            'set ytics nomirror\nset y2tics\nset xrange [0:*]\nset yrange [0:*]\nset y2range [0:*]\n'
            'plot "%s" using 1:2 with linespoints lw 2 title "ops/s", '
            '"" using 1:3 axes x1y2 with linespoints lw 2 title "p99"\n' % data)
    return True


def make_all(summary, out_dir, raw_dir):
    """Paths of the PNGs made, and notes for the ones that could not be."""
    if shutil.which("gnuplot") is None:
        return [], ["plots skipped: gnuplot is not installed"]
    made, notes = [], []
    runs, configs = summary["runs"], list(summary["configs"])
    jobs = []
    if summary.get("closed"):
        jobs.append(("throughput_closed.png", lambda p: throughput(
            summary["closed"], p, "hakmem-server closed-loop throughput") or True))
    for mode, label in (("closed", "closed loop"), ("open", "open loop at %.0f ops/s" % summary["open_rate"])):
        mode_runs = [r for r in runs if r["mode"] == mode]
        if not mode_runs:
            continue
        jobs.append(("latency_%s.png" % mode, lambda p, m=mode_runs, l=label: latency(
            m, configs, raw_dir, p, "latency percentiles, " + l)))
        jobs.append(("rss_%s.png" % mode, lambda p, m=mode_runs, l=label: rss(
            m, configs, raw_dir, p, "server RSS over time, " + l)))
    if summary.get("phases_run"):
        jobs.append(("route_switch.png", lambda p: phases_timeline(
            summary["phases_run"], raw_dir, p, "hakmem route switched live (admin RPC): " +
            summary["phases_spec"])))
    if summary.get("rocksdb"):
        jobs.append(("throughput_rocksdb.png", lambda p: throughput(
            summary["rocksdb"], p, "hakmem-bench rocksdb (LD_PRELOAD) throughput") or True))
    for name, job in jobs:
        path = os.path.join(out_dir, name)
        try:
            if job(path):
                made.append(path)
        except (OSError, RuntimeError, ValueError, KeyError) as e:
            notes.append("plot %s failed: %s" % (name, e))
    return made, notes
