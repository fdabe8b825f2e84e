#!/usr/bin/env python3
"""hakmem-admin over a fleet: --addr with several addresses (comma-separated and repeated), route
set applied to every server and reported per server, a partial failure that exits 1 naming the
server while the others still change, counters summed and side by side, options and stats."""
import argparse
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from admin_proc import AdminProcess, free_port  # noqa: E402

ADMIN = SERVER = None


class FleetCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = []
        try:
            for _ in range(3):
                cls.servers.append(AdminProcess(SERVER, "--churn"))
        except BaseException:
            cls.tearDownClass()
            raise
        cls.addrs = [s.addr for s in cls.servers]

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            s.stop()

    def admin(self, *args, addrs=None):
        flags = ["--addr", ",".join(addrs or self.addrs)]
        return subprocess.run([ADMIN, *flags, *args], capture_output=True, text=True, timeout=60)

    def ok(self, *args, addrs=None):
        r = self.admin(*args, addrs=addrs)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def routes(self):
        return {line.split(": ")[0]: line.split()[-1] for line in self.ok("route", "get").splitlines()}

    def test_route_set_applies_to_every_server(self):
        self.ok("route", "set", "S")
        self.assertEqual(self.ok("route", "set", "P"),
                         "".join("%s: route S -> P\n" % a for a in self.addrs))
        self.assertEqual(self.routes(), {a: "P" for a in self.addrs})
        # Repeated --addr and comma lists mix.
        r = subprocess.run([ADMIN, "--addr", self.addrs[0], "--addr", ",".join(self.addrs[1:]),
                            "route", "set", "CDA"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout.splitlines()), 3)
        self.assertEqual(self.routes(), {a: "CDA" for a in self.addrs})
        self.ok("route", "set", "P")

    def test_partial_failure_names_the_server(self):
        self.ok("route", "set", "S")
        down = "127.0.0.1:%d" % free_port()
        r = self.admin("route", "set", "P", addrs=[self.addrs[0], down, self.addrs[1]])
        self.assertEqual(r.returncode, 1)
        self.assertIn("route set failed on 1 of 3 servers: " + down, r.stderr)
        self.assertIn(down + ": cannot reach", r.stderr)
        # The reachable servers changed, and said so.
        self.assertEqual(r.stdout, "%s: route S -> P\n%s: route S -> P\n" % tuple(self.addrs[:2]))
        self.assertEqual(self.routes(), {self.addrs[0]: "P", self.addrs[1]: "P",
                                         self.addrs[2]: "S"})
        r = self.admin("counters", addrs=[*self.addrs, down])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")  # no sum that misses a server
        self.assertIn(down, r.stderr)
        self.ok("route", "set", "P")

    def test_counters_sum_and_per_server(self):
        self.ok("route", "set", "S")
        rows = [line.split() for line in self.ok("counters", "--per-server").splitlines()]
        self.assertEqual(rows[0], ["COUNTER", *self.addrs, "TOTAL"])
        self.assertEqual(rows[1], ["route", "S", "S", "S", "S"])
        body = {row[0]: row[1:] for row in rows[3:]}
        self.assertGreater(int(body["mallocs"][0]), 0)
        for name, values in body.items():
            self.assertEqual(sum(int(v) for v in values[:3]), int(values[3]), name)

        doc = json.loads(self.ok("counters", "--per-server", "--json"))
        self.assertEqual(sorted(doc["servers"]), sorted(self.addrs))
        for name, total in doc["total"]["counters"].items():
            self.assertEqual(sum(doc["servers"][a]["counters"][name] for a in self.addrs), total)
        self.assertEqual(doc["total"]["route"], "S")

        summed = json.loads(self.ok("counters", "--json"))
        self.assertEqual(summed["servers"], self.addrs)
        self.assertGreaterEqual(summed["counters"]["mallocs"], doc["total"]["counters"]["mallocs"])
        self.assertLessEqual(summed["page_reuse_rate"], 1.0)
        self.assertIn("sum over 3 servers", self.ok("counters"))

        # Servers on different routes: the sum has no single route.
        self.ok("route", "set", "P", addrs=self.addrs[:1])
        self.assertEqual(json.loads(self.ok("counters", "--json"))["route"], "unspecified")
        self.ok("route", "set", "P")

    def test_options_and_stats(self):
        out = self.ok("options", "set", "purge_delay_ms=20")
        for a in self.addrs:
            self.assertIn("== %s ==" % a, out)
        for a in self.addrs:
            rows = self.ok("options", "get", addrs=[a]).splitlines()
            self.assertIn("20", dict((r.split()[0], r.split()[1]) for r in rows[1:])["purge_delay_ms"])
        r = self.admin("options", "set", "no_such_option=1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("options set failed on 3 of 3 servers", r.stderr)
        doc = json.loads(self.ok("stats", "--json"))
        self.assertEqual(sorted(doc["servers"]), sorted(self.addrs))
        classes = json.loads(self.ok("route", "classes", "--json"))["servers"]
        self.assertEqual(sorted(classes), sorted(self.addrs))
        self.assertTrue(all(d["classes"] for d in classes.values()))
        out = self.ok("route", "classes")
        for a in self.addrs:
            self.assertIn("== %s ==" % a, out)
        self.assertEqual(doc["servers"][self.addrs[0]]["arena"], "hakmem")

    def test_bad_address_lists(self):
        for flags in (["--addr", self.addrs[0] + "," + self.addrs[0]],
                      ["--addr", self.addrs[0] + ","]):
            r = subprocess.run([ADMIN, *flags, "route", "get"], capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("--addr", r.stderr)
        r = self.admin("counters", "--watch", "1")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--watch takes one --addr", r.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--admin", required=True)
    parser.add_argument("--server", required=True)
    args, rest = parser.parse_known_args()
    ADMIN, SERVER = args.admin, args.server
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
