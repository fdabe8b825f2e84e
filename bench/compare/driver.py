"""The order of a comparison: closed loop, open loop, the live route switch, RocksDB; then outputs."""

import datetime
import os
import sys

from . import allocators, machine, plots, report, rocksdb_run, stats
from .load_run import LoadSettings, run_one


def log(text):
    print(text, file=sys.stderr, flush=True)


def progress(rec):
    if rec["status"] != "ok":
        return "FAILED: " + rec.get("failure", "")[:300]
    return "%s ops/s, p99 %s, peak RSS %s" % (report.fmt_ops(rec.get("ops_per_sec")),
                                             report.fmt_us(rec.get("p99_us")),
                                             report.fmt_bytes(rec.get("rss_peak_bytes")))


def interleaved(args, bins, configs, settings, raw_dir, mode, rate=0):
    """reps x configs, in the order A B C A B C ..., so drift and noise spread evenly."""
    runs = []
    for rep in range(1, args.reps + 1):
        for name, spec in configs.items():
            tag = "%s-%s-%d" % (mode, name, rep)
            rec = run_one(bins, spec, settings, raw_dir, tag, rate=rate, server_args=args.server_arg)
            rec.update(config=name, mode=mode, rep=rep)
            log("  [%s %d/%d] %-9s %s" % (mode, rep, args.reps, name, progress(rec)))
            runs.append(rec)
    return runs


def open_loop_rate(args, closed_rows):
    """(rate, why): --rate, else the fraction of system's median max, else of the slowest."""
    if args.rate:
        return args.rate, "--rate"
    by_name = {r["config"]: r["metrics"]["ops_per_sec"] for r in closed_rows or []}
    system = by_name.get("system")
    pct = "%d%%" % round(args.rate_fraction * 100)
    if system:
        return args.rate_fraction * system["median"], "%s of system malloc's closed-loop median" % pct
    ok = [s["median"] for s in by_name.values() if s]
    if ok:
        return args.rate_fraction * min(ok), ("%s of the slowest closed-loop median "
                                              "(system malloc has no successful run)" % pct)
    return 0, None


def summarize(args, configs, notes, runs, rate, basis, started):
    """The summary.json document: rows per mode (medians, min-max, ratios) and every run."""
    phases_run = next((r for r in runs if r["mode"] == "phases"), None)
    rocksdb_runs = [r for r in runs if r["mode"] == "rocksdb"]
    return {
        "schema": "hakmem-compare/1",
        "started": started.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "finished": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": machine.describe(),
        "settings": dict(vars(args)),
        "settings_text": settings_text(args),
        "configs": configs,
        "notes": notes,
        "closed": report.rows_for(runs, "closed"),
        "open": report.rows_for(runs, "open"),
        "open_rate": rate,
        "open_rate_basis": basis,
        "phases_spec": args.phases,
        "phases_run": phases_run,
        "rocksdb": stats.add_ratios(stats.aggregate(rocksdb_runs, rocksdb_run.METRICS))
        if rocksdb_runs else None,
        "rocksdb_settings": rocksdb_run.settings_text(args),
        "runs": runs,
        "plots": [],
    }


def settings_text(args):
    return ("hakmem-load workload %s, %d keys (%d preloaded), values %s, %d threads x %d "
            "connections, pipeline %d, %.1f s measured after %.1f s warmup; hakmem-server "
            "--store rocksdb%s" % (args.workload, args.keys, args.load, args.value_size,
                                   args.threads, args.connections, args.pipeline, args.duration,
                                   args.warmup, "".join(" " + a for a in args.server_arg)))


def run(args, bins, out_dir):
    raw_dir = os.path.join(out_dir, "raw")
    os.makedirs(raw_dir)
    started = datetime.datetime.now(datetime.timezone.utc)
    configs, notes = allocators.resolve([a for a in args.allocs.split(",") if a])
    for n in notes:
        log("hakmem-compare: " + n)
    settings = LoadSettings(args)
    log("hakmem-compare: %s -> %s" % (", ".join(configs), out_dir))
    runs = []

    log("closed loop (max throughput):")
    runs += interleaved(args, bins, configs, settings, raw_dir, "closed")
    rate, basis = 0, None
    if not args.no_open:
        rate, basis = open_loop_rate(args, report.rows_for(runs, "closed"))
        if rate:
            log("open loop at %.0f ops/s (%s):" % (rate, basis))
            runs += interleaved(args, bins, configs, settings, raw_dir, "open", rate=rate)
        else:
            notes.append("open loop skipped: no closed-loop run succeeded to derive a rate from")

    if args.phases != "none" and "hakmem-S" in configs:
        log("route switch live (%s):" % args.phases)
        phases_run = run_one(bins, configs["hakmem-S"], settings, raw_dir, "phases-hakmem",
                             phases=args.phases, server_args=args.server_arg)
        phases_run.update(config="hakmem-S", mode="phases", rep=1)
        log("  [phases] hakmem    %s" % progress(phases_run))
        runs.append(phases_run)

    rocksdb_runs = []
    if not args.no_rocksdb:
        log("hakmem-bench rocksdb under LD_PRELOAD:")
        rocksdb_runs, more_notes = rocksdb_run.run_all(args, bins, raw_dir, log)
        notes += more_notes

    summary = summarize(args, configs, notes, runs + rocksdb_runs, rate, basis, started)
    if not args.no_plots:
        summary["plots"], plot_notes = plots.make_all(summary, out_dir, raw_dir)
        summary["notes"] += plot_notes
    text = report.write(summary, os.path.join(out_dir, "summary.md"),
                        os.path.join(out_dir, "summary.json"))
    print(text)
    print("results: %s" % out_dir)
    ok = all(r["status"] == "ok" for r in summary["runs"])
    return 0 if ok else 1
