"""summary.md (verdict first, then tables) and summary.json (the same rows plus every run)."""

import json
import statistics

from . import intervals, scenarios, stats


def fmt_ops(v):
    if v is None:
        return "n/a"
    return "%.1fk" % (v / 1e3) if v < 1e6 else "%.2fM" % (v / 1e6)


def fmt_us(v):
    if v is None:
        return "n/a"
    return "%.0f us" % v if v < 1000 else "%.2f ms" % (v / 1000)


def fmt_bytes(v):
    if v is None:
        return "n/a"
    if v < 1048576:
        return "%.0f KiB" % (v / 1024.0)
    return "%.1f MiB" % (v / 1048576.0)


def fmt_rate(v):
    return "n/a" if v is None else "%.3f" % v


def fmt_factor(v):
    return "n/a" if v is None else "%.2f" % v


def fmt_pct(v):
    return "n/a" if v is None else "%.0f%%" % (100 * v)


def fmt_ratio(v, ci=None):
    if v is None:
        return ""
    if ci:
        return "x%.2f [%.2f-%.2f]" % (v, ci[0], ci[1])
    return "x%.2f" % v


def _strip_unit(med, lo, hi):
    unit = " " + med.split(" ", 1)[1] if " " in med else ""
    if unit and lo.endswith(unit) and hi.endswith(unit):
        lo, hi = lo[:-len(unit)], hi[:-len(unit)]
    return lo, hi


def cell(s, fmt):
    """"median [95% interval]" with 3+ runs, "median (min-max)" with 2, one value with 1."""
    if s is None:
        return "n/a"  # no ok run, or the allocator has no such figure
    med = fmt(s["median"])
    if s.get("ci"):
        lo, hi = _strip_unit(med, fmt(s["ci"][0]), fmt(s["ci"][1]))
        return med if lo == hi else "%s [%s-%s]" % (med, lo, hi)
    lo, hi = fmt(s["min"]), fmt(s["max"])
    if s["n"] == 1 or lo == hi:
        return med
    lo, hi = _strip_unit(med, lo, hi)
    return "%s (%s-%s)" % (med, lo, hi)


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def ratio_cell(r, m):
    return fmt_ratio(r["vs_system"].get(m), r.get("vs_system_ci", {}).get(m))


def latency_table(rows, open_loop=False):
    out = []
    for r in rows:
        m = r["metrics"]
        line = [r["config"], "%d/%d" % (r["ok"], r["reps"]), cell(m["ops_per_sec"], fmt_ops),
                ratio_cell(r, "ops_per_sec"), cell(m["p50_us"], fmt_us), cell(m["p99_us"], fmt_us),
                ratio_cell(r, "p99_us"), cell(m["p999_us"], fmt_us), cell(m["max_us"], fmt_us)]
        if open_loop:
            line.append(cell(m.get("rate_achieved"), fmt_pct))
        out.append(line)
    header = ["allocator", "ok", "ops/s", "vs system", "p50", "p99", "p99 vs system", "p99.9", "max"]
    return table(header + (["rate achieved"] if open_loop else []), out)


def memory_table(rows, scenario=""):
    out = []
    for r in rows:
        m = r["metrics"]
        line = [r["config"], cell(m["rss_peak_bytes"], fmt_bytes), ratio_cell(r, "rss_peak_bytes"),
                cell(m["rss_final_bytes"], fmt_bytes), ratio_cell(r, "rss_final_bytes")]
        if scenario == "drift":
            line += [cell(m.get("frag_final"), fmt_factor), ratio_cell(r, "frag_final"),
                     cell(m.get("frag_peak"), fmt_factor)]
        if scenario == "burst":
            line += [cell(m.get("rss_before_burst_bytes"), fmt_bytes),
                     cell(m.get("rss_after_delete_bytes"), fmt_bytes),
                     cell(m.get("rss_after_idle_bytes"), fmt_bytes), ratio_cell(r, "rss_after_idle_bytes"),
                     cell(m.get("rss_returned_fraction"), fmt_pct)]
        line += [cell(m["arena_bytes_in_use_peak"], fmt_bytes), cell(m["page_reuse_rate"], fmt_rate)]
        out.append(line)
    header = ["allocator", "peak RSS", "vs system", "final RSS", "vs system"]
    if scenario == "drift":
        header += ["RSS / live at the end", "vs system", "worst RSS / live"]
    if scenario == "burst":
        header += ["RSS before", "after the delete", "after idling", "vs system", "burst returned"]
    return table(header + ["allocator in use (peak)", "page reuse rate"], out)


