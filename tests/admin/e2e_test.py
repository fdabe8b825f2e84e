#!/usr/bin/env python3
"""End to end: hakmem-server under load from hakmem-load while hakmem-admin flips the route
several times. After each phase the counters must have moved under the route that was set:
allocations and cross-thread frees always, adoption never under S, and adoption attempts under
CDA (every slow path considers adoption there). Also: health NOT_SERVING once shutdown begins."""
import argparse
import json
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from admin_proc import ServerTestCase  # noqa: E402

SERVER = LOAD = ADMIN = STUBS = None
ADOPTION = ("adoption_attempts", "adoption_allowed", "pages_adopted", "adopted_reused")
PHASE_REQUESTS = 30000


class EndToEndTest(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.start_server(SERVER, ADMIN,
                          ["--store", "memory", "--data-dir", os.path.join(self.tmp.name, "db"),
                           "--workers", "2", "--io-threads", "1"])

    def load(self):
        r = subprocess.run([LOAD, "--port", str(self.port), "--requests", str(PHASE_REQUESTS),
                            "--warmup", "0", "--threads", "2", "--connections", "16",
                            # Deep pipelines and mixed sizes keep enough objects in flight
                            # for pages to fill, retire and come back through pending queues.
                            "--pipeline", "64", "--value-size", "100-4000",
                            "--keys", "2000", "--workload", "a", "--quiet"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_route_flips_move_the_counters(self):
        previous = self.admin("route", "get").split()[1]
        for route in ("S", "CDA", "S", "P", "CDA", "S"):
            self.assertEqual(self.admin("route", "set", route),
                             f"route {previous} -> {route}\n")
            previous = route
            # Reset after switching, so the phase's counters hold this route's events only.
            self.admin("counters", "--reset")
            self.load()
            snap = json.loads(self.admin("counters", "--json"))
            c = snap["counters"]
            print(f"route {route}: " + " ".join(
                f"{k} {c[k]}" for k in ("mallocs", "frees_remote", "pending_enqueued", *ADOPTION)),
                file=sys.stderr)
            self.assertEqual(snap["route"], route)
            # Every request allocates its parsed form and its reply on the server.
            self.assertGreaterEqual(c["mallocs"], PHASE_REQUESTS)
            # Workers free requests that I/O threads allocated, and the other way round.
            self.assertGreater(c["frees_remote"], 0)
            if route == "S":
                # Pages did come back through pending queues: there was something to adopt.
                self.assertGreater(c["pending_enqueued"], 0)
                for name in ADOPTION:
                    self.assertEqual(c[name], 0, f"{name} under route S")
            if route == "CDA":
                self.assertGreater(c["adoption_attempts"], 0)

        stats = json.loads(self.admin("stats", "--json"))
        self.assertTrue(stats["server_stats_available"])
        self.assertEqual(stats["arena"], "hakmem")
        self.assertGreaterEqual(sum(stats["requests"].values()), 6 * PHASE_REQUESTS)
        self.assertIn("p99", stats["latency_us"])

    def test_health_not_serving_once_shutdown_begins(self):
        sys.path.insert(0, STUBS)
        import grpc
        import health_pb2
        import health_pb2_grpc
        with grpc.insecure_channel(self.admin_addr) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            watch = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=60)
            statuses = [next(watch).status]
            self.server.send_signal(signal.SIGTERM)
            try:
                for reply in watch:
                    statuses.append(reply.status)
            except grpc.RpcError:
                pass  # the stream ends when the admin server stops
        serving = health_pb2.HealthCheckResponse.SERVING
        not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
        self.assertEqual(statuses[0], serving)
        self.assertIn(not_serving, statuses[1:])
        self.assertEqual(self.server.wait(timeout=60), 0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for flag in ("--server", "--load", "--admin", "--stubs"):
        parser.add_argument(flag, required=True)
    args, rest = parser.parse_known_args()
    SERVER, LOAD, ADMIN, STUBS = args.server, args.load, args.admin, args.stubs
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
