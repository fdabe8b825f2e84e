"""Smoke run of bench/hakmem-compare: two allocators, tiny durations; every output file exists and
summary.json holds a row per configuration. No timing assertions.

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
        for name in ("summary.md", "summary.json", "throughput_closed.png", "latency_closed.png",
                     "rss_closed.png", "latency_open.png", "rss_open.png", "throughput_rocksdb.png",
                     "route_switch.png"):
            path = os.path.join(res, name)
            assert os.path.getsize(path) > 0, path
        with open(os.path.join(res, "summary.json")) as f:
            s = json.load(f)
        for mode in ("closed", "open", "rocksdb"):
            assert [r["config"] for r in s[mode]] == ALLOCS, (mode, s[mode])
            assert all(r["ok"] == r["reps"] == 1 for r in s[mode]), s[mode]
        assert [p["route"] for p in s["phases_run"]["phases"]] == ["S", "P"], s["phases_run"]
        raw = os.listdir(os.path.join(res, "raw"))
        for mode in ("closed", "open"):
            for a in ALLOCS:
                for ext in (".json", ".hgrm", ".rss.tsv"):
                    assert "%s-%s-1%s" % (mode, a, ext) in raw, (mode, a, ext, raw)
        with open(os.path.join(res, "summary.md")) as f:
            md = f.read()
        for a in ALLOCS:
            assert "| %s | 1/1 |" % a in md, a
    print("smoke ok")


if __name__ == "__main__":
    main()
