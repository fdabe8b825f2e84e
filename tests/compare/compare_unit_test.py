"""hakmem-compare's parsing, aggregation, tables and JSON on recorded inputs (no processes run)."""

import datetime
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))

from compare import allocators, cli, driver, load_run, plots, report, rocksdb_run, stats  # noqa: E402


def recorded(name):
    with open(os.path.join(HERE, "data", name)) as f:
        return f.read()


INFO_HAKMEM = {"allocator_bytes_in_use": "2097152", "allocator_bytes_committed": "7102464",
               "arena_bytes_in_use": "216", "hakmem_page_reuse_rate": "0.7950",
               "mem_allocator": "hakmem"}
INFO_MIMALLOC = {"allocator_bytes_in_use": "0", "allocator_bytes_committed": "4218880",
                 "arena_bytes_in_use": "0", "mem_allocator": "mimalloc"}


def run_record(config, mode, rep, load_file, info, rss_peak, status="ok"):
    rec = {"config": config, "mode": mode, "rep": rep, "status": status, "failure": "", "rate": 0}
    if status != "ok":
        rec["failure"] = "server did not start: recorded failure"
        return rec
    rec.update(load_run.load_metrics(json.loads(recorded(load_file))))
    rec.update(load_run.memory_metrics(info))
    rec.update(rss_peak_bytes=rss_peak, rss_final_bytes=rss_peak - 1048576)
    return rec


class LoadJsonTest(unittest.TestCase):
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
        self.assertEqual(stats.spread([3, 1, None, 2]), {"median": 2, "min": 1, "max": 3, "n": 3})
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


class SummaryTest(unittest.TestCase):
    def summary(self):
        args = cli.parse(["--profile", "short", "--allocs", "hakmem-S,system,mimalloc"])
        runs = []
        for rep in (1, 2):
            runs.append(run_record("hakmem-S", "closed", rep, "closed-hakmem-S.json", INFO_HAKMEM, 40 << 20))
            runs.append(run_record("system", "closed", rep, "closed-system.json", {}, 36 << 20))
            runs.append(run_record("mimalloc", "closed", rep, "closed-system.json", INFO_MIMALLOC,
                                   30 << 20, status="ok" if rep == 1 else "failed"))
        runs.append(run_record("hakmem-S", "phases", 1, "phases-hakmem.json", INFO_HAKMEM, 50 << 20))
        rdb = rocksdb_run.bench_metrics(json.loads(recorded("rocksdb-hakmem.json")))
        runs.append(dict(rdb, config="hakmem-S", mode="rocksdb", rep=1, status="ok"))
        runs.append(dict(rdb, config="system", mode="rocksdb", rep=1, status="ok", ops_per_sec=159504.19))
        configs = {n: allocators.CONFIGS[n] for n in ("hakmem-S", "system", "mimalloc")}
        started = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        return driver.summarize(args, configs, ["tcmalloc skipped: not installed"], runs, 0, None, started)

    def test_rows_per_configuration(self):
        s = self.summary()
        self.assertEqual([r["config"] for r in s["closed"]], ["hakmem-S", "system", "mimalloc"])
        self.assertIsNone(s["open"])
        self.assertEqual([r["config"] for r in s["rocksdb"]], ["hakmem-S", "system"])
        self.assertAlmostEqual(s["rocksdb"][0]["vs_system"]["ops_per_sec"], 319008.386655233 / 159504.19)
        mim = s["closed"][2]
        self.assertEqual((mim["reps"], mim["ok"]), (2, 1))

    def test_markdown_and_json(self):
        s = self.summary()
        with tempfile.TemporaryDirectory() as d:
            md = report.write(s, os.path.join(d, "summary.md"), os.path.join(d, "summary.json"))
            with open(os.path.join(d, "summary.json")) as f:
                back = json.load(f)
        self.assertEqual(back["schema"], "hakmem-compare/1")
        self.assertEqual(len(back["closed"]), 3)
        self.assertIn("CPUs (nproc)", md)
        self.assertIn("| hakmem-S | 2/2 | 69.9k | x0.99 |", md)  # the recorded 69873 ops/s, twice
        self.assertIn("| system | 2/2 | 70.4k | x1.00 |", md)
        self.assertIn("| mimalloc | 1/2 |", md)
        self.assertIn("- mimalloc closed rep 2: server did not start: recorded failure", md)
        self.assertIn("- tcmalloc skipped: not installed", md)
        self.assertIn("| 0 | S |", md)
        self.assertIn("| 1 | P |", md)
        self.assertIn("## RocksDB embedded", md)

    def test_cells(self):
        self.assertEqual(report.cell({"median": 2e3, "min": 1e3, "max": 3e3, "n": 3}, report.fmt_ops),
                         "2.0k (1.0k-3.0k)")
        self.assertEqual(report.cell({"median": 5, "min": 5, "max": 5, "n": 1}, report.fmt_us), "5 us")
        self.assertEqual(report.cell({"median": 373, "min": 360, "max": 385, "n": 2}, report.fmt_us),
                         "373 us (360-385)")
        self.assertEqual(report.cell({"median": 900, "min": 500, "max": 1500, "n": 3}, report.fmt_us),
                         "900 us (500 us-1.50 ms)")
        self.assertEqual(report.cell(None, report.fmt_us), "n/a")
        self.assertEqual(report.fmt_bytes(3 << 20), "3.0 MiB")
        self.assertEqual(report.fmt_us(1500), "1.50 ms")


class CliTest(unittest.TestCase):
    def test_profile_defaults_and_overrides(self):
        a = cli.parse(["--profile", "short", "--reps", "5"])
        self.assertEqual((a.reps, a.duration, a.load), (5, 2.0, a.keys))
        a = cli.parse([])
        self.assertEqual((a.reps, a.rate_fraction), (3, 0.6))

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
