"""One measured run: a fresh server, hakmem-load against it, the server's memory figures."""

import json
import os
import subprocess
import tempfile
import time

from .server import Server, ServerError


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


class LoadSettings:
    """hakmem-load flags shared by every run of one comparison."""

    def __init__(self, args):
        self.args = args

    def command(self, binary, port, json_path, hgrm_path, rate=0, admin=None, phases=None):
        a = self.args
        cmd = [binary, "--host", "127.0.0.1", "--port", str(port), "--threads", str(a.threads),
               "--connections", str(a.connections), "--pipeline", str(a.pipeline),
               "--workload", a.workload, "--keys", str(a.keys), "--load", str(a.load),
               "--value-size", a.value_size, "--warmup", str(a.warmup), "--seed", str(a.seed),
               "--json", json_path, "--hgrm", hgrm_path, "--quiet"]
        if phases:
            cmd += ["--admin", admin, "--phases", phases]
        else:
            cmd += ["--duration", str(a.duration)]
        if rate:
            cmd += ["--rate", str(int(rate))]
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


def run_polling(cmd, server, timeout, interval=0.5):
    """Runs hakmem-load while polling INFO memory; (finished process, peak allocator bytes or None).

    A run past `timeout` gets SIGTERM (hakmem-load then reports what it measured, exit 130)."""
    peak = None
    deadline = time.monotonic() + timeout
    with open(os.devnull, "w") as null, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=null, stderr=err, text=True)
        while True:
            try:
                proc.wait(timeout=interval)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline and proc.returncode is None:
                    proc.terminate()
                    deadline = float("inf")
            try:
                in_use = memory_metrics(server.info("memory"))["arena_bytes_in_use"]
            except OSError:
                continue  # a busy server may not answer in time; the next poll may
            if in_use is not None:
                peak = max(peak or 0, in_use)
        err.seek(0)
        proc.stderr_text = err.read()
    return proc, peak


def run_one(bins, spec, settings, raw_dir, tag, rate=0, phases=None, server_args=()):
    """Runs one configuration once; returns a record (status "ok" or "failed", never invented)."""
    rec = {"status": "failed", "failure": "", "rate": int(rate)}
    json_path = os.path.join(raw_dir, tag + ".json")
    hgrm_path = os.path.join(raw_dir, tag + ".hgrm")
    rss_path = os.path.join(raw_dir, tag + ".rss.tsv")
    server = Server(bins["server"], spec["arena"], route=spec.get("route"),
                    preload=spec.get("preload"), extra_args=server_args)
    try:
        server.start()
    except ServerError as e:
        rec["failure"] = str(e)
        return rec
    try:
        cmd = settings.command(bins["load"], server.port, json_path, hgrm_path, rate=rate,
                               admin=server.admin, phases=phases)
        rec["load_command"] = " ".join(cmd)
        load_start = server.sampler.now()
        a = settings.args
        length = phases_seconds(phases) if phases else a.duration
        proc, peak = run_polling(cmd, server, timeout=120 + 3 * (a.warmup + length))
        rec["load_window_s"] = [round(load_start, 3), round(server.sampler.now(), 3)]
        rec["arena_bytes_in_use_peak"] = peak
        if proc.returncode != 0:
            rec["failure"] = "hakmem-load exited %d: %s" % (proc.returncode, proc.stderr_text.strip()[-500:])
        try:
            with open(json_path) as f:
                doc = json.load(f)
            rec.update(load_metrics(doc))
            rec["load_json"] = os.path.basename(json_path)
            rec["hgrm"] = os.path.basename(hgrm_path)
            if doc["status"] != "ok" and not rec["failure"]:
                rec["failure"] = "hakmem-load status %s: %s" % (doc["status"], doc.get("failure", ""))
        except (OSError, ValueError, KeyError) as e:
            rec["failure"] = rec["failure"] or "no usable hakmem-load JSON (%s)" % e
        try:
            rec.update(memory_metrics(server.info("memory")))
            if rec["arena_bytes_in_use"] is not None:
                rec["arena_bytes_in_use_peak"] = max(rec["arena_bytes_in_use_peak"] or 0,
                                                     rec["arena_bytes_in_use"])
        except OSError as e:
            rec["failure"] = rec["failure"] or "INFO memory failed: %s" % e
        rec["rss_final_bytes"] = server.sampler.sample() or server.sampler.last()
    finally:
        server.stop()
    rec["rss_peak_bytes"] = server.sampler.peak
    rec["rss_file"] = os.path.basename(rss_path)
    with open(rss_path, "w") as f:
        f.write("# seconds since server start\trss bytes\n")
        for t, v in server.sampler.samples:
            f.write("%.3f\t%d\n" % (t, v))
    if not server.clean_exit and not rec["failure"]:
        rec["failure"] = "server did not exit cleanly on SIGTERM: " + server.log_text[-300:]
    rec["status"] = "failed" if rec["failure"] else "ok"
    return rec
