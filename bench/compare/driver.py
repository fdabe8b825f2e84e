"""The order of a comparison (scenario by scenario, allocators interleaved), then the outputs."""

import datetime
import os
import sys

from . import allocators, load_run, machine, plots, proxy, report, rocksdb_run, scenarios, stats
from .order import rotated
from .fleet_run import run_fleet
from .scenario_run import run_phases, run_scenario

SERVER_SCENARIOS = ["drift", "ycsb-closed", "ycsb-open", "conns", "burst"]


def log(text):
    print(text, file=sys.stderr, flush=True)


def progress(rec):
    if rec["status"] != "ok":
        return "FAILED: " + rec.get("failure", "")[:300]
    parts = []
    if rec.get("ops_per_sec") is not None:
        parts.append("%s ops/s, p99 %s" % (report.fmt_ops(rec["ops_per_sec"]), report.fmt_us(rec.get("p99_us"))))
    parts.append("peak RSS %s" % report.fmt_bytes(rec.get("rss_peak_bytes")))
    if rec.get("frag_final"):
        parts.append("RSS/live %.2f" % rec["frag_final"])
    if rec.get("rss_after_idle_bytes"):
        parts.append("after idle %s" % report.fmt_bytes(rec["rss_after_idle_bytes"]))
    return ", ".join(parts)


