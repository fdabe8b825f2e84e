"""hakmem-bench rocksdb under LD_PRELOAD of each allocator: RocksDB's own allocations as workload."""

import json
import os
import subprocess

from . import allocators, children
from .order import rotated

METRICS = ["ops_per_sec", "fill_ops_per_sec", "rss_peak_bytes", "rss_final_bytes"]


def settings_text(args):
    return ("%d keys filled by 4 threads, then %.1f s of gets and scans on 3 threads while one "
            "writes; 8 MiB block cache; %d reps" % (args.rocksdb_keys, args.rocksdb_seconds,
                                                   args.rocksdb_reps))


def bench_metrics(doc):
    """Figures of one `hakmem-bench rocksdb --json` report."""
    return {"ops_per_sec": doc["ops_per_sec"],
            "fill_ops_per_sec": doc["extra"].get("fill_ops_per_sec"),
            "rss_peak_bytes": doc["peak_rss"],
            "rss_final_bytes": doc["final_rss"],
            "page_reuse_rate": doc["page_reuse_rate"] if doc["page_reuse_rate"] >= 0 else None}


def targets(config_names, build_dir):
    """name -> environment additions, in the order given; notes for what cannot run."""
    out, notes = {}, []
    for name in config_names:
        base = "hakmem" if name.startswith("hakmem") else name
        try:
            lib = allocators.preload_path(base, build_dir)
        except LookupError as e:
            notes.append("rocksdb: " + str(e))
            continue
        env = {"LD_PRELOAD": lib} if lib else {}
        if base == "hakmem":
            env["HAKMEM_ROUTE"] = name.split("-", 1)[1] if "-" in name else "S"
        out[name] = env
    return out, notes


def run_all(args, bins, raw_dir, log, tick=lambda: "", cpus=None):
    """reps x allocators, interleaved; cpus: taskset list (the benchmark is its own load)."""
    bench = bins["bench"]
    probe = subprocess.run([bench, "rocksdb", "--help"], capture_output=True) if os.access(
        bench, os.X_OK) else None
    if probe is None or probe.returncode != 0:
        return [], ["rocksdb skipped: %s has no 'rocksdb' subcommand (not built)" % bench]
    names = [a for a in args.allocs.split(",") if a]
    envs, notes = targets(names, args.build)
    for n in notes:
        log("hakmem-compare: " + n)
    runs = []
    for rep in range(1, args.rocksdb_reps + 1):
        for name, extra in rotated(envs, rep):
            rec = run_bench(bench, args, extra, os.path.join(raw_dir, "rocksdb-%s-%d.json" % (name, rep)),
                            cpus)
            rec.update(config=name, mode="rocksdb", rep=rep, env=extra)
            status = ("%s ops/s, peak RSS %.1f MiB" % (round(rec["ops_per_sec"]),
                                                        rec["rss_peak_bytes"] / 1048576.0)
                      if rec["status"] == "ok" else "FAILED: " + rec["failure"][:300])
            log("  %s rocksdb-bench rep %d/%d %-9s %s" % (tick(), rep, args.rocksdb_reps, name, status))
            runs.append(rec)
    return runs, notes


def planned(args):
    """How many runs run_all will make (for the progress count)."""
    names = [a for a in args.allocs.split(",") if a]
    return len(targets(names, args.build)[0]) * args.rocksdb_reps


def run_bench(bench, args, extra_env, json_path, cpus=None):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.update(extra_env)
    cmd = ["taskset", "-c", ",".join(map(str, cpus))] if cpus else []
    cmd += [bench, "rocksdb", "--seconds", str(args.rocksdb_seconds), "--keys",
           str(args.rocksdb_keys), "--threads", "4", "--block-cache-mb", "8", "--json"]
    rec = {"status": "failed", "failure": "", "command": " ".join(cmd)}
    proc = children.popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, err = proc.communicate(timeout=120 + 10 * args.rocksdb_seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        children.forget(proc)
        rec["failure"] = "timed out"
        return rec
    children.forget(proc)
    with open(json_path, "w") as f:
        f.write(out)
    if proc.returncode != 0:
        rec["failure"] = "exit %d: %s" % (proc.returncode, err.strip()[-500:])
        return rec
    try:
        rec.update(bench_metrics(json.loads(out.strip().splitlines()[-1])))
    except (ValueError, KeyError, IndexError) as e:
        rec["failure"] = "unreadable report (%s)" % e
        return rec
    rec["raw"] = os.path.basename(json_path)
    rec["status"] = "ok"
    return rec
