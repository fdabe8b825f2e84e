"""hakmem-compare's parsing, intervals, verdict, tables and JSON on recorded inputs (no processes
run). data/drift-runs.json: the size-drift runs of a smoke-sized comparison (4 allocators x 3 reps)."""

import datetime
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))

from compare import (allocators, cli, driver, intervals, load_run, order, plots,  # noqa: E402
                     report, rocksdb_run, scenarios, stats)


def recorded(name):
    with open(os.path.join(HERE, "data", name)) as f:
        return f.read()


INFO_HAKMEM = {"allocator_bytes_in_use": "2097152", "allocator_bytes_committed": "7102464",
               "arena_bytes_in_use": "216", "hakmem_page_reuse_rate": "0.7950",
               "mem_allocator": "hakmem"}
INFO_MIMALLOC = {"allocator_bytes_in_use": "0", "allocator_bytes_committed": "4218880",
                 "arena_bytes_in_use": "0", "mem_allocator": "mimalloc"}


class LoadJsonTest(unittest.TestCase):
    def test_hakmem_stats_line(self):
        m = load_run.hakmem_stats_metrics({"bytes_in_use_peak": 61445488, "page_reuse_rate": 0.967})
        self.assertEqual((m["arena_bytes_in_use_peak"], m["page_reuse_rate"]), (61445488, 0.967))
        self.assertEqual(load_run.hakmem_stats_metrics(None), {})

    def test_summary_figures(self):
        m = load_run.load_metrics(json.loads(recorded("closed-system.json")))
        self.assertAlmostEqual(m["ops_per_sec"], 70374.11922695933)
        self.assertEqual(m["p50_us"], 63.487)
        self.assertEqual(m["p99_us"], 1073.151)
        self.assertEqual(m["p999_us"], 5177.343)
        self.assertEqual(m["max_us"], 8576.865)
        self.assertEqual(m["errors"], 0)
        self.assertEqual(m["phases"], [])

    def test_phases_keep_their_route(self):
        m = load_run.load_metrics(json.loads(recorded("phases-hakmem.json")))
        self.assertEqual([p["route"] for p in m["phases"]], ["S", "P"])
        self.assertEqual([p["index"] for p in m["phases"]], [0, 1])
        self.assertTrue(all(p["ops_per_sec"] > 0 for p in m["phases"]))

    def test_memory_figures(self):
        m = load_run.memory_metrics(INFO_HAKMEM)
        self.assertEqual(m["arena_bytes_in_use"], 2097152)
        self.assertAlmostEqual(m["page_reuse_rate"], 0.795)
        m = load_run.memory_metrics(INFO_MIMALLOC)
        self.assertIsNone(m["arena_bytes_in_use"])  # 0 in INFO means "the allocator cannot say"
        self.assertIsNone(m["page_reuse_rate"])

    def test_hgrm(self):
        points = plots.parse_hgrm(recorded("closed-system.hgrm"))
        self.assertEqual(points[0], (0.0, 0.017))
        self.assertTrue(all(p < 1.0 for p, _ in points))  # 100% has no finite 1/(1-p)
        self.assertEqual([p for p, _ in points], sorted(p for p, _ in points))

    def test_rocksdb_report(self):
        m = rocksdb_run.bench_metrics(json.loads(recorded("rocksdb-hakmem.json")))
        self.assertAlmostEqual(m["ops_per_sec"], 319008.386655233)
        self.assertAlmostEqual(m["fill_ops_per_sec"], 92052.7161971955)
        self.assertEqual(m["rss_peak_bytes"], 31350784)


