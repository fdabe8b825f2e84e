"""hakmem-compare: flags, profiles and the entry point (cleanup on SIGINT/SIGTERM)."""

import argparse
import datetime
import os
import re
import sys

from . import allocators, children, driver, scenarios

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The installed script (cmake/hakmem-compare.in) points these at the install prefix.
DEFAULT_BUILD = os.path.join(REPO, "build")
DEFAULT_OUT = os.path.join(REPO, "results")
VERSION = None  # None: read from the source tree's CMakeLists.txt


def version():
    if VERSION is not None:
        return VERSION
    try:
        with open(os.path.join(REPO, "CMakeLists.txt")) as f:
            m = re.search(r"project\(hakmem VERSION ([0-9.]+)", f.read())
        return m.group(1) if m else "unknown"
    except OSError:
        return "unknown"

# Sizes per profile; an explicit flag wins. "full" is the one to quote; "short" keeps scripts/demo
# under 10 minutes on 2 cores (3 reps, the burst 2); "smoke" proves the plumbing for ctest.
PROFILES = {
    "full": dict(reps=5, warmup=2.0, drift_keys=200000, drift_requests=400000,
                 ycsb_keys=100000, ycsb_requests=600000, open_seconds=10.0, conns_requests=400000,
                 burst_keys=4000, burst_reps=5, idle_seconds=10.0, phases="S:10s,P:10s",
                 rocksdb_seconds=10.0, rocksdb_keys=200000, rocksdb_reps=5),
    "short": dict(reps=3, warmup=1.0, drift_keys=100000, drift_requests=200000,
                  ycsb_keys=50000, ycsb_requests=160000, open_seconds=3.0, conns_requests=100000,
                  burst_keys=2000, burst_reps=2, idle_seconds=10.0, phases="S:3s,P:3s",
                  rocksdb_seconds=3.0, rocksdb_keys=100000, rocksdb_reps=1),
    "smoke": dict(reps=1, warmup=0.0, drift_keys=2000, drift_requests=4000,
                  ycsb_keys=2000, ycsb_requests=4000, open_seconds=0.5, conns_requests=4000,
                  burst_keys=100, burst_reps=1, idle_seconds=1.0, phases="S:500ms,P:500ms",
                  rocksdb_seconds=0.5, rocksdb_keys=2000, rocksdb_reps=1),
}
# The fleet: N servers per allocator behind nutcracker (scenario "fleet" only, unless
# --scenarios says otherwise); YCSB sizes of the short profile.
PROFILES["fleet"] = dict(PROFILES["short"], fleet_servers=3)
PROFILE_SCENARIOS = {"fleet": ["fleet"]}
PROFILES["default"] = PROFILES["full"]  # the name earlier versions used


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows "(default: X)" except for flags whose default comes from the profile."""

    def _get_help_string(self, action):
        if action.default is None:
            return action.help
        return super()._get_help_string(action)


def parser():
    p = argparse.ArgumentParser(
        prog="hakmem-compare",
        formatter_class=_Formatter,
        description="Compare allocators end to end. Each run: a fresh hakmem-server (memory store "
                    "by default) on its own CPUs, driven by hakmem-load through a scenario's "
                    "steps; by default each allocator serves the whole server process "
                    "(LD_PRELOAD). Runs are interleaved across allocators; summary.md opens with "
                    "a verdict per metric (bootstrap 95% intervals of the ratio to system "
                    "malloc). Results go to OUT/<timestamp>/ (summary.md, summary.json, raw/, "
                    "PNG plots). Scenarios: " + "; ".join(
                        "%s: %s" % kv for kv in scenarios.DESCRIPTIONS.items()) + ".",
        epilog="Profile defaults (an explicit flag wins): " + "; ".join(
            "%s: %s" % (name, ", ".join("%s=%s" % kv for kv in vals.items()))
            for name, vals in PROFILES.items() if name != "default"))
    p.add_argument("--profile", choices=[n for n in PROFILES if n != "default"] + ["default"],
                   default="full", help="preset sizes and repetitions ('default' = full)")
    p.add_argument("--version", action="version", version="hakmem-compare " + version())
    # No absolute path in --help (the man page is made from it): resolved in parse().
    p.add_argument("--build", help="build tree or install prefix holding bin/ and lib/libhakmem.so "
                                   "(default: build/ beside the sources; installed: the prefix)")
    p.add_argument("--out", help="parent of the result directory (default: results/ beside the "
                                 "sources; installed: results/ in the current directory)")
    p.add_argument("--allocs", default=",".join(allocators.DEFAULT),
                   help="configurations, comma-separated (missing peers are skipped with a "
                        "note); also on request: hakmem-P-nobg (Route P, background thread off)")
    p.add_argument("--scenarios", help="scenarios to run, comma-separated, in this order "
                                       "(default: %s; fleet profile: fleet)" %
                                       ",".join(scenarios.DEFAULT))
    p.add_argument("--store", choices=["memory", "rocksdb"], default="memory",
                   help="hakmem-server --store (rocksdb: the second profile)")
    p.add_argument("--arena-mode", action="store_true",
                   help="per-request arena mode: --arena NAME serves only the server's arena "
                        "objects, the rest of the process stays on glibc (default: each "
                        "allocator serves the whole process)")
    p.add_argument("--reps", type=int, help="interleaved repetitions per scenario (full: 5)")
    p.add_argument("--warmup", type=float, help="seconds of unrecorded load before a measured "
                                                "YCSB step (full: 2)")
    p.add_argument("--threads", type=int, help="hakmem-load I/O threads (default: the number of "
                                               "CPUs the load generator gets)")
    p.add_argument("--connections", type=int, default=16, help="hakmem-load connections")
    p.add_argument("--pipeline", type=int, default=4, help="requests in flight per connection")
    p.add_argument("--seed", type=int, default=1, help="seed of hakmem-load and of the deletes")
    p.add_argument("--drift-keys", type=int, help="size drift: keys (full: 200000)")
    p.add_argument("--drift-requests", type=int, help="size drift: YCSB-A requests of the "
                                                      "overwrite step (full: 400000)")
    p.add_argument("--drift-sizes", default="16-128,200-2000,32-512",
                   help="size drift: value sizes of the fill, overwrite and refill steps")
    p.add_argument("--ycsb-keys", type=int, help="YCSB and connections scenarios: keys (full: 100000)")
    p.add_argument("--ycsb-requests", type=int, help="YCSB closed loop: requests (full: 600000)")
    p.add_argument("--ycsb-value-size", default="8-4096", help="YCSB and connections: value sizes")
    p.add_argument("--rate", type=float, default=0,
                   help="open-loop rate in ops/s (0: --rate-fraction of system's closed-loop median)")
    p.add_argument("--rate-fraction", type=float, default=0.6,
                   help="open-loop rate as a fraction of system malloc's YCSB closed-loop median")
    p.add_argument("--open-seconds", type=float, help="open loop: requests = rate x this (full: 10)")
    p.add_argument("--conns", type=int, default=1000, help="many connections: connections")
    p.add_argument("--conns-pipeline", type=int, default=16, help="many connections: pipeline depth")
    p.add_argument("--conns-requests", type=int, help="many connections: requests (full: 400000)")
    p.add_argument("--burst-keys", type=int, help="burst: keys of large values (full: 4000)")
    p.add_argument("--burst-value-size", default="8192-65536", help="burst: value sizes")
    p.add_argument("--idle-seconds", type=float, help="burst: idle pause after the delete (full: 10)")
    p.add_argument("--burst-reps", type=int, help="burst: repetitions (full: 5)")
    p.add_argument("--phases", help="route phases of the live-switch run (full: S:10s,P:10s)")
    p.add_argument("--rocksdb-seconds", type=float, help="hakmem-bench rocksdb --seconds (full: 10)")
    p.add_argument("--rocksdb-keys", type=int,
                   help="hakmem-bench rocksdb --keys filled first (full: 200000)")
    p.add_argument("--rocksdb-reps", type=int, help="repetitions of each rocksdb run (full: 5)")
    p.add_argument("--fleet-servers", type=int,
                   help="fleet: hakmem-servers behind the proxy, all on one allocator (fleet: 3)")
    p.add_argument("--no-pin", action="store_true",
                   help="do not taskset the server and the load generator onto separate CPUs")
    p.add_argument("--no-plots", action="store_true", help="skip the gnuplot PNGs")
    p.add_argument("--server-arg", action="append", default=[],
                   help="extra hakmem-server flag (repeatable), e.g. --server-arg=--workers=4")
    return p


def parse(argv):
    p = parser()
    args = p.parse_args(argv)
    args.build = args.build or DEFAULT_BUILD
    args.out = args.out or DEFAULT_OUT
    if args.profile == "default":
        args.profile = "full"
    for key, value in PROFILES[args.profile].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.fleet_servers is None:
        args.fleet_servers = 3
    if args.scenarios is None:
        args.scenarios = ",".join(PROFILE_SCENARIOS.get(args.profile, scenarios.DEFAULT))
    if not 1 <= args.fleet_servers <= 64:
        p.error("--fleet-servers must be between 1 and 64")
    unknown = [a for a in args.allocs.split(",") if a and a not in allocators.CONFIGS]
    if unknown:
        p.error("unknown allocator %s (known: %s)" % (", ".join(unknown), ", ".join(allocators.CONFIGS)))
    wrong = [s for s in args.scenarios.split(",") if s and s not in scenarios.ORDER]
    if wrong:
        p.error("unknown scenario %s (known: %s)" % (", ".join(wrong), ", ".join(scenarios.ORDER)))
    if min(args.reps, args.rocksdb_reps, args.burst_reps) < 1:
        p.error("--reps, --burst-reps and --rocksdb-reps must be at least 1")
    if len(args.drift_sizes.split(",")) != 3:
        p.error("--drift-sizes needs three value sizes, e.g. 16-128,200-2000,32-512")
    if "ycsb-open" in args.scenarios.split(",") and not args.rate and \
            "ycsb-closed" not in args.scenarios.split(","):
        p.error("ycsb-open needs --rate or the ycsb-closed scenario to derive the rate from")
    args.scenario_list = [s for s in scenarios.ORDER if s in args.scenarios.split(",")]
    return args


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    bins = {name: os.path.join(args.build, "bin", binary) for name, binary in
            [("server", "hakmem-server"), ("load", "hakmem-load"), ("bench", "hakmem-bench")]}
    for name in ("server", "load"):
        if not os.access(bins[name], os.X_OK):
            print("hakmem-compare: %s not found (build it, or pass --build)" % bins[name], file=sys.stderr)
            return 2
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = os.path.join(args.out, stamp)
    children.install()
    try:
        return driver.run(args, bins, out_dir)
    except children.Interrupted as e:
        stopped = children.cleanup()
        print("hakmem-compare: %s; stopped %d child process(es), removed the temporary "
              "directories; partial results in %s" % (e, stopped, out_dir), file=sys.stderr)
        return 128 + e.signum
    finally:
        children.cleanup()
