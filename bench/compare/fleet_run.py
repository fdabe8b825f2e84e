"""One run of the fleet scenario for one allocator: N fresh servers, all on that allocator,
behind one nutcracker; hakmem-load drives the proxy. Latency is what the client sees through
the proxy (p99 across the fleet); memory is the fleet's total (the sum over the servers)."""

import json
import os

from . import load_run, resp
from .proxy import Nutcracker, ProxyError
from .scenario_run import HEADLINE, start_server
from .server import ServerError


def summed_series(servers):
    """(t, sum of every server's latest RSS) on the first server's clock."""
    base = servers[0].sampler
    events = []
    for i, s in enumerate(servers):
        offset = s.sampler._t0 - base._t0
        events += [(t + offset, i, v) for t, v in s.sampler.samples]
    events.sort()
    latest, out = {}, []
    for t, i, v in events:
        latest[i] = v
        if len(latest) == len(servers):
            out.append((round(t, 3), sum(latest.values())))
    return out


def run_fleet(ctx, scenario, name, spec, rep, rate=0):
    tag = "%s-%s-%d" % (scenario.name, name, rep)
    rec = {"config": name, "mode": scenario.name, "rep": rep, "status": "failed", "failure": "",
           "steps": [], "servers": ctx.args.fleet_servers}
    servers, proxy = [], None
    ctx.keys = scenario.keys
    try:
        for _ in range(ctx.args.fleet_servers):
            s = start_server(ctx, spec)
            servers.append(s)
            s.start()
        # The proxy is single-threaded; it shares the load generator's CPUs, so the servers
        # keep theirs as in the one-server scenarios.
        proxy = Nutcracker(ctx.nutcracker, ["127.0.0.1:%d" % s.port for s in servers],
                           cpus=ctx.load_cpus)
        proxy.start()
        for i, step in enumerate(scenario.steps):
            seed = ctx.args.seed + 1000 * rep + i
            srec = {"name": step.name, "start_s": round(servers[0].sampler.now(), 3)}
            rec["steps"].append(srec)
            json_path = os.path.join(ctx.raw_dir, "%s.%d.json" % (tag, i))
            cmd = load_run.command(ctx, step, proxy.port, json_path,
                                   os.path.join(ctx.raw_dir, "%s.%d.hgrm" % (tag, i)), seed)
            srec["command"] = " ".join(cmd)
            proc, _ = load_run.run_polling(cmd, None, 120 + 3 * step.warmup, poll_info=False)
            if proc.returncode != 0:
                rec["failure"] = "hakmem-load exited %d: %s" % (proc.returncode,
                                                               proc.stderr_text.strip()[-500:])
            try:
                with open(json_path) as f:
                    srec.update({k: v for k, v in load_run.load_metrics(json.load(f)).items()
                                 if k in HEADLINE})
                srec["load_json"] = os.path.basename(json_path)
                srec["hgrm"] = os.path.basename(json_path)[:-len(".json")] + ".hgrm"
            except (OSError, ValueError, KeyError) as e:
                rec["failure"] = rec["failure"] or "no usable hakmem-load JSON (%s)" % e
            srec["end_s"] = round(servers[0].sampler.now(), 3)
            srec["rss_end_bytes"] = sum(s.sampler.sample() or 0 for s in servers)
            if rec["failure"]:
                break
        if not rec["failure"]:
            keys = []
            for s in servers:
                with resp.Client(s.port, timeout=30) as c:
                    keys.append(c.call("DBSIZE"))
            rec["keys_per_server"] = keys
            if min(keys) == 0:
                rec["failure"] = "a server holds no key (DBSIZE %s): the proxy did not spread them" % keys
    except (ServerError, ProxyError, OSError) as e:
        rec["failure"] = rec["failure"] or str(e)
    finally:
        if proxy:
            proxy.stop()
        for s in servers:
            s.stop()
    started = [s for s in servers if s.sampler]
    if started:
        rec["rss_peak_bytes"] = sum(s.sampler.peak for s in started)  # sum of each one's peak
        rec["rss_per_server_peak_bytes"] = [s.sampler.peak for s in started]
        rec["rss_final_bytes"] = rec["steps"][-1]["rss_end_bytes"] if rec["steps"] else None
        rss_path = os.path.join(ctx.raw_dir, tag + ".rss.tsv")
        rec["rss_file"] = os.path.basename(rss_path)
        with open(rss_path, "w") as f:
            f.write("# seconds since the first server started\tsum of the servers' rss bytes\n")
            for t, v in summed_series(started):
                f.write("%.3f\t%d\n" % (t, v))
    unclean = [s for s in started if s.clean_exit is False]
    if unclean and not rec["failure"]:
        rec["failure"] = "a server did not exit cleanly on SIGTERM: " + unclean[0].log_text[-300:]
    measured = next((st for st in rec["steps"] if st["name"] == scenario.measured), None)
    if measured:
        rec.update({k: measured.get(k) for k in HEADLINE})
    rec["status"] = "failed" if rec["failure"] else "ok"
    return rec