class StatsTest(unittest.TestCase):
    def test_spread(self):
        s = stats.spread([3, 1, None, 2])
        self.assertEqual({k: s[k] for k in ("median", "min", "max", "n", "values")},
                         {"median": 2, "min": 1, "max": 3, "n": 3, "values": [3, 1, 2]})
        self.assertTrue(1 <= s["ci"][0] <= 2 <= s["ci"][1] <= 3)
        self.assertIsNone(stats.spread([1, 2])["ci"])  # too few runs for an interval
        self.assertIsNone(stats.spread([None]))

    def test_failed_runs_count_but_never_contribute(self):
        runs = [{"config": "a", "status": "ok", "ops_per_sec": 10},
                {"config": "a", "status": "failed", "failure": "boom", "ops_per_sec": 1000},
                {"config": "system", "status": "ok", "ops_per_sec": 20}]
        rows = stats.add_ratios(stats.aggregate(runs, ["ops_per_sec"]))
        a = rows[0]
        self.assertEqual((a["config"], a["reps"], a["ok"], a["failures"]), ("a", 2, 1, ["boom"]))
        self.assertEqual(a["metrics"]["ops_per_sec"]["median"], 10)
        self.assertEqual(a["vs_system"]["ops_per_sec"], 0.5)
        self.assertEqual(rows[1]["vs_system"]["ops_per_sec"], 1.0)

    def test_no_baseline_no_ratio(self):
        rows = stats.add_ratios(stats.aggregate([{"config": "a", "status": "ok", "ops_per_sec": 1}],
                                                ["ops_per_sec"]))
        self.assertIsNone(rows[0]["vs_system"]["ops_per_sec"])

    def test_median_run(self):
        runs = [{"config": "a", "status": "ok", "ops_per_sec": v, "rep": i} for i, v in
                enumerate([5, 1, 3])]
        self.assertEqual(stats.median_run(runs, "a")["ops_per_sec"], 3)
        self.assertIsNone(stats.median_run(runs, "b"))


class IntervalsTest(unittest.TestCase):
    def test_same_distribution_includes_one(self):
        a = [100, 104, 98, 101, 99]
        lo, hi = intervals.ratio_interval(a, list(reversed(a)))
        self.assertLessEqual(lo, 1.0)
        self.assertGreaterEqual(hi, 1.0)
        self.assertEqual(intervals.judge(1.0, [lo, hi], 5, 5, -1)[0], "same")

    def test_shift_excludes_one(self):
        base = [100, 104, 98, 101, 99]
        lo, hi = intervals.ratio_interval([v * 0.6 for v in base], base)
        self.assertLess(hi, 1.0)
        self.assertGreater(lo, 0.5)
        word, text = intervals.judge(0.6, [lo, hi], 5, 5, -1)  # lower is better: p99, RSS
        self.assertEqual(word, "better")
        self.assertTrue(text.startswith("0.60x ["), text)
        self.assertEqual(intervals.judge(0.6, [lo, hi], 5, 5, +1)[0], "worse")  # throughput

    def test_fixed_seed_is_reproducible(self):
        a, b = [3.0, 5.0, 4.0, 6.0], [4.0, 4.5, 5.0]
        self.assertEqual(intervals.ratio_interval(a, b), intervals.ratio_interval(a, b))
        self.assertEqual(intervals.median_interval(a), intervals.median_interval(a))

    def test_too_few_runs(self):
        self.assertIsNone(intervals.ratio_interval([1, 2], [1, 2, 3]))
        self.assertIsNone(intervals.median_interval([1, 2]))
        self.assertEqual(intervals.judge(1.08, None, 2, 2, -1),
                         ("n/a", "1.08x (n = 2: no interval)"))
        self.assertEqual(intervals.judge(None, None, 0, 3, -1), ("n/a", "n/a"))

    def test_bound_next_to_one_keeps_its_digits(self):
        self.assertEqual(intervals.fmt_ratio(0.998), "0.998x")
        self.assertEqual(intervals.fmt_ratio(1.0), "1.00x")


def recorded_drift():
    return json.loads(recorded("drift-runs.json"))