def steps_table(runs, scenario_name, step_names):
    """Per step: the median RSS at its end and RSS / live data, per allocator."""
    configs = []
    for r in runs:
        if r["mode"] == scenario_name and r["config"] not in configs:
            configs.append(r["config"])
    out = []
    for c in configs:
        ok = [r for r in runs if r["mode"] == scenario_name and r["config"] == c and r["status"] == "ok"]
        line = [c]
        for i in range(len(step_names)):
            rss = [r["steps"][i].get("rss_end_bytes") for r in ok if len(r["steps"]) > i]
            live = [r["steps"][i].get("rss_per_live") for r in ok if len(r["steps"]) > i]
            rss = [v for v in rss if v is not None]
            live = [v for v in live if v is not None]
            text = fmt_bytes(statistics.median(rss)) if rss else "n/a"
            if live:
                text += " / %.2f" % statistics.median(live)
            line.append(text)
        out.append(line)
    return table(["allocator"] + ["after %s" % n for n in step_names], out)


def phases_table(run):
    if run is None:
        return "(not run)"
    if run["status"] != "ok":
        return "failed: " + run.get("failure", "")
    out = [[p["index"], p["route"], fmt_ops(p["ops_per_sec"]), fmt_us(p["p50_us"]), fmt_us(p["p99_us"]),
            fmt_us(p["p999_us"]), fmt_us(p["max_us"])] for p in run.get("phases", [])]
    return table(["phase", "route", "ops/s", "p50", "p99", "p99.9", "max"], out) + (
        "\n\nOne server, switched by hakmem-load through the admin RPC; peak RSS %s, final RSS %s, "
        "page reuse rate %s at the end." % (fmt_bytes(run.get("rss_peak_bytes")),
                                            fmt_bytes(run.get("rss_final_bytes")),
                                            fmt_rate(run.get("page_reuse_rate"))))


def rocksdb_table(rows):
    out = []
    for r in rows:
        m = r["metrics"]
        out.append([r["config"], "%d/%d" % (r["ok"], r["reps"]), cell(m["ops_per_sec"], fmt_ops),
                    ratio_cell(r, "ops_per_sec"), cell(m["fill_ops_per_sec"], fmt_ops),
                    cell(m["rss_peak_bytes"], fmt_bytes), ratio_cell(r, "rss_peak_bytes")])
    return table(["allocator (LD_PRELOAD)", "ok", "ops/s (reads+writes)", "vs system", "fill ops/s",
                  "peak RSS", "vs system"], out)


def verdict_line(title, metric, rows):
    """One line: every allocator's ratio to system on `metric`, with its interval and word."""
    label, direction = scenarios.METRIC_INFO[metric]
    base = next((r for r in rows if r["config"] == "system"), None)
    if base is None or not base["ok"] or base["metrics"].get(metric) is None:
        return "- %s, %s: no verdict (system malloc has no successful run)" % (title, label)
    n_base = base["metrics"][metric]["n"]
    parts = []
    for r in rows:
        if r["config"] == "system":
            continue
        s = r["metrics"].get(metric)
        if s is None:
            parts.append("%s n/a" % r["config"])
            continue
        _, text = intervals.judge(r["vs_system"][metric], r["vs_system_ci"].get(metric), s["n"],
                                  n_base, direction)
        parts.append("%s %s" % (r["config"], text))
    return "- %s, %s (%s is better) vs system: %s" % (title, label, "higher" if direction > 0 else
                                                      "lower", "; ".join(parts))


def verdict(summary):
    lines = []
    for name, sc in summary["scenarios"].items():
        if sc["rows"]:
            lines += [verdict_line(name, m, sc["rows"]) for m in sc["verdict"]]
    if summary.get("rocksdb"):
        lines += [verdict_line("rocksdb-bench", m, summary["rocksdb"])
                  for m in ("ops_per_sec", "rss_peak_bytes")]
    return lines or ["- nothing to judge: no scenario ran"]


def failures(runs):
    return ["- %s %s rep %s: %s" % (r["config"], r["mode"], r["rep"], r.get("failure", "failed"))
            for r in runs if r["status"] != "ok"]


def error_notes(runs):
    """Runs that succeeded but got error replies (counted by hakmem-load, not in ops/s)."""
    return ["- %s %s rep %s: %d error replies" % (r["config"], r["mode"], r["rep"], r["errors"])
            for r in runs if r["status"] == "ok" and r.get("errors")]


def caveats(summary):
    """Warnings a reader needs before trusting a table: RSS still rising, rates missed."""
    out = []
    for name, sc in summary["scenarios"].items():
        rising, missed = [], []
        for r in sc["rows"] or []:
            rise = r["metrics"].get("rss_rise_last_quarter")
            if rise and rise["median"] > 0.02:
                rising.append("%s %.0f%%" % (r["config"], 100 * rise["median"]))
            ach = r["metrics"].get("rate_achieved")
            if ach and ach["median"] < 0.95:
                missed.append("%s %.0f%%" % (r["config"], 100 * ach["median"]))
        if rising:
            out.append("%s: RSS had not levelled off, it still rose over the last quarter of the "
                       "measured step (median): %s" % (name, ", ".join(rising)))
        if missed:
            out.append("%s: the open loop missed its target rate (median share reached): %s"
                       % (name, ", ".join(missed)))
    return out


