"""The scenarios: named sequences of steps run against one fresh server per run.

A step is a hakmem-load invocation (a preload and/or a fixed number of requests), a DEL of keys
(hakmem-load has no delete mix, so the driver sends them), or an idle pause. Steps are fixed
request counts, never durations, so every allocator ends a step with the same data.
"""

from dataclasses import dataclass, field

ORDER = ["drift", "ycsb-closed", "ycsb-open", "conns", "burst", "phases", "rocksdb-bench", "fleet"]
DEFAULT = [s for s in ORDER if s != "fleet"]  # fleet needs nutcracker: --profile fleet runs it
DESCRIPTIONS = {
    "drift": "size drift: fill, overwrite with larger values, delete a random half, refill with a "
             "third size mix; RSS and RSS / live data after each step",
    "ycsb-closed": "YCSB-A (50% GET / 50% SET, zipfian keys) closed loop",
    "ycsb-open": "YCSB-A open loop at a fixed rate (a fraction of system malloc's closed-loop "
                 "throughput), latency from the intended send time",
    "conns": "many connections with deep pipelines, YCSB-A",
    "burst": "burst then idle: a burst of large values, all deleted, then the server idles "
             "(does RSS come back down?)",
    "phases": "the hakmem route switched live over the admin RPC (arena mode: one server)",
    "rocksdb-bench": "hakmem-bench rocksdb (embedded RocksDB, no server) under LD_PRELOAD",
    "fleet": "YCSB-A closed loop through nutcracker (twemproxy) to a fleet of servers, each on "
             "the allocator; p99 as the client sees it across the fleet, RSS summed over the "
             "servers",
}
# metric -> (label, direction): +1 higher is better, -1 lower is better.
METRIC_INFO = {
    "ops_per_sec": ("throughput", +1),
    "p99_us": ("p99", -1),
    "p999_us": ("p99.9", -1),
    "rss_peak_bytes": ("peak RSS", -1),
    "rss_final_bytes": ("final RSS", -1),
    "frag_final": ("RSS / live data at the end", -1),
    "rss_after_idle_bytes": ("RSS after the idle pause", -1),
    "fill_ops_per_sec": ("fill throughput", +1),
}


@dataclass
class Step:
    name: str
    kind: str                 # "load", "delete" (a random fraction of the keys), "idle"
    load: int = 0             # hakmem-load --load (keys 0..load-1 SET before the requests)
    value_size: str = "100"
    workload: str = "c"       # c: GETs only, for steps that only preload
    requests: int = 1
    warmup: float = 0.0
    connections: int = 0      # 0: the comparison's --connections
    pipeline: int = 0
    open_loop: bool = False   # --rate: the comparison's open-loop rate
    fraction: float = 0.0     # delete: share of the keys, chosen by a seeded random sample
    seconds: float = 0.0      # idle
    live: bool = False        # count live data (MGET of every key) after the step


@dataclass
class Scenario:
    name: str
    keys: int
    steps: list
    measured: str = ""        # the step whose throughput and latency are the scenario's
    verdict: list = field(default_factory=list)  # metrics with a verdict line
    reps: int = 0             # 0: the comparison's --reps

    @property
    def description(self):
        return DESCRIPTIONS[self.name]


def build(name, a):
    """The Scenario `name` with the sizes of the parsed arguments `a` (cli.parse)."""
    if name == "drift":
        first, second, third = a.drift_sizes.split(",")
        n = a.drift_keys
        return Scenario(name, n, [
            Step("fill %s B" % first, "load", load=n, value_size=first, live=True),
            Step("overwrite %s B" % second, "load", value_size=second, workload="a",
                 requests=a.drift_requests, live=True),
            Step("delete half", "delete", fraction=0.5, live=True),
            Step("refill %s B" % third, "load", load=n, value_size=third, live=True),
        ], measured="overwrite %s B" % second,
            verdict=["rss_peak_bytes", "rss_final_bytes", "frag_final", "ops_per_sec"])
    if name in ("ycsb-closed", "ycsb-open"):
        k = a.ycsb_keys
        open_loop = name == "ycsb-open"
        return Scenario(name, k, [
            Step("fill %s B" % a.ycsb_value_size, "load", load=k, value_size=a.ycsb_value_size),
            Step("YCSB-A", "load", value_size=a.ycsb_value_size, workload="a",
                 requests=a.open_requests if open_loop else a.ycsb_requests, warmup=a.warmup,
                 open_loop=open_loop),
        ], measured="YCSB-A",
            verdict=(["p99_us", "p999_us", "rss_peak_bytes"] if open_loop else
                     ["ops_per_sec", "p99_us", "rss_peak_bytes"]))
    if name == "fleet":
        k = a.ycsb_keys
        return Scenario(name, k, [
            Step("fill %s B" % a.ycsb_value_size, "load", load=k, value_size=a.ycsb_value_size),
            Step("YCSB-A via proxy", "load", value_size=a.ycsb_value_size, workload="a",
                 requests=a.ycsb_requests, warmup=a.warmup),
        ], measured="YCSB-A via proxy", verdict=["p99_us", "ops_per_sec", "rss_peak_bytes"])
    if name == "conns":
        k = a.ycsb_keys
        return Scenario(name, k, [
            Step("fill %s B" % a.ycsb_value_size, "load", load=k, value_size=a.ycsb_value_size),
            Step("%d conns x %d deep" % (a.conns, a.conns_pipeline), "load",
                 value_size=a.ycsb_value_size, workload="a", requests=a.conns_requests,
                 warmup=a.warmup, connections=a.conns, pipeline=a.conns_pipeline),
        ], measured="%d conns x %d deep" % (a.conns, a.conns_pipeline),
            verdict=["ops_per_sec", "p99_us", "rss_peak_bytes"])
    if name == "burst":
        k = a.burst_keys
        return Scenario(name, k, [
            Step("burst %s B" % a.burst_value_size, "load", load=k, value_size=a.burst_value_size),
            Step("delete all", "delete", fraction=1.0),
            Step("idle %g s" % a.idle_seconds, "idle", seconds=a.idle_seconds),
        ], verdict=["rss_peak_bytes", "rss_after_idle_bytes"], reps=a.burst_reps)
    raise ValueError("not a server scenario: %s" % name)


def summary_text(s):
    """One line: what each step does."""
    parts = []
    for st in s.steps:
        if st.kind == "load":
            what = []
            if st.load:
                what.append("SET keys 0..%d (%s B values)" % (st.load - 1, st.value_size))
            if st.requests > 1:
                what.append("%d %s requests (workload %s, %s B values%s%s%s)" % (
                    st.requests, "open-loop" if st.open_loop else "closed-loop", st.workload,
                    st.value_size, ", %d connections" % st.connections if st.connections else "",
                    ", pipeline %d" % st.pipeline if st.pipeline else "",
                    ", after %.1f s unrecorded warm-up" % st.warmup if st.warmup else ""))
            parts.append("%s: %s" % (st.name, " then ".join(what)))
        elif st.kind == "delete":
            parts.append("%s: DEL of %s of the %d keys" % (
                st.name, "all" if st.fraction >= 1 else "a seeded random %d%%" % round(st.fraction * 100),
                s.keys))
        else:
            parts.append("%s: no requests, RSS sampled" % st.name)
    return "; ".join(parts)