class OrderTest(unittest.TestCase):
    def test_each_rep_starts_one_config_later(self):
        configs = {"system": 1, "hakmem-P": 2, "jemalloc": 3}
        orders = [[name for name, _ in order.rotated(configs, rep)] for rep in range(1, 5)]
        self.assertEqual(orders, [["system", "hakmem-P", "jemalloc"],
                                  ["hakmem-P", "jemalloc", "system"],
                                  ["jemalloc", "system", "hakmem-P"],
                                  ["system", "hakmem-P", "jemalloc"]])
        # Every config keeps its spec, and over len(configs) reps each holds every place once.
        self.assertEqual(dict(order.rotated(configs, 2)), configs)

    def test_no_configs(self):
        self.assertEqual(order.rotated({}, 3), [])


class SummaryTest(unittest.TestCase):
    """On recorded runs: size drift, 4 allocators x 3 reps (a smoke-sized run of this driver)."""

    def summary(self, runs=None, allocs="hakmem-P,system,tcmalloc,mimalloc", extra=()):
        args = cli.parse(["--profile", "smoke", "--reps", "3", "--allocs", allocs] + list(extra))
        runs = recorded_drift() if runs is None else runs
        configs = {n: {"serves": "recorded"} for n in allocs.split(",")}
        defs = {"drift": scenarios.build("drift", args)}
        started = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        return driver.summarize(args, configs, ["jemalloc skipped: not installed"], runs, defs,
                                0, None, started)

    def test_rows_medians_and_ratios(self):
        s = self.summary()
        rows = {r["config"]: r for r in s["scenarios"]["drift"]["rows"]}
        self.assertEqual(list(rows), ["hakmem-P", "system", "tcmalloc", "mimalloc"])
        for name, r in rows.items():
            peaks = sorted(x["rss_peak_bytes"] for x in recorded_drift() if x["config"] == name)
            self.assertEqual(r["metrics"]["rss_peak_bytes"]["median"], peaks[1])
            self.assertEqual((r["ok"], r["reps"]), (3, 3))
        sys_peak = rows["system"]["metrics"]["rss_peak_bytes"]["median"]
        tc = rows["tcmalloc"]
        self.assertAlmostEqual(tc["vs_system"]["rss_peak_bytes"],
                               tc["metrics"]["rss_peak_bytes"]["median"] / sys_peak)
        lo, hi = tc["vs_system_ci"]["rss_peak_bytes"]
        self.assertTrue(lo <= tc["vs_system"]["rss_peak_bytes"] <= hi)

    def test_verdict_lines(self):
        s = self.summary()
        lines = report.verdict(s)
        self.assertEqual(len(lines), 4)  # drift's four verdict metrics
        peak = lines[0]
        self.assertTrue(peak.startswith("- drift, peak RSS (lower is better) vs system: "), peak)
        # tcmalloc's peak is 1.19x system's in every recorded rep: a detectable difference.
        self.assertRegex(peak, r"tcmalloc 1\.1\dx \[1\.1\d-1\.2\d\] worse")
        self.assertNotIn("system ", peak.split("vs system: ")[1])

    def test_verdict_without_enough_runs(self):
        runs = [r for r in recorded_drift() if r["rep"] == 1]
        line = report.verdict(self.summary(runs))[0]
        self.assertIn("(n = 1: no interval)", line)

    def test_failed_baseline_gives_no_verdict(self):
        runs = recorded_drift()
        for r in runs:
            if r["config"] == "system":
                r["status"], r["failure"] = "failed", "recorded failure"
        line = report.verdict(self.summary(runs))[0]
        self.assertIn("no verdict (system malloc has no successful run)", line)

    def test_markdown_opens_with_the_verdict(self):
        s = self.summary()
        with tempfile.TemporaryDirectory() as d:
            md = report.write(s, os.path.join(d, "summary.md"), os.path.join(d, "summary.json"))
            with open(os.path.join(d, "summary.json")) as f:
                back = json.load(f)
        self.assertEqual(back["schema"], "hakmem-compare/2")
        head = md.split("\n## ")[1]
        self.assertTrue(head.startswith("Verdict"), head[:80])
        self.assertIn("- hakmem-P: recorded", md)
        self.assertIn("CPUs (nproc)", md)
        self.assertIn("- jemalloc skipped: not installed", md)
        self.assertIn("| after fill 16-128 B | after overwrite 200-2000 B |", md)
        self.assertIn("| hakmem-P | 3/3 |", md)

    def test_cells(self):
        self.assertEqual(report.cell({"median": 2e3, "min": 1e3, "max": 3e3, "n": 2}, report.fmt_ops),
                         "2.0k (1.0k-3.0k)")
        self.assertEqual(report.cell({"median": 2e3, "min": 1e3, "max": 3e3, "n": 3,
                                      "ci": [1.5e3, 2.5e3]}, report.fmt_ops), "2.0k [1.5k-2.5k]")
        self.assertEqual(report.cell({"median": 5, "min": 5, "max": 5, "n": 1}, report.fmt_us), "5 us")
        self.assertEqual(report.cell({"median": 900, "min": 500, "max": 1500, "n": 2}, report.fmt_us),
                         "900 us (500 us-1.50 ms)")
        self.assertEqual(report.cell(None, report.fmt_us), "n/a")
        self.assertEqual(report.fmt_ratio(0.5, [0.4, 0.6]), "x0.50 [0.40-0.60]")
        self.assertEqual(report.fmt_bytes(3 << 20), "3.0 MiB")

    def test_rss_normalized_to_steps(self):
        steps = [{"start_s": 1.0, "end_s": 3.0}, {"start_s": 3.5, "end_s": 4.5}]
        pts = plots.normalized([(0.5, 1), (2.0, 2), (3.2, 9), (4.0, 3)], steps)
        self.assertEqual(pts, [(0.5, 2), (1.5, 3)])  # before the first step and between: dropped