def build(summary):
    """summary: the dict written to summary.json (driver.summarize). Returns the markdown text."""
    s = summary
    m = s["machine"]
    reps = s["settings"]["reps"]
    lines = ["# hakmem-compare %s" % s["started"], "", "## Verdict", "",
             "Ratios are an allocator's median over system malloc's, with the bootstrap 95%% "
             "interval of that ratio in brackets (%d resamples, fixed seed); a difference counts "
             "only when the interval excludes 1. %s" % (
                 intervals.RESAMPLES,
                 "%d interleaved reps per scenario." % reps if reps >= 5 else
                 "Only %d interleaved reps per scenario (a short profile): small differences "
                 "cannot be detected; use --profile full (5 reps) for numbers to quote." % reps), ""]
    lines += verdict(s) + [""]
    lines += ["## What each allocator served (%s process mode)" % s["process_mode"], ""]
    lines += ["- %s: %s" % (name, spec["serves"]) for name, spec in s["configs"].items()] + [""]
    lines += ["## Method", "",
              "Machine: %s, %d CPUs (nproc), %s, kernel %s; load average %s when the runs ended." % (
                  m["cpu_model"], m["nproc"], m["memory"], m["kernel"], m.get("loadavg_1m", "n/a")),
              "Settings: %s." % s["settings_text"],
              "Every run starts a fresh server; steps are fixed request counts, so every allocator "
              "ends a step with the same data. Latency and throughput are the measured step's "
              "(after its warm-up, which is not recorded). RSS is the server's, sampled from /proc "
              "every 100 ms (peak: VmHWM); final RSS is taken at the end of the last step. Live "
              "data: the bytes of every key and value, read back with MGET after a step. Cells: "
              "median [95% interval of the median] with 3+ runs, else median (min-max). "
              "Allocator in use: the allocator's own bytes-in-use peak (INFO memory polled every "
              "0.5 s; hakmem preloaded: its exact peak from HAKMEM_STATS at exit; mimalloc: n/a).", ""]
    notes = s["notes"] + caveats(s)
    lines += ["- " + n for n in notes]
    if notes:
        lines.append("")
    for name, sc in s["scenarios"].items():
        rows = sc["rows"]
        if rows is None:
            continue
        title = name
        if name == "ycsb-open":
            title += " at %s ops/s (%s)" % (fmt_ops(s["open_rate"]), s["open_rate_basis"])
        lines += ["## %s" % title, "", "%s. Steps: %s." % (sc["description"][0].upper() +
                                                          sc["description"][1:], sc["steps"]), ""]
        if name == "fleet":
            lines += ["%d hakmem-servers per allocator, all on it, behind one nutcracker (ketama, "
                      "md5) on the load generator's CPUs. Latency and throughput are what "
                      "hakmem-load sees through the proxy (p99 across the fleet); peak RSS is the "
                      "sum of each server's peak (VmHWM), final RSS the sum at the end. Every "
                      "server held keys (DBSIZE) or the run failed." %
                      s["settings"].get("fleet_servers", 0), ""]
        if sc["measured"]:
            lines += ["Measured step: %s." % sc["measured"], "",
                      latency_table(rows, open_loop=name == "ycsb-open"), ""]
        lines += [memory_table(rows, name), ""]
        if name in ("drift", "burst"):
            lines += ["RSS at the end of each step (median; / RSS divided by live data):", "",
                      steps_table(s["runs"], name, sc["step_names"]), ""]
    if s.get("phases_run") is not None:
        lines += ["## Route switch live (hakmem arena mode, admin RPC, %s)" % s["phases_spec"], "",
                  phases_table(s["phases_run"]), ""]
    if s.get("rocksdb") is not None:
        lines += ["## RocksDB embedded (hakmem-bench rocksdb, %s)" % s["rocksdb_settings"], "",
                  rocksdb_table(s["rocksdb"]), ""]
    fails = failures(s["runs"])
    if fails:
        lines += ["## Failed runs (not counted)", ""] + fails + [""]
    errors = error_notes(s["runs"])
    if errors:
        lines += ["## Runs with error replies", ""] + errors + [""]
    if s.get("plots"):
        lines += ["## Plots", ""] + ["- %s" % p for p in s["plots"]] + [""]
    return "\n".join(lines)


def write(summary, md_path, json_path):
    with open(json_path, "w") as f:
        json.dump(summary, f, indent=1, sort_keys=False)
        f.write("\n")
    text = build(summary)
    with open(md_path, "w") as f:
        f.write(text)
    return text


def rows_for(runs, mode, extra_metrics=()):
    """Aggregated rows of one mode, with ratios against system."""
    selected = [r for r in runs if r["mode"] == mode]
    if not selected:
        return None
    return stats.add_ratios(stats.aggregate(selected, stats.METRICS + list(extra_metrics)))
