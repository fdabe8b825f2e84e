"""hakmem-compare: flags, profiles and the order of the runs."""

import argparse
import datetime
import os
import sys

from . import allocators, driver

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Defaults per profile; an explicit flag wins. "short" keeps scripts/demo under 4 minutes on 2 cores.
PROFILES = {
    "default": dict(reps=3, duration=10.0, warmup=2.0, keys=100000, load=100000, connections=16,
                    phases="S:10s,P:10s", rocksdb_seconds=10.0, rocksdb_keys=200000,
                    rocksdb_reps=3),
    "short": dict(reps=2, duration=2.0, warmup=0.5, keys=20000, load=20000, connections=8,
                  phases="S:3s,P:3s", rocksdb_seconds=3.0, rocksdb_keys=100000,
                  rocksdb_reps=1),
    # For the ctest smoke test: tiny and quick, proves the plumbing only.
    "smoke": dict(reps=1, duration=0.5, warmup=0.0, keys=1000, load=1000, connections=2,
                  phases="S:500ms,P:500ms", rocksdb_seconds=0.5, rocksdb_keys=2000,
                  rocksdb_reps=1),
}


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
        description="Compare allocators end to end: hakmem-server (one fresh server and data dir "
                    "per run, ephemeral ports on 127.0.0.1) under hakmem-load closed loop and open "
                    "loop, a live route switch through the admin RPC, and hakmem-bench rocksdb under "
                    "LD_PRELOAD. Runs are interleaved across allocators; results go to "
                    "OUT/<timestamp>/ (summary.md, summary.json, raw/, PNG plots).",
        epilog="Profile defaults (an explicit flag wins): " + "; ".join(
            "%s: %s" % (name, ", ".join("%s=%s" % kv for kv in vals.items()))
            for name, vals in PROFILES.items()))
    p.add_argument("--profile", choices=list(PROFILES), default="default",
                   help="preset durations and sizes")
    p.add_argument("--build", default=os.path.join(REPO, "build"),
                   help="build tree holding bin/ and lib/libhakmem.so")
    p.add_argument("--out", default=os.path.join(REPO, "results"), help="parent of the result directory")
    p.add_argument("--allocs", default=",".join(allocators.DEFAULT),
                   help="configurations, comma-separated (missing peers are skipped with a note)")
    p.add_argument("--reps", type=int, help="repetitions of each configuration (default profile: 3)")
    p.add_argument("--duration", type=float, help="seconds measured per run (default profile: 10)")
    p.add_argument("--warmup", type=float, help="seconds of unrecorded load per run (default profile: 2)")
    p.add_argument("--threads", type=int, default=2, help="hakmem-load I/O threads")
    p.add_argument("--connections", type=int, help="hakmem-load connections (default profile: 16)")
    p.add_argument("--pipeline", type=int, default=4, help="requests in flight per connection")
    p.add_argument("--workload", default="a", help="hakmem-load workload (a b c d f larson)")
    p.add_argument("--keys", type=int, help="key space (default profile: 100000)")
    p.add_argument("--load", type=int, help="records preloaded before each run (default profile: = keys)")
    p.add_argument("--value-size", default="8-1000", help="hakmem-load --value-size")
    p.add_argument("--seed", type=int, default=1, help="hakmem-load seed")
    p.add_argument("--rate", type=float, default=0,
                   help="open-loop rate in ops/s (0: --rate-fraction of system's median max)")
    p.add_argument("--rate-fraction", type=float, default=0.6,
                   help="open-loop rate as a fraction of system malloc's closed-loop median")
    p.add_argument("--phases", help="route phases of the live-switch run ('none' skips it; "
                                    "default profile: S:10s,P:10s)")
    p.add_argument("--rocksdb-seconds", type=float, help="hakmem-bench rocksdb --seconds (default profile: 10)")
    p.add_argument("--rocksdb-keys", type=int,
                   help="hakmem-bench rocksdb --keys filled first (default profile: 200000)")
    p.add_argument("--rocksdb-reps", type=int, help="repetitions of each rocksdb run (default profile: 3)")
    p.add_argument("--no-open", action="store_true", help="skip the open-loop runs")
    p.add_argument("--no-rocksdb", action="store_true", help="skip hakmem-bench rocksdb")
    p.add_argument("--no-plots", action="store_true", help="skip the gnuplot PNGs")
    p.add_argument("--server-arg", action="append", default=[],
                   help="extra hakmem-server flag (repeatable), e.g. --server-arg=--workers=4")
    return p


def parse(argv):
    args = parser().parse_args(argv)
    for key, value in PROFILES[args.profile].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.load is None:
        args.load = args.keys
    unknown = [a for a in args.allocs.split(",") if a and a not in allocators.CONFIGS]
    if unknown:
        parser().error("unknown allocator %s (known: %s)" % (", ".join(unknown),
                                                             ", ".join(allocators.CONFIGS)))
    if args.reps < 1 or args.rocksdb_reps < 1:
        parser().error("--reps and --rocksdb-reps must be at least 1")
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
    return driver.run(args, bins, out_dir)