class ScenarioTest(unittest.TestCase):
    def test_fixed_counts_and_steps(self):
        a = cli.parse(["--profile", "full"])
        d = scenarios.build("drift", a)
        self.assertEqual([s.kind for s in d.steps], ["load", "load", "delete", "load"])
        self.assertEqual(d.steps[1].requests, 400000)
        self.assertEqual([s.value_size for s in d.steps if s.kind == "load"],
                         ["16-128", "200-2000", "32-512"])
        b = scenarios.build("burst", a)
        self.assertEqual(b.steps[-1].seconds, 10.0)
        self.assertEqual(b.reps, 5)
        c = scenarios.build("conns", a)
        self.assertGreaterEqual(c.steps[1].connections, 1000)

    def test_load_command(self):
        class Ctx:
            args = cli.parse(["--profile", "smoke"])
            bins = {"load": "hakmem-load"}
            load_cpus, load_threads, keys, allow_rate_miss = [0], 1, 2000, True
        step = scenarios.build("ycsb-closed", Ctx.args).steps[1]
        cmd = load_run.command(Ctx, step, 7000, "x.json", "x.hgrm", 5)
        self.assertEqual(cmd[:3], ["taskset", "-c", "0"])
        self.assertIn("--requests", cmd)
        self.assertNotIn("--rate", cmd)
        step.open_loop = True
        cmd = load_run.command(Ctx, step, 7000, "x.json", "x.hgrm", 5, rate=1234.5)
        self.assertEqual(cmd[cmd.index("--rate") + 1], "1234")
        self.assertIn("--allow-rate-miss", cmd)


