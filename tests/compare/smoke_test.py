"""Smoke run of bench/hakmem-compare: two allocators (whole process), tiny sizes, every scenario;
every output file exists, summary.md opens with the verdict and summary.json holds a row per
configuration in every scenario. No timing assertions.

usage: smoke_test.py BUILD_DIR
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "..", "..", "bench", "hakmem-compare")
ALLOCS = ["hakmem-S", "system"]
SERVER_SCENARIOS = ["drift", "ycsb-closed", "ycsb-open", "conns", "burst"]


def main():
    build = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="hakmem-compare-smoke-") as out:
        proc = subprocess.run([sys.executable, DRIVER, "--profile", "smoke", "--build", build,
                               "--out", out, "--allocs", ",".join(ALLOCS)],
                              capture_output=True, text=True, timeout=120)
        print(proc.stdout[-4000:])
        print(proc.stderr[-4000:], file=sys.stderr)
        assert proc.returncode == 0, "hakmem-compare exited %d" % proc.returncode
        [stamp] = os.listdir(out)
        res = os.path.join(out, stamp)
        names = ["summary.md", "summary.json", "route_switch.png", "throughput_rocksdb.png"]
        for sc in SERVER_SCENARIOS:
            names += ["rss_%s.png" % sc, "rss_time_%s.png" % sc]
            if sc != "burst":
                names += ["throughput_%s.png" % sc, "latency_%s.png" % sc]
        for name in names:
            path = os.path.join(res, name)
            assert os.path.getsize(path) > 0, path
        with open(os.path.join(res, "summary.json")) as f:
            s = json.load(f)
        assert s["process_mode"] == "whole", s["process_mode"]
        for sc in SERVER_SCENARIOS:
            rows = s["scenarios"][sc]["rows"]
            assert [r["config"] for r in rows] == ALLOCS, (sc, rows)
            assert all(r["ok"] == r["reps"] == 1 for r in rows), (sc, rows)
        assert [r["config"] for r in s["rocksdb"]] == ALLOCS, s["rocksdb"]
        drift = [r for r in s["runs"] if r["mode"] == "drift"]
        for r in drift:  # every step measured its RSS and the live data it left
            assert [st["live_keys"] for st in r["steps"]] == [2000, 2000, 1000, 2000], r["steps"]
            assert all(st["rss_per_live"] > 0 for st in r["steps"]), r["steps"]
        hakmem = next(r for r in drift if r["config"] == "hakmem-S")
        assert hakmem["mem_allocator"] == "hakmem (LD_PRELOAD)", hakmem["mem_allocator"]
        assert hakmem["arena_bytes_in_use_peak"] > 0, hakmem  # from HAKMEM_STATS at exit
        assert [p["route"] for p in s["phases_run"]["phases"]] == ["S", "P"], s["phases_run"]
        raw = os.listdir(os.path.join(res, "raw"))
        for a in ALLOCS:
            for name in ("drift-%s-1.rss.tsv" % a, "drift-%s-1.1.json" % a, "ycsb-open-%s-1.1.hgrm" % a):
                assert name in raw, (name, raw)
        with open(os.path.join(res, "summary.md")) as f:
            md = f.read()
        assert md.split("\n")[2] == "## Verdict", md[:200]
        assert "- drift, peak RSS (lower is better) vs system: hakmem-S " in md, md[:2000]
        for a in ALLOCS:
            assert "| %s | 1/1 |" % a in md, a
    print("smoke ok")


if __name__ == "__main__":
    main()
