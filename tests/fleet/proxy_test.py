#!/usr/bin/env python3
"""Three hakmem-servers behind one nutcracker (twemproxy) on loopback: hakmem-load through the
proxy with every reply checked (zero errors, zero misses, every request answered), the keys
spread over all three servers (DBSIZE on each), MGET/MSET/DEL split by the proxy across
servers and merged back, and PING. Exits 77 (ctest: skipped) when nutcracker is not installed.

usage: proxy_test.py --server BIN --load BIN [unittest args]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
from compare.resp import KEY_FORMAT, Client  # noqa: E402
from fleet import Fleet, find_nutcracker, free_port, port_of  # noqa: E402

SERVER = LOAD = NUTCRACKER = None
KEYS = 3000


def dbsizes(fleet):
    sizes = []
    for addr in fleet.servers:
        with Client(port_of(addr), timeout=10) as c:
            sizes.append(c.call("DBSIZE"))
    return sizes


def run_load(args):
    """hakmem-load with a JSON report; (exit status, the document, stderr)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "run.json")
        r = subprocess.run([LOAD, *args, "--json", path, "--quiet"], capture_output=True,
                           text=True, timeout=60)
        doc = None
        if os.path.exists(path):
            with open(path) as f:
                doc = json.load(f)
        return r.returncode, doc, r.stdout + r.stderr