class Context:
    """What every run of one comparison shares: binaries, CPUs, flags, the raw/ directory."""

    def __init__(self, args, bins, raw_dir):
        self.args, self.bins, self.raw_dir = args, bins, raw_dir
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) >= 2 and not args.no_pin:
            n = max(1, len(cpus) // 4)
            self.load_cpus, self.server_cpus = cpus[:n], cpus[n:]
        else:
            self.load_cpus = self.server_cpus = None
        self.all_cpus = cpus
        self.machine = machine.describe()  # before the driver pins itself: nproc is the machine's
        self.load_threads = args.threads or (len(self.load_cpus) if self.load_cpus else 2)
        self.allow_rate_miss = load_run.supports(bins["load"], "--allow-rate-miss")
        self.keys = 0
        self.nutcracker = proxy.find()
        self.done, self.total = 0, 0

    def tick(self):
        self.done += 1
        return "[%d/%d]" % (self.done, self.total)

    def pinning_text(self):
        if not self.load_cpus:
            return ("not pinned (%s)" % ("--no-pin" if self.args.no_pin else
                                         "only %d CPU" % len(self.all_cpus)))
        return ("hakmem-server on CPU %s, hakmem-load and this driver on CPU %s (taskset)" % (
            ",".join(map(str, self.server_cpus)), ",".join(map(str, self.load_cpus))))


def open_loop_rate(args, closed_rows):
    """(rate, why): --rate, else the fraction of system's median, else of the slowest."""
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


def planned_runs(args, configs):
    total = 0
    for name in args.scenario_list:
        if name in SERVER_SCENARIOS:
            total += len(configs) * (args.burst_reps if name == "burst" else args.reps)
        elif name == "fleet":
            total += len(configs) * args.reps
        elif name == "phases":
            total += 1 if "hakmem-S" in configs else 0
        elif name == "rocksdb-bench":
            total += rocksdb_run.planned(args)
    return total


def interleaved(ctx, scenario, configs, rate=0, runner=run_scenario):
    """reps x configs, interleaved so that drift and noise spread evenly (order.rotated)."""
    runs = []
    reps = scenario.reps or ctx.args.reps
    for rep in range(1, reps + 1):
        for name, spec in rotated(configs, rep):
            rec = runner(ctx, scenario, name, spec, rep, rate=rate)
            log("  %s %s rep %d/%d %-9s %s" % (ctx.tick(), scenario.name, rep, reps, name, progress(rec)))
            runs.append(rec)
    return runs


def settings_text(args, ctx):
    return ("hakmem-server --store %s%s; hakmem-load %d thread(s), %d connections x pipeline %d "
            "unless a step says otherwise; %s" % (
                args.store, "".join(" " + a for a in args.server_arg), ctx.load_threads,
                args.connections, args.pipeline, ctx.pinning_text()))


def summarize(args, configs, notes, runs, scenario_defs, rate, basis, started, ctx=None):
    """The summary.json document: rows per scenario (medians, intervals, ratios) and every run."""
    phases_run = next((r for r in runs if r["mode"] == "phases"), None)
    rocksdb_runs = [r for r in runs if r["mode"] == "rocksdb"]
    rows = {}
    for name, sc in scenario_defs.items():
        rows[name] = report.rows_for(runs, name)
    return {
        "schema": "hakmem-compare/2",
        "started": started.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "finished": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": dict(ctx.machine, loadavg_1m=machine.describe()["loadavg_1m"]) if ctx
        else machine.describe(),
        "settings": {k: v for k, v in vars(args).items()},
        "settings_text": settings_text(args, ctx) if ctx else "",
        "process_mode": "arena" if args.arena_mode else "whole",
        "configs": configs,
        "notes": notes,
        "scenarios": {name: {"description": sc.description, "steps": scenarios.summary_text(sc),
                             "measured": sc.measured, "verdict": sc.verdict,
                             "reps": sc.reps or args.reps, "rows": rows[name],
                             "step_names": [st.name for st in sc.steps]}
                      for name, sc in scenario_defs.items()},
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


def run(args, bins, out_dir):
    raw_dir = os.path.join(out_dir, "raw")
    os.makedirs(raw_dir)
    started = datetime.datetime.now(datetime.timezone.utc)
    mode = "arena" if args.arena_mode else "whole"
    configs, notes = allocators.resolve([a for a in args.allocs.split(",") if a], mode, args.build)
    for n in notes:
        log("hakmem-compare: " + n)
    ctx = Context(args, bins, raw_dir)
    if ctx.load_cpus:
        os.sched_setaffinity(0, ctx.load_cpus)  # the driver's polling and sweeps stay off the server's CPUs
    ctx.total = planned_runs(args, configs)
    log("hakmem-compare: %s, %s process mode, %s store, %d runs -> %s" % (
        ", ".join(configs), mode, args.store, ctx.total, out_dir))
    log("hakmem-compare: " + ctx.pinning_text())
    if not ctx.allow_rate_miss:
        notes.append("hakmem-load has no --allow-rate-miss: a missed open-loop rate shows in the "
                     "achieved-rate column only")
    runs, defs = [], {}
    rate, basis = 0, None
    for name in args.scenario_list:
        if name in SERVER_SCENARIOS:
            if name == "ycsb-open":
                rate, basis = open_loop_rate(args, report.rows_for(runs, "ycsb-closed"))
                if not rate:
                    notes.append("ycsb-open skipped: no closed-loop run succeeded to derive a rate from")
                    continue
                args.open_requests = max(1, int(rate * args.open_seconds))
                log("%s at %.0f ops/s (%s), %d requests:" % (name, rate, basis, args.open_requests))
            else:
                log("%s:" % name)
            defs[name] = scenarios.build(name, args)
            runs += interleaved(ctx, defs[name], configs, rate=rate if name == "ycsb-open" else 0)
        elif name == "fleet":
            if not ctx.nutcracker:
                notes.append("fleet skipped: nutcracker (twemproxy) is not installed "
                             "(apt install nutcracker)")
                log("hakmem-compare: " + notes[-1])
                continue
            log("fleet: %d servers per allocator behind nutcracker:" % args.fleet_servers)
            defs[name] = scenarios.build(name, args)
            runs += interleaved(ctx, defs[name], configs, runner=run_fleet)
        elif name == "phases":
            if "hakmem-S" not in configs:
                continue
            log("route switch live (%s, arena mode):" % args.phases)
            spec = allocators.launch("hakmem-S", "arena", args.build)
            rec = run_phases(ctx, spec, args.phases)
            log("  %s phases hakmem    %s" % (ctx.tick(), progress(rec)))
            runs.append(rec)
        elif name == "rocksdb-bench":
            log("hakmem-bench rocksdb under LD_PRELOAD:")
            more, more_notes = rocksdb_run.run_all(args, bins, raw_dir, log, ctx.tick, ctx.all_cpus)
            runs += more
            notes += more_notes

    summary = summarize(args, configs, notes, runs, defs, rate, basis, started, ctx)
    if not args.no_plots:
        summary["plots"], plot_notes = plots.make_all(summary, out_dir, raw_dir)
        summary["notes"] += plot_notes
    text = report.write(summary, os.path.join(out_dir, "summary.md"),
                        os.path.join(out_dir, "summary.json"))
    print(text)
    print("results: %s" % out_dir)
    ok = all(r["status"] == "ok" for r in summary["runs"])
    return 0 if ok else 1
