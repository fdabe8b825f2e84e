"""hakmem-server --metrics-port, end to end: scrapes taken with urllib while hakmem-load runs,
checked by `promtool check metrics`; every counter `hakmem-admin counters` prints appears in
the scrape under its name (hakmem_<name>_total, or hakmem_<name>[_bytes] for a gauge) with a
value no lower than the admin's earlier reading; the token rule of --metrics-bind.
Exit 77 (skipped) after every other check when promtool is not installed."""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def start_server(server, *args):
    proc = subprocess.Popen([server, "--port", "0", "--store", "memory", "--workers", "2",
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    found = {}
    deadline = time.monotonic() + 30
    while "listening" not in found and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"server exited: {proc.stderr.read()}")
        if m := re.search(r"metrics on (http://\S+)", line):
            found["metrics"] = m.group(1)
        elif m := re.search(r"admin gRPC on (\S+)", line):
            found["admin"] = m.group(1)
        elif m := re.search(r"listening on [^ ]+:(\d+)", line):
            found["listening"] = int(m.group(1))
    return proc, found


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


def scrape(url, token=None):
    req = urllib.request.Request(url)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
        return r.read().decode()


def samples(text):
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def scrape_name(counter, value_is_gauge):
    if not value_is_gauge:
        return f"hakmem_{counter}_total"
    return f"hakmem_{counter}_bytes" if "bytes" in counter and not counter.endswith("_bytes") \
        else f"hakmem_{counter}"


def check_under_load(args):
    proc, where = start_server(args.server, "--metrics-port", "0")
    try:
        assert "metrics" in where and "admin" in where, where
        load = subprocess.Popen([args.load, "--port", str(where["listening"]), "--duration", "3",
                                 "--warmup", "0", "--threads", "1", "--connections", "4",
                                 "--workload", "a", "--keys", "1000", "-q"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        texts = []
        admin = None
        while load.poll() is None and len(texts) < 5:
            out = subprocess.run([args.admin, "--addr", where["admin"], "counters", "--json"],
                                 capture_output=True, text=True, check=True).stdout
            admin = json.loads(out)["counters"]
            texts.append(scrape(where["metrics"]))
            time.sleep(0.2)
        assert load.wait(timeout=60) == 0, load.stderr.read()
        assert len(texts) >= 2, "the load ended before two scrapes"
        last = samples(texts[-1])
        gauges = {"bytes_in_use", "bytes_in_use_peak", "bytes_committed", "bytes_committed_peak",
                  "pages_below_threshold", "route_a_open_classes"}
        for name, value in admin.items():
            metric = scrape_name(name, name in gauges)
            assert metric in last, f"counter {name} is not in the scrape as {metric}"
            if name not in gauges:
                assert last[metric] >= value, f"{metric} {last[metric]} < admin's {value}"
        assert last["hakmem_mallocs_total"] > 0
        first = samples(texts[0])
        count = "hakmem_server_service_latency_seconds_count"
        assert last[count] > first[count] > 0, (first[count], last[count])
        assert last['hakmem_server_service_latency_seconds_bucket{le="+Inf"}'] == last[count]
        assert any(k.startswith('hakmem_server_commands_total{command="get"}') for k in last)
        assert last["process_resident_memory_bytes"] > 0
        promtool = shutil.which("promtool")
        if promtool is None:
            return False
        for text in texts:
            r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                               text=True)
            assert r.returncode == 0, f"promtool: {r.stdout}{r.stderr}"
        print(f"promtool check metrics passed on {len(texts)} scrapes under load")
        return True
    finally:
        stop(proc)


def check_token_rule(args):
    r = subprocess.run([args.server, "--port", "0", "--store", "memory", "--no-admin",
                        "--metrics-port", "0", "--metrics-bind", "0.0.0.0"],
                       capture_output=True, text=True, timeout=30,
                       env={k: v for k, v in os.environ.items() if k != "HAKMEM_METRICS_TOKEN"})
    assert r.returncode == 2 and "--metrics-token is required" in r.stderr, r.stderr
    proc, where = start_server(args.server, "--no-admin", "--metrics-port", "0",
                               "--metrics-token", "s3cret")
    try:
        for token in (None, "wrong"):
            try:
                scrape(where["metrics"], token)
                raise AssertionError(f"token {token!r} was accepted")
            except urllib.error.HTTPError as e:
                assert e.code == 401, e.code
        assert "hakmem_mallocs_total" in scrape(where["metrics"], "s3cret")
    finally:
        stop(proc)
    # Without --metrics-port there is no endpoint.
    proc, where = start_server(args.server, "--no-admin")
    stop(proc)
    assert "metrics" not in where, where


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", required=True)
    p.add_argument("--load", required=True)
    p.add_argument("--admin", required=True)
    args = p.parse_args()
    check_token_rule(args)
    if not check_under_load(args):
        print("SKIPPED: promtool not found (Debian package prometheus); other checks passed")
        return 77
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
