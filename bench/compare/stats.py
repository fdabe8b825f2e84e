"""Medians over repetitions, with min, max and a bootstrap interval, and ratios against the
system malloc with their intervals (intervals.py)."""

import statistics

from . import intervals

METRICS = ["ops_per_sec", "p50_us", "p99_us", "p999_us", "max_us", "rss_peak_bytes",
           "rss_final_bytes", "arena_bytes_in_use", "arena_bytes_in_use_peak", "page_reuse_rate",
           "frag_final", "frag_peak", "live_bytes_final", "rss_rise_last_quarter",
           "rss_before_burst_bytes", "rss_after_delete_bytes", "rss_after_idle_bytes",
           "rss_returned_fraction", "rate_achieved"]


def spread(values):
    """{"median", "min", "max", "n", "ci", "values"} over the values that exist (ci: bootstrap
    95% interval of the median, None below intervals.MIN_N), or None when there are none."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals),
            "ci": intervals.median_interval(vals), "values": vals}


def aggregate(runs, metrics=METRICS):
    """Per configuration (in first-seen order): reps, ok count, failures, and a spread per metric.

    Failed runs count toward `reps` and list their reason; their numbers are never used.
    """
    rows = {}
    for r in runs:
        row = rows.setdefault(r["config"], {"config": r["config"], "reps": 0, "ok": 0,
                                            "failures": [], "_ok_runs": []})
        row["reps"] += 1
        if r["status"] == "ok":
            row["ok"] += 1
            row["_ok_runs"].append(r)
        else:
            row["failures"].append(r.get("failure", "failed"))
    out = []
    for row in rows.values():
        ok = row.pop("_ok_runs")
        row["metrics"] = {m: spread([r.get(m) for r in ok]) for m in metrics}
        out.append(row)
    return out


def add_ratios(rows, baseline="system"):
    """Median of each metric divided by the baseline's median (None when either is missing), and
    its bootstrap interval in vs_<baseline>_ci (None with too few runs)."""
    base = next((r for r in rows if r["config"] == baseline and r["ok"]), None)
    for row in rows:
        row["vs_" + baseline] = {}
        row["vs_%s_ci" % baseline] = {}
        for m, s in row["metrics"].items():
            b = base["metrics"].get(m) if base else None
            ok = s is not None and b is not None and b["median"]
            row["vs_" + baseline][m] = s["median"] / b["median"] if ok else None
            row["vs_%s_ci" % baseline][m] = (intervals.ratio_interval(s["values"], b["values"])
                                             if ok else None)
    return rows


def median_run(runs, config, metric="ops_per_sec"):
    """The ok run of a configuration whose metric is the median one (for plots), or None."""
    ok = sorted((r for r in runs if r["config"] == config and r["status"] == "ok"),
                key=lambda r: r.get(metric) or 0)
    return ok[(len(ok) - 1) // 2] if ok else None
