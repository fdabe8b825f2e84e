#!/usr/bin/env python3
"""hakmem-server with libhakmem.so preloaded (as hakmem-compare runs it, --arena system): the
admin service acts on the preloaded allocator that serves the process, not on the server's own
linked-in copy (which serves nothing here). Checked against what only the preloaded library
knows: its bytes in use grow with the data stored, its counters move with load, and the route
set over the RPC is the one libhakmem.so reports in its HAKMEM_STATS line at exit."""
import argparse
import json
import os
import signal
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from admin_proc import ServerTestCase  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench",
                                "compare"))
from resp import encode  # noqa: E402  (hakmem-compare's RESP client)

SERVER = ADMIN = LIB = None
VALUE = 256 << 10
VALUES = 128  # 32 MiB stored


class PreloadTest(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.stats_file = os.path.join(self.tmp.name, "stats")
        env = dict(os.environ, LD_PRELOAD=LIB, HAKMEM_ROUTE="CDA", HAKMEM_STATS="json",
                   HAKMEM_STATS_FILE=self.stats_file)
        self.start_server(SERVER, ADMIN,
                          ["--arena", "system", "--store", "memory", "--workers", "2"], env=env)

    def counters(self):
        return json.loads(self.admin("counters", "--json"))["counters"]

    def set_values(self, tag):
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            f = s.makefile("rb")
            for i in range(VALUES):
                s.sendall(encode("SET", "%s%d" % (tag, i), bytes([65 + i % 26]) * VALUE))
                self.assertEqual(f.readline(), b"+OK\r\n")

    def test_admin_acts_on_the_preloaded_allocator(self):
        self.assertEqual(self.admin("route", "get").split()[1], "CDA")  # HAKMEM_ROUTE, read by it
        before = self.counters()
        self.set_values("k")
        after = self.counters()
        # The values live on the process's malloc: only the preloaded instance holds them.
        self.assertGreater(after["bytes_in_use"] - before["bytes_in_use"], VALUES * VALUE // 2)
        self.assertGreater(after["mallocs"] - before["mallocs"], VALUES)

        self.assertEqual(self.admin("route", "set", "S"), "route CDA -> S\n")
        self.assertEqual(self.admin("route", "get").split()[1], "S")
        self.admin("counters", "--reset")
        self.set_values("j")
        moved = self.counters()
        self.assertGreater(moved["mallocs"], VALUES)
        self.assertEqual(moved["adoption_attempts"], 0)  # S never adopts
        self.admin("options", "set", "must_reuse_budget=7")
        self.assertIn("must_reuse_budget", self.admin("options", "get"))
        # Route A's per-class state comes through the same table of preloaded entry points.
        self.admin("route", "set", "A")
        self.set_values("a")
        classes = json.loads(self.admin("route", "classes", "--json"))
        self.assertEqual(classes["route"], "A")
        self.assertGreater(len(classes["classes"]), 0)
        self.assertTrue(self.admin("route", "classes").startswith("route A: "))
        self.admin("route", "set", "S")

        self.server.send_signal(signal.SIGTERM)
        self.assertEqual(self.server.wait(timeout=60), 0)
        with open(self.stats_file) as f:
            lines = [l for l in f if l.startswith("hakmem-stats: ")]
        self.assertEqual(len(lines), 1, "libhakmem.so wrote no stats line at exit")
        stats = json.loads(lines[0].split(": ", 1)[1])
        # libhakmem.so's own view: the route the RPC set, and the values it served.
        self.assertEqual(stats["options"]["route"], "S")
        self.assertEqual(stats["options"]["must_reuse_budget"], 7)
        self.assertGreater(stats["counters"]["mallocs"], 2 * VALUES)


def main():
    global SERVER, ADMIN, LIB
    p = argparse.ArgumentParser()
    p.add_argument("--server", required=True)
    p.add_argument("--admin", required=True)
    p.add_argument("--lib", required=True)
    args, rest = p.parse_known_args()
    SERVER, ADMIN, LIB = args.server, args.admin, args.lib
    unittest.main(argv=[sys.argv[0], *rest])


if __name__ == "__main__":
    main()
