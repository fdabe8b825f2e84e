#!/usr/bin/env python3
"""hakmem-admin against a stand-alone admin server: every subcommand in human and JSON form,
the exit statuses (0 ok, 1 unreachable or failed call, 2 bad arguments) and the token."""
import argparse
import json
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from admin_proc import AdminProcess, free_port  # noqa: E402

ADMIN = SERVER = None


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = AdminProcess(SERVER, "--churn")

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0

    def admin(self, *args, env=None):
        return subprocess.run([ADMIN, "--addr", self.server.addr, *args], capture_output=True,
                              text=True, timeout=60, env=env)

    def ok(self, *args):
        r = self.admin(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def usage(self, *args):
        r = self.admin(*args)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("usage: hakmem-admin", r.stderr)
        return r.stderr.splitlines()[0]

    def test_route_get_and_set(self):
        self.ok("route", "set", "S")
        self.assertEqual(self.ok("route", "get"), "route S\n")
        self.assertEqual(self.ok("route", "set", "P"), "route S -> P\n")
        self.assertEqual(self.ok("route", "set", "cda"), "route P -> CDA\n")
        self.assertEqual(self.ok("route", "get"), "route CDA\n")
        self.assertEqual(self.ok("route", "set", "a"), "route CDA -> A\n")
        self.assertEqual(self.ok("route", "set", "S"), "route A -> S\n")

    def options(self):
        rows = self.ok("options", "get").splitlines()
        self.assertEqual(rows[0].split()[:3], ["OPTION", "VALUE", "HELP"])
        return {row.split()[0]: int(row.split()[1]) for row in rows[1:]}

    def test_options_get_and_set(self):
        before = self.options()
        for name in ("route", "must_reuse_budget", "purge_delay_ms", "rfr_window_us"):
            self.assertIn(name, before)
        self.ok("options", "set", "must_reuse_budget=5", "purge_delay_ms=250")
        after = self.options()
        self.assertEqual((after["must_reuse_budget"], after["purge_delay_ms"]), (5, 250))

        # One bad entry: the call fails naming it, and the good entry is not applied.
        r = self.admin("options", "set", "must_reuse_budget=6", "no_such_option=1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("INVALID_ARGUMENT", r.stderr)
        self.assertIn("no_such_option", r.stderr)
        r = self.admin("options", "set", "must_reuse_budget=6", "purge_delay_ms=-5")
        self.assertEqual(r.returncode, 1)
        self.assertIn("purge_delay_ms", r.stderr)
        self.assertEqual(self.options()["must_reuse_budget"], 5)

        self.ok("options", "set", "route=P")
        self.assertEqual(self.ok("route", "get"), "route P\n")
        self.ok("options", "set", "route=S", f"must_reuse_budget={before['must_reuse_budget']}",
                f"purge_delay_ms={before['purge_delay_ms']}")

    def test_counters(self):
        self.ok("route", "set", "S")  # the allocator's default is P; pin what we assert
        text = self.ok("counters")
        self.assertIn("page reuse rate", text)
        self.assertIn("COUNTER", text)
        self.assertIn("mallocs", text)
        doc = json.loads(self.ok("counters", "--json"))
        self.assertEqual(doc["route"], "S")
        self.assertGreaterEqual(doc["page_reuse_rate"], 0.0)
        self.assertLessEqual(doc["page_reuse_rate"], 1.0)
        for name in ("mallocs", "frees_local", "new_pages", "adoption_allowed", "bytes_in_use"):
            self.assertIn(name, doc["counters"])
        self.assertIn("mallocs", json.loads(self.ok("counters", "--json", "--reset"))["counters"])

    @staticmethod
    def table(text):
        """The counter rows after the COUNTER header: name -> cells."""
        lines = text.splitlines()
        start = max(i for i, line in enumerate(lines) if line.startswith("COUNTER"))
        rows = {}
        for line in lines[start + 1:]:
            if line.startswith("("):
                break
            rows[line.split()[0]] = line.split()
        return lines[start].split(), rows

    def test_counters_summary(self):
        text = self.ok("counters")
        self.assertIn("= reuses / (reuses + fresh pages) =", text)
        self.assertRegex(text, r"\nfresh pages +\d+ \(new_pages\)")
        self.assertRegex(text, r"\nadoption +\d+ pages adopted of \d+ considered; "
                               r"(the gate that blocked most: adoption_blocked_\w+|no gate blocked|"
                               r"route S never adopts|no slow path reached adoption)")
        self.assertRegex(text, r"\nbytes +in use [\d.]+ MiB \(peak [\d.]+ MiB\), committed")
        _, rows = self.table(text)
        self.assertRegex(" ".join(rows["bytes_committed"][1:3]), r"^[\d.]+ MiB$")

    def test_counters_zero_rows_hidden_unless_all(self):
        self.ok("route", "set", "S")  # adoption counters stay at zero under S
        default = self.ok("counters")
        everything = self.ok("counters", "--all")
        _, shown = self.table(default)
        _, all_rows = self.table(everything)
        names = set(json.loads(self.ok("counters", "--json"))["counters"])
        self.assertEqual(set(all_rows), names)
        self.assertTrue(all(row[1] != "0" for row in shown.values()), shown)
        hidden = int(default.split("\n(")[1].split()[0])
        self.assertGreater(hidden, 0)
        self.assertEqual(len(shown) + hidden, len(all_rows))
        self.assertIn("--all shows them", default)
        self.assertNotIn("not shown", everything)

    def test_counters_watch_rates(self):
        text = self.ok("counters", "--watch", "0.2", "--count", "2")
        header, rows = self.table(text)
        self.assertEqual(header[:4], ["COUNTER", "VALUE", "PER", "SECOND"])
        self.assertGreater(float(rows["mallocs"][2]), 0)  # --churn allocates all the time
        self.assertIn("in the last 0.", text)

    def test_counters_watch_json_stream(self):
        lines = self.ok("counters", "--watch", "0.1", "--count", "3", "--json").splitlines()
        self.assertEqual(len(lines), 3)
        docs = [json.loads(line) for line in lines]
        stamps = [d["taken_at_unix_ms"] for d in docs]
        self.assertEqual(stamps, sorted(stamps))

    def test_counters_watch_ends_on_ctrl_c(self):
        proc = subprocess.Popen([ADMIN, "--addr", self.server.addr, "counters", "--watch", "0.1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = proc.stdout.readline()
        self.assertIn("page reuse rate", first)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)

    def test_route_classes(self):
        self.ok("route", "set", "S")
        text = self.ok("route", "classes")
        self.assertRegex(text.splitlines()[0], r"^route S: Route A is not running, .* \d+ of \d+ "
                                               r"classes open, decided every \d+ events")
        self.assertEqual(text.splitlines()[1].split()[:4], ["CLASS", "BYTES", "STATE", "REASON"])
        doc = json.loads(self.ok("route", "classes", "--json"))
        self.assertEqual(doc["route"], "S")
        self.assertGreater(doc["window"], 0)
        classes = doc["classes"]
        self.assertEqual([c["class"] for c in classes], list(range(len(classes))))
        for c in classes:
            self.assertIn(c["reason"], ("start", "idle_pending", "domino"))
            self.assertEqual(c["open"], c["reason"] == "idle_pending")
        # --all: one row per class, as in the JSON; by default the inactive ones are counted.
        rows = self.ok("route", "classes", "--all").splitlines()[2:]
        self.assertEqual([int(r.split()[0]) for r in rows], list(range(len(classes))))
        self.assertEqual([int(r.split()[1]) for r in rows], [c["block_size"] for c in classes])
        self.assertEqual([r.split()[2] for r in rows],
                         ["open" if c["open"] else "closed" for c in classes])
        shown = [line for line in text.splitlines()[2:] if not line.startswith("(")]
        hidden = text.split("\n(")[1].split()[0] if "\n(" in text else "0"
        self.assertEqual(len(shown) + int(hidden), len(classes))
        self.ok("route", "set", "A")
        self.assertRegex(self.ok("route", "classes").splitlines()[0], r"^route A: \d+ of \d+ ")
        self.ok("route", "set", "S")

    def test_stats(self):
        doc = json.loads(self.ok("stats", "--json"))
        self.assertTrue(doc["server_stats_available"])
        self.assertGreater(doc["rss_bytes"], 0)
        self.assertEqual(doc["arena"], "hakmem")
        self.assertEqual(doc["requests"], {"GET": 40, "SET": 2})
        self.assertEqual(doc["latency_us"], {"p50": 10.0, "p99": 42.5})
        self.assertEqual((doc["connections"], doc["worker_queue_depth"]), (2, 1))
        text = self.ok("stats")
        for label in ("rss", "connections", "latency p99", "requests GET", "uptime"):
            self.assertIn(label, text)

    def test_bad_arguments(self):
        self.usage()
        self.usage("route")
        self.usage("route", "set", "X")
        self.usage("route", "classes", "--bogus")
        self.usage("options", "set", "nonsense")
        self.usage("options", "set", "must_reuse_budget=abc")
        self.usage("counters", "--watch", "0.05")
        self.usage("counters", "--count", "3")
        self.usage("bogus")

    def test_unknown_arguments_are_named_with_a_suggestion(self):
        self.assertEqual(self.usage("--bogus"), "hakmem-admin: unknown flag --bogus")
        self.assertEqual(self.usage("--adr", "x", "route", "get"),
                         "hakmem-admin: unknown flag --adr (did you mean --addr?)")
        self.assertEqual(self.usage("rout", "get"),
                         "hakmem-admin: unknown command 'rout' (did you mean 'route'?)")
        self.assertEqual(self.usage("route", "gett"), "hakmem-admin: unknown command 'gett' "
                         "for 'route' (did you mean 'get'?)")
        self.assertEqual(self.usage("--token", "t", "counters", "--json", "--resett"),
                         "hakmem-admin: unknown flag --resett (did you mean --reset?)")
        # Every argument known: CLI11's own message says what is missing.
        self.assertEqual(self.usage("route", "set"), "hakmem-admin: ROUTE is required")

    def test_unreachable_server(self):
        addr = f"127.0.0.1:{free_port()}"
        r = subprocess.run([ADMIN, "--addr", addr, "route", "get"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertIn(addr, r.stderr)


class TokenTest(unittest.TestCase):
    def test_token(self):
        with AdminProcess(SERVER, "--token", "s3cret") as server:
            def run(*args, env=None):
                return subprocess.run([ADMIN, "--addr", server.addr, *args, "route", "get"],
                                      capture_output=True, text=True, timeout=60, env=env)
            denied = run()
            self.assertEqual(denied.returncode, 1)
            self.assertIn("UNAUTHENTICATED", denied.stderr)
            self.assertEqual(run("--token", "wrong").returncode, 1)
            self.assertEqual(run("--token", "s3cret").stdout, "route P\n")
            env = dict(os.environ, HAKMEM_ADMIN_TOKEN="s3cret")
            self.assertEqual(run(env=env).returncode, 0)

    def test_public_bind_needs_token(self):
        r = subprocess.run([SERVER, "--bind", "0.0.0.0"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--admin-token", r.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--admin", required=True)
    parser.add_argument("--server", required=True)
    args, rest = parser.parse_known_args()
    ADMIN, SERVER = args.admin, args.server
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
