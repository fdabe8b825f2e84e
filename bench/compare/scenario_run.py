"""One run of one scenario for one allocator: a fresh server, its steps, its memory figures."""

import json
import os
import random
import time

from . import load_run
from .scenarios import Step
from .server import Server, ServerError

HEADLINE = ["ops_per_sec", "ops", "errors", "p50_us", "p99_us", "p999_us", "max_us"]


def start_server(ctx, spec):
    return Server(ctx.bins["server"], spec["arena"], route=spec.get("route"),
                  preload=spec.get("preload"), store=ctx.args.store, extra_args=ctx.args.server_arg,
                  env=spec.get("env"), cpus=ctx.server_cpus,
                  hakmem_stats=spec.get("counter") == "hakmem_stats")


def rss_rise(samples, start, end):
    """Growth of RSS over the last quarter of [start, end], as a fraction of RSS at the end."""
    inside = [(t, v) for t, v in samples if start <= t <= end]
    if len(inside) < 4 or not inside[-1][1]:
        return None
    cut = start + 0.75 * (end - start)
    at_cut = next(v for t, v in inside if t >= cut)
    return (inside[-1][1] - at_cut) / float(inside[-1][1])


def run_load_step(ctx, server, step, rec, srec, tag, seed, rate):
    json_path = os.path.join(ctx.raw_dir, tag + ".json")
    hgrm_path = os.path.join(ctx.raw_dir, tag + ".hgrm")
    cmd = load_run.command(ctx, step, server.port, json_path, hgrm_path, seed,
                           rate=rate if step.open_loop else 0)
    srec["command"] = " ".join(cmd)
    timeout = 120 + 3 * step.warmup + (step.requests / rate if step.open_loop and rate else 0)
    proc, peak = load_run.run_polling(cmd, server, timeout, poll_info=server.counter_in_info)
    if peak is not None:
        rec["arena_bytes_in_use_peak"] = max(rec.get("arena_bytes_in_use_peak") or 0, peak)
    failure = ""
    if proc.returncode != 0:
        failure = "hakmem-load exited %d: %s" % (proc.returncode, proc.stderr_text.strip()[-500:])
    try:
        with open(json_path) as f:
            doc = json.load(f)
        srec.update({k: v for k, v in load_run.load_metrics(doc).items() if k in HEADLINE})
        srec["load_json"], srec["hgrm"] = os.path.basename(json_path), os.path.basename(hgrm_path)
        if doc["status"] != "ok" and not failure:
            failure = "hakmem-load status %s: %s" % (doc["status"], doc.get("failure", ""))
    except (OSError, ValueError, KeyError) as e:
        failure = failure or "no usable hakmem-load JSON (%s)" % e
    if step.open_loop and rate:
        srec["rate"] = int(rate)
        srec["rate_achieved"] = (srec.get("ops_per_sec") or 0) / float(int(rate))
    return failure


def run_step(ctx, server, scenario, step, rec, tag, seed, rate):
    """Runs one step; fills and returns its record's failure ("" when it went well)."""
    srec = {"name": step.name, "start_s": round(server.sampler.now(), 3)}
    rec["steps"].append(srec)
    failure = ""
    if step.kind == "load":
        failure = run_load_step(ctx, server, step, rec, srec, tag, seed, rate)
    elif step.kind == "delete":
        ids = range(scenario.keys) if step.fraction >= 1 else sorted(
            random.Random(seed).sample(range(scenario.keys), int(scenario.keys * step.fraction)))
        try:
            with server.client() as c:
                srec["deleted"] = c.delete(ids)
        except OSError as e:
            failure = "DEL failed: %s" % e
    elif step.kind == "idle":
        time.sleep(step.seconds)
    srec["end_s"] = round(server.sampler.now(), 3)
    srec["rss_end_bytes"] = server.sampler.sample()
    if step.live and not failure:
        try:
            with server.client() as c:
                srec["live_keys"], srec["live_bytes"] = c.live_data(scenario.keys)
        except OSError as e:
            failure = "reading the keys back failed: %s" % e
        if srec.get("live_bytes") and srec["rss_end_bytes"]:
            srec["rss_per_live"] = srec["rss_end_bytes"] / float(srec["live_bytes"])
    return failure


def derive(rec, scenario, samples):
    """The run's headline figures (flat, so stats.aggregate can take medians of them)."""
    steps = {s["name"]: s for s in rec["steps"]}
    m = steps.get(scenario.measured)
    if m:
        rec.update({k: m.get(k) for k in HEADLINE})
        rec["rss_rise_last_quarter"] = rss_rise(samples, m["start_s"], m["end_s"])
        if "rate_achieved" in m:
            rec["rate"], rec["rate_achieved"] = m["rate"], m["rate_achieved"]
    fr = [s["rss_per_live"] for s in rec["steps"] if s.get("rss_per_live")]
    if fr:
        rec["frag_final"], rec["frag_peak"] = fr[-1], max(fr)
        rec["live_bytes_final"] = rec["steps"][-1].get("live_bytes")
    if scenario.name == "burst" and len(rec["steps"]) == 3:
        burst, deleted, idle = rec["steps"]
        before = next((v for t, v in samples if t >= burst["start_s"]), None)
        rec["rss_before_burst_bytes"] = before
        rec["rss_after_delete_bytes"] = deleted["rss_end_bytes"]
        rec["rss_after_idle_bytes"] = idle["rss_end_bytes"]
        peak = rec.get("rss_peak_bytes")
        if before is not None and peak and peak > before and idle["rss_end_bytes"]:
            rec["rss_returned_fraction"] = (peak - idle["rss_end_bytes"]) / float(peak - before)


