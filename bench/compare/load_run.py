"""One hakmem-load invocation: its command line, its figures, and polling the server meanwhile."""

import os
import subprocess
import tempfile
import time

from . import children


def load_metrics(doc):
    """The figures the tables use, from one hakmem-load JSON document (schema hakmem-load/1)."""
    def stats(s):
        lat = s["latency_us"]
        return {
            "ops_per_sec": s["ops_per_sec"],
            "ops": s["ops"],
            "errors": s["errors"],
            "p50_us": lat["p50"],
            "p99_us": lat["p99"],
            "p999_us": lat["p99_9"],
            "max_us": lat["max"],
        }
    out = stats(doc["summary"])
    out["phases"] = [dict(stats(p), index=p["index"], route=p["route"]) for p in doc.get("phases", [])]
    return out


def memory_metrics(info):
    """Arena figures from INFO memory (strings) -> numbers; None where the allocator has none."""
    def num(key, kind=int):
        try:
            return kind(info[key])
        except (KeyError, ValueError):
            return None
    in_use = num("allocator_bytes_in_use")
    return {
        "arena_bytes_in_use": in_use if in_use else None,  # 0 means "unknown" in INFO
        "arena_bytes_committed": num("allocator_bytes_committed") or None,
        "server_objects_bytes": num("arena_bytes_in_use"),
        "page_reuse_rate": num("hakmem_page_reuse_rate", float),
        "mem_allocator": info.get("mem_allocator"),
    }


def hakmem_stats_metrics(counters):
    """The preloaded hakmem's figures from its HAKMEM_STATS line at exit (whole-process runs)."""
    if not counters:
        return {}
    return {"arena_bytes_in_use_peak": counters.get("bytes_in_use_peak"),
            "arena_bytes_in_use": counters.get("bytes_in_use"),
            "arena_bytes_committed": counters.get("bytes_committed"),
            "page_reuse_rate": counters.get("page_reuse_rate"),
            "mem_allocator": "hakmem (LD_PRELOAD)"}


def supports(binary, flag):
    """Whether `binary --help` lists `flag` (hakmem-load grows options; use them when present)."""
    try:
        out = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return flag in out


def command(ctx, step, port, json_path, hgrm_path, seed, rate=0, admin=None, phases=None):
    """hakmem-load's command line for one step (taskset on the load generator's CPUs)."""
    a = ctx.args
    cmd = ["taskset", "-c", ",".join(map(str, ctx.load_cpus))] if ctx.load_cpus else []
    cmd += [ctx.bins["load"], "--host", "127.0.0.1", "--port", str(port),
            "--threads", str(ctx.load_threads),
            "--connections", str(step.connections or a.connections),
            "--pipeline", str(step.pipeline or a.pipeline), "--workload", step.workload,
            "--keys", str(ctx.keys), "--load", str(step.load), "--value-size", step.value_size,
            "--warmup", str(step.warmup), "--seed", str(seed), "--json", json_path,
            "--hgrm", hgrm_path, "--quiet"]
    if phases:
        cmd += ["--admin", admin, "--phases", phases]
    else:
        cmd += ["--requests", str(step.requests)]
    if rate:
        cmd += ["--rate", str(int(rate))]
        if ctx.allow_rate_miss:
            cmd.append("--allow-rate-miss")  # a missed rate is a result here, shown in the summary
    return cmd


def phases_seconds(spec):
    """Total length of a --phases spec such as "S:3s,P:500ms"."""
    total = 0.0
    for item in spec.split(","):
        value = item.split(":", 1)[1].strip()
        for unit, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0)):
            if value.endswith(unit):
                total += float(value[:-len(unit)]) * scale
                break
    return total


def run_polling(cmd, server, timeout, poll_info=True, interval=0.5):
    """Runs hakmem-load while polling INFO memory; (finished process, peak allocator bytes or None).

    A run past `timeout` gets SIGTERM (hakmem-load then reports what it measured, exit 130)."""
    peak = None
    deadline = time.monotonic() + timeout
    with open(os.devnull, "w") as null, tempfile.TemporaryFile("w+") as err:
        proc = children.popen(cmd, stdout=null, stderr=err, text=True)
        try:
            while True:
                try:
                    proc.wait(timeout=interval)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline and proc.returncode is None:
                        proc.terminate()
                        deadline = float("inf")
                if not poll_info:
                    continue
                try:
                    in_use = memory_metrics(server.info("memory"))["arena_bytes_in_use"]
                except OSError:
                    continue  # a busy server may not answer in time; the next poll may
                if in_use is not None:
                    peak = max(peak or 0, in_use)
        finally:
            if proc.returncode is not None:
                children.forget(proc)  # else cleanup() stops it
        err.seek(0)
        proc.stderr_text = err.read()
    return proc, peak
