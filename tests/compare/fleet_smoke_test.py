"""Smoke run of hakmem-compare --profile fleet at tiny sizes: three servers per allocator behind
nutcracker, both allocators' runs ok, every server held keys, RSS is the fleet's sum. Exits 77
(ctest: skipped) without nutcracker. No timing assertions.

usage: fleet_smoke_test.py BUILD_DIR
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "..", "..", "bench", "hakmem-compare")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
from compare import proxy  # noqa: E402


def main():
    if not proxy.find():
        print("nutcracker is not installed (apt install nutcracker): skipped")
        return 77
    build = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="hakmem-compare-fleet-") as out:
        proc = subprocess.run([sys.executable, DRIVER, "--profile", "fleet", "--build", build,
                               "--out", out, "--allocs", "hakmem-P,system", "--reps", "1",
                               "--ycsb-keys", "1000", "--ycsb-requests", "3000", "--warmup", "0",
                               "--no-plots"], capture_output=True, text=True, timeout=120)
        print(proc.stdout[-3000:])
        print(proc.stderr[-3000:], file=sys.stderr)
        assert proc.returncode == 0, "hakmem-compare exited %d" % proc.returncode
        [stamp] = os.listdir(out)
        with open(os.path.join(out, stamp, "summary.json")) as f:
            s = json.load(f)
        assert list(s["scenarios"]) == ["fleet"], list(s["scenarios"])
        rows = {r["config"]: r for r in s["scenarios"]["fleet"]["rows"]}
        assert sorted(rows) == ["hakmem-P", "system"], sorted(rows)
        for run in s["runs"]:
            assert run["status"] == "ok", run
            assert run["servers"] == 3 and len(run["keys_per_server"]) == 3, run
            assert min(run["keys_per_server"]) > 0 and sum(run["keys_per_server"]) == 1000, run
            assert run["errors"] == 0, run
            assert run["rss_peak_bytes"] == sum(run["rss_per_server_peak_bytes"]), run
            assert run["p99_us"] > 0, run
        with open(os.path.join(out, stamp, "summary.md")) as f:
            text = f.read()
        assert "fleet, p99 (lower is better) vs system" in text, text[:2000]
    return 0


if __name__ == "__main__":
    sys.exit(main())