def finish(rec, server, ctx, tag, poll_failure=""):
    """After server.stop(): RSS series to raw/, peak RSS, allocator counters, status."""
    rss_path = os.path.join(ctx.raw_dir, tag + ".rss.tsv")
    rec["rss_peak_bytes"] = server.sampler.peak if server.sampler else None
    rec["rss_file"] = os.path.basename(rss_path)
    with open(rss_path, "w") as f:
        f.write("# seconds since server start\trss bytes\n")
        for t, v in (server.sampler.samples if server.sampler else []):
            f.write("%.3f\t%d\n" % (t, v))
    if server.hakmem_stats:
        stats = load_run.hakmem_stats_metrics(server.stats)
        if not stats and not rec["failure"]:
            rec["failure"] = "libhakmem.so wrote no HAKMEM_STATS line at exit"
        rec.update(stats)
    if server.clean_exit is False and not rec["failure"]:
        rec["failure"] = "server did not exit cleanly on SIGTERM: " + server.log_text[-300:]
    rec["status"] = "failed" if rec["failure"] else "ok"


def run_scenario(ctx, scenario, name, spec, rep, rate=0):
    """Runs `scenario` once for configuration `name`; a record (status "ok" or "failed")."""
    tag = "%s-%s-%d" % (scenario.name, name, rep)
    rec = {"config": name, "mode": scenario.name, "rep": rep, "status": "failed", "failure": "",
           "steps": []}
    server = start_server(ctx, spec)
    server.counter_in_info = spec.get("counter") == "info"
    ctx.keys = scenario.keys
    try:
        server.start()
    except ServerError as e:
        rec["failure"] = str(e)
        return rec
    try:
        for i, step in enumerate(scenario.steps):
            seed = ctx.args.seed + 1000 * rep + i  # the same for every allocator in a rep
            rec["failure"] = run_step(ctx, server, scenario, step, rec, "%s.%d" % (tag, i), seed, rate)
            if rec["failure"]:
                break
        rec["rss_final_bytes"] = rec["steps"][-1]["rss_end_bytes"] if rec["steps"] else None
        if not rec["failure"]:
            try:
                info = load_run.memory_metrics(server.info("memory"))
                if server.counter_in_info:
                    rec.update(info)
                    if info["arena_bytes_in_use"] is not None:
                        rec["arena_bytes_in_use_peak"] = max(rec.get("arena_bytes_in_use_peak") or 0,
                                                             info["arena_bytes_in_use"])
                else:
                    rec["mem_allocator"] = info["mem_allocator"]
            except OSError as e:
                rec["failure"] = "INFO memory failed: %s" % e
    finally:
        server.stop()
    finish(rec, server, ctx, tag)
    derive(rec, scenario, server.sampler.samples)
    return rec


def run_phases(ctx, spec, phases):
    """The live route switch: one server, hakmem-load --phases switching it over the admin RPC."""
    tag = "phases-hakmem"
    rec = {"config": "hakmem-S", "mode": "phases", "rep": 1, "status": "failed", "failure": "",
           "steps": []}
    server = start_server(ctx, spec)
    server.counter_in_info = True
    ctx.keys = ctx.args.ycsb_keys
    try:
        server.start()
    except ServerError as e:
        rec["failure"] = str(e)
        return rec
    step = Step("phases", "load", load=ctx.keys, value_size=ctx.args.ycsb_value_size,
                workload="a", warmup=ctx.args.warmup)
    json_path = os.path.join(ctx.raw_dir, tag + ".json")
    try:
        cmd = load_run.command(ctx, step, server.port, json_path,
                               os.path.join(ctx.raw_dir, tag + ".hgrm"), ctx.args.seed,
                               admin=server.admin, phases=phases)
        rec["load_command"] = " ".join(cmd)
        proc, peak = load_run.run_polling(cmd, server, 120 + 3 * load_run.phases_seconds(phases))
        rec["arena_bytes_in_use_peak"] = peak
        if proc.returncode != 0:
            rec["failure"] = "hakmem-load exited %d: %s" % (proc.returncode, proc.stderr_text.strip()[-500:])
        try:
            with open(json_path) as f:
                rec.update(load_run.load_metrics(json.load(f)))
            rec["load_json"] = os.path.basename(json_path)
        except (OSError, ValueError, KeyError) as e:
            rec["failure"] = rec["failure"] or "no usable hakmem-load JSON (%s)" % e
        try:
            rec.update(load_run.memory_metrics(server.info("memory")))
        except OSError as e:
            rec["failure"] = rec["failure"] or "INFO memory failed: %s" % e
        rec["rss_final_bytes"] = server.sampler.sample() or server.sampler.last()
    finally:
        server.stop()
    finish(rec, server, ctx, tag)
    return rec