class CliTest(unittest.TestCase):
    def test_profile_defaults_and_overrides(self):
        a = cli.parse(["--profile", "short", "--reps", "5"])
        self.assertEqual((a.reps, a.drift_keys, a.burst_reps), (5, 100000, 2))
        a = cli.parse([])
        self.assertEqual((a.profile, a.reps, a.rate_fraction, a.store), ("full", 5, 0.6, "memory"))
        self.assertEqual(a.scenario_list, scenarios.DEFAULT)
        self.assertNotIn("fleet", a.scenario_list)  # it needs nutcracker: --profile fleet
        self.assertEqual(cli.parse(["--profile", "default"]).profile, "full")
        a = cli.parse(["--profile", "fleet"])
        self.assertEqual((a.scenario_list, a.fleet_servers, a.reps, a.ycsb_keys),
                         (["fleet"], 3, 3, 50000))
        a = cli.parse(["--profile", "fleet", "--fleet-servers", "5", "--scenarios", "fleet,drift"])
        self.assertEqual((a.scenario_list, a.fleet_servers), (["drift", "fleet"], 5))

    def test_bad_flags_are_one_line_errors(self):
        for argv in (["--scenarios", "nope"], ["--allocs", "dlmalloc"], ["--drift-sizes", "1-2"],
                     ["--scenarios", "ycsb-open"], ["--fleet-servers", "0"]):
            with self.assertRaises(SystemExit):
                with open(os.devnull, "w") as null:
                    old, sys.stderr = sys.stderr, null
                    try:
                        cli.parse(argv)
                    finally:
                        sys.stderr = old

    def test_rate_from_system(self):
        a = cli.parse([])
        rows = [{"config": "system", "metrics": {"ops_per_sec": {"median": 1000.0}}},
                {"config": "hakmem-S", "metrics": {"ops_per_sec": {"median": 5000.0}}}]
        rate, why = driver.open_loop_rate(a, rows)
        self.assertEqual(rate, 600.0)
        self.assertIn("system", why)
        rate, why = driver.open_loop_rate(a, rows[1:])
        self.assertEqual(rate, 3000.0)
        self.assertIn("no successful run", why)

    def test_unknown_allocator(self):
        with self.assertRaises(ValueError):
            allocators.resolve(["dlmalloc"])

    def test_whole_process_launch(self):
        real = allocators.find_library
        allocators.find_library = lambda soname: "/usr/lib/" + soname
        try:
            with tempfile.TemporaryDirectory() as build:
                os.makedirs(os.path.join(build, "lib"))
                open(os.path.join(build, "lib", "libhakmem.so"), "w").close()
                h = allocators.launch("hakmem-P", "whole", build)
                self.assertEqual((h["arena"], h["env"], h["counter"]),
                                 ("system", {"HAKMEM_ROUTE": "P"}, "hakmem_stats"))
                self.assertTrue(h["preload"].endswith("lib/libhakmem.so"))
                self.assertEqual(allocators.launch("hakmem-P", "arena", build)["preload"], None)
                # Without the background thread: opt-in, the same route plus the option off.
                bg = allocators.launch("hakmem-P-nobg", "whole", build)
                self.assertEqual(bg["env"], {"HAKMEM_ROUTE": "P", "HAKMEM_BACKGROUND": "0"})
                self.assertIn("HAKMEM_BACKGROUND=0", bg["serves"])
                self.assertEqual(allocators.launch("hakmem-P-nobg", "arena", build)["env"],
                                 {"HAKMEM_BACKGROUND": "0"})
                self.assertNotIn("hakmem-P-nobg", allocators.DEFAULT)
            m = allocators.launch("mimalloc", "whole", "b")
            self.assertEqual((m["arena"], m["preload"]), ("mimalloc", "/usr/lib/libmimalloc.so.2"))
            self.assertIsNone(allocators.launch("mimalloc", "arena", "b")["preload"])
            self.assertIsNotNone(allocators.launch("jemalloc", "arena", "b")["preload"])
            self.assertIsNone(allocators.launch("system", "whole", "b")["preload"])
            self.assertIn("whole process", allocators.launch("tcmalloc", "whole", "b")["serves"])
        finally:
            allocators.find_library = real

    def test_missing_peer_is_a_note(self):
        real = allocators.find_library
        allocators.find_library = lambda soname: None
        try:
            runnable, notes = allocators.resolve(["system", "mimalloc"])
        finally:
            allocators.find_library = real
        self.assertEqual(list(runnable), ["system"])
        self.assertEqual(notes, ["mimalloc skipped: libmimalloc.so.2 is not installed"])


if __name__ == "__main__":
    unittest.main()