class ProxyTest(unittest.TestCase):
    def setUp(self):
        self.fleet = Fleet(SERVER, 3, nutcracker=NUTCRACKER)
        self.fleet.__enter__()
        self.addCleanup(self.fleet.stop)

    def check_clean(self, doc):
        s = doc["summary"]
        self.assertEqual(doc["status"], "ok")
        self.assertEqual(doc["preload"]["errors"], 0)
        self.assertEqual(s["errors"], 0, s["errors_by_kind"])
        self.assertEqual(doc["requests"]["answered"], doc["requests"]["sent"])
        self.assertEqual(doc["requests"]["unanswered"], 0)
        self.assertGreater(s["ops"], 0)

    def test_load_through_the_proxy(self):
        # Deep pipelines over several connections: the proxy forwards them pipelined on its one
        # connection per server and must hand every reply back in order.
        code, doc, out = run_load(["--port", str(port_of(self.fleet.proxy)), "--workload", "a",
                                   "--keys", str(KEYS), "--load", str(KEYS), "--requests",
                                   "20000", "--warmup", "0", "--connections", "8",
                                   "--pipeline", "16", "--value-size", "8-2000"])
        self.assertEqual(code, 0, out)
        self.check_clean(doc)
        self.assertEqual(doc["summary"]["misses"], 0)  # every key was loaded first
        sizes = dbsizes(self.fleet)
        print("DBSIZE per server:", sizes, file=sys.stderr)
        self.assertEqual(sum(sizes), KEYS)
        for size in sizes:
            self.assertGreater(size, 0)

    def test_larson_deletes_through_the_proxy(self):
        code, doc, out = run_load(["--port", str(port_of(self.fleet.proxy)), "--workload",
                                   "larson", "--keys", "500", "--load", "500", "--requests",
                                   "10000", "--warmup", "0", "--connections", "4",
                                   "--pipeline", "8"])
        self.assertEqual(code, 0, out)
        self.check_clean(doc)
        self.assertGreater(doc["summary"]["by_command"]["DEL"]["ops"], 0)
        for size in dbsizes(self.fleet):
            self.assertGreater(size, 0)

    def test_servers_flag_places_keys_as_the_proxy_does(self):
        proxy = ["--port", str(port_of(self.fleet.proxy))]
        code, doc, out = run_load([*proxy, "--workload", "c", "--keys", str(KEYS), "--load",
                                   str(KEYS), "--requests", "1", "--warmup", "0"])
        self.assertEqual(code, 0, out)
        # Uniform GETs of the loaded keys straight to the servers: a key looked up on another
        # server than the one nutcracker put it on would be a miss.
        code, doc, out = run_load(["--servers", ",".join(self.fleet.servers), "--workload", "c",
                                   "--distribution", "uniform", "--keys", str(KEYS),
                                   "--requests", "20000", "--warmup", "0", "--connections", "4",
                                   "--pipeline", "8"])
        self.assertEqual(code, 0, out)
        self.check_clean(doc)
        total, per = doc["summary"], doc["servers"]
        self.assertEqual(total["misses"], 0)
        self.assertEqual([s["server"] for s in per], self.fleet.servers)
        self.assertEqual(doc["config"]["servers"], self.fleet.servers)
        # Merged exactly: counts add up, ops/s is the sum, the merged max is the largest.
        self.assertEqual(sum(s["ops"] for s in per), total["ops"])
        self.assertAlmostEqual(sum(s["ops_per_sec"] for s in per), total["ops_per_sec"],
                               delta=1e-9 * total["ops_per_sec"])
        self.assertEqual(sum(s["latency_us"]["count"] for s in per), total["latency_us"]["count"])
        self.assertEqual(max(s["latency_us"]["max"] for s in per), total["latency_us"]["max"])
        p99s = [s["latency_us"]["p99"] for s in per]
        self.assertTrue(min(p99s) <= total["latency_us"]["p99"] <= max(p99s))
        sizes = dbsizes(self.fleet)
        for s, size in zip(per, sizes):
            self.assertGreater(s["ops"], 0)
            # Each server's share of uniform GETs follows its share of the keys.
            self.assertAlmostEqual(s["ops"] / total["ops"], size / KEYS, delta=0.05)
        for name in self.fleet.servers:
            self.assertIn("server " + name, out)

    def test_servers_flag_names_the_server_it_cannot_reach(self):
        down = "127.0.0.1:%d" % free_port()
        code, doc, out = run_load(["--servers", ",".join([self.fleet.servers[0], down]),
                                   "--requests", "10", "--warmup", "0"])
        self.assertEqual(code, 1, out)
        self.assertIn("cannot connect to " + down, out)

    def test_multi_key_commands_are_split_and_merged(self):
        names = [KEY_FORMAT % i for i in range(60)]
        with Client(port_of(self.fleet.proxy), timeout=10) as c:
            self.assertEqual(c.call("PING"), "PONG")
            pairs = []
            for i, name in enumerate(names):
                pairs += [name, "value-%d" % i]
            self.assertEqual(c.call("MSET", *pairs), "OK")
            got = c.call("MGET", names[0], "missing-key", *names[1:])
            self.assertEqual(got[1], None)
            self.assertEqual([v.decode() for v in [got[0]] + got[2:]],
                             ["value-%d" % i for i in range(60)])
            # twemproxy 0.5 forwards EXISTS whole to the first key's server: one key each.
            self.assertEqual([c.call("EXISTS", n) for n in names[:3]], [1, 1, 1])
            self.assertEqual(c.call("EXISTS", "missing-key"), 0)
            self.assertEqual(c.call("DEL", *names[:20], "missing-key"), 20)
            self.assertEqual(c.call("MGET", *names[:20]), [None] * 20)
            self.assertEqual(c.call("GET", names[20]), b"value-20")
            self.assertEqual(c.call("INCR", "counter"), 1)
        sizes = dbsizes(self.fleet)
        self.assertEqual(sum(sizes), 41)  # 40 left, and the counter
        for size in sizes:
            self.assertGreater(size, 0)  # the proxy really split the multi-key commands


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--load", required=True)
    args, rest = parser.parse_known_args()
    SERVER, LOAD = args.server, args.load
    NUTCRACKER = find_nutcracker()
    if not NUTCRACKER:
        print("nutcracker (twemproxy) is not installed (apt install nutcracker): skipped")
        sys.exit(77)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
