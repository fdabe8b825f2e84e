"""summary.md (tables for people) and summary.json (the same rows plus every run) from records."""

import json

from . import stats


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


def fmt_ratio(v):
    return "" if v is None else "x%.2f" % v


def cell(s, fmt):
    """"median (min-max)", the range without the median's unit; one value when the spread is flat."""
    if s is None:
        return "n/a"  # no ok run, or the allocator has no such figure
    med, lo, hi = fmt(s["median"]), fmt(s["min"]), fmt(s["max"])
    if s["n"] == 1 or lo == hi:
        return med
    unit = " " + med.split(" ", 1)[1] if " " in med else ""
    if unit and lo.endswith(unit) and hi.endswith(unit):
        lo, hi = lo[:-len(unit)], hi[:-len(unit)]
    return "%s (%s-%s)" % (med, lo, hi)


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def latency_table(rows):
    out = []
    for r in rows:
        m, vs = r["metrics"], r["vs_system"]
        out.append([r["config"], "%d/%d" % (r["ok"], r["reps"]), cell(m["ops_per_sec"], fmt_ops),
                    fmt_ratio(vs["ops_per_sec"]), cell(m["p50_us"], fmt_us), cell(m["p99_us"], fmt_us),
                    fmt_ratio(vs["p99_us"]), cell(m["p999_us"], fmt_us), cell(m["max_us"], fmt_us)])
    return table(["allocator", "ok", "ops/s", "vs system", "p50", "p99", "p99 vs system", "p99.9",
                  "max"], out)


def memory_table(rows):
    out = []
    for r in rows:
        m, vs = r["metrics"], r["vs_system"]
        out.append([r["config"], cell(m["rss_peak_bytes"], fmt_bytes), fmt_ratio(vs["rss_peak_bytes"]),
                    cell(m["rss_final_bytes"], fmt_bytes), fmt_ratio(vs["rss_final_bytes"]),
                    cell(m["arena_bytes_in_use_peak"], fmt_bytes), cell(m["page_reuse_rate"], fmt_rate)])
    return table(["allocator", "peak RSS", "vs system", "final RSS", "vs system",
                  "allocator in use (peak)", "page reuse rate"], out)


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
        m, vs = r["metrics"], r["vs_system"]
        out.append([r["config"], "%d/%d" % (r["ok"], r["reps"]), cell(m["ops_per_sec"], fmt_ops),
                    fmt_ratio(vs["ops_per_sec"]), cell(m["fill_ops_per_sec"], fmt_ops),
                    cell(m["rss_peak_bytes"], fmt_bytes), fmt_ratio(vs["rss_peak_bytes"])])
    return table(["allocator (LD_PRELOAD)", "ok", "ops/s (reads+writes)", "vs system", "fill ops/s",
                  "peak RSS", "vs system"], out)


def failures(runs):
    return ["- %s %s rep %s: %s" % (r["config"], r["mode"], r["rep"], r.get("failure", "failed"))
            for r in runs if r["status"] != "ok"]


def error_notes(runs):
    """Runs that succeeded but got error replies (counted by hakmem-load, not in ops/s)."""
    return ["- %s %s rep %s: %d error replies" % (r["config"], r["mode"], r["rep"], r["errors"])
            for r in runs if r["status"] == "ok" and r.get("errors")]


def build(summary):
    """summary: the dict written to summary.json (see cli.py). Returns the markdown text."""
    s = summary
    m = s["machine"]
    lines = ["# hakmem-compare %s" % s["started"], "",
             "Machine: %s, %d CPUs (nproc), %s, kernel %s; load average %s when the runs ended." % (
                 m["cpu_model"], m["nproc"], m["memory"], m["kernel"], m.get("loadavg_1m", "n/a")),
             "Settings: %s." % s["settings_text"],
             "Medians of %d interleaved reps, (min-max) over the reps; ratios are medians divided by "
             "system malloc's. RSS is the server's, sampled from /proc every 100 ms. "
             "Allocator in use: the highest live bytes the arena's allocator reported (INFO memory, "
             "polled every 0.5 s during the load; system and jemalloc: the whole process's malloc, RocksDB included; hakmem, "
             "tcmalloc: that allocator only, i.e. requests, replies and for hakmem the block cache; "
             "mimalloc: n/a, no cheap counter). n/a: no figure or no successful run." % s["settings"]["reps"],
             ""]
    lines += ["- " + n for n in s["notes"]]
    if s["notes"]:
        lines.append("")
    if s.get("closed") is not None:
        lines += ["## Closed loop (max throughput)", "", latency_table(s["closed"]), "",
                  memory_table(s["closed"]), ""]
    if s.get("open") is not None:
        lines += ["## Open loop at %s ops/s (%s)" % (fmt_ops(s["open_rate"]), s["open_rate_basis"]),
                  "", "Latency from the intended send time (no coordinated omission).", "",
                  latency_table(s["open"]), "", memory_table(s["open"]), ""]
    if s.get("phases_run") is not None:
        lines += ["## Route switch live (hakmem, admin RPC, %s)" % s["phases_spec"], "",
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
