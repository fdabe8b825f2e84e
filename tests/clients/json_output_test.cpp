// The JSON and .hgrm files of a short run parse and hold every documented field
// (clients/load/README.md); server -ERR replies are counted, never fatal.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "fake_resp_server.hpp"
#include "process.hpp"

namespace hl = hakmem::load;
using nlohmann::json;

namespace {

void expect_keys(const json& j, std::initializer_list<const char*> keys, const std::string& where) {
  for (const char* k : keys) EXPECT_TRUE(j.contains(k)) << where << " lacks " << k;
}

void expect_stats(const json& s, const std::string& where) {
  expect_keys(s,
              {"duration_s", "ops", "ops_per_sec", "ops_by_type", "misses", "errors",
               "errors_by_kind", "latency_us", "uncorrected_latency_us", "bytes_sent",
               "bytes_received", "kb_sent_per_sec", "kb_received_per_sec"},
              where);
  expect_keys(s["ops_by_type"], {"read", "update", "insert", "rmw", "delete"}, where);
  for (const char* h : {"latency_us", "uncorrected_latency_us"}) {
    expect_keys(s[h],
                {"count", "min", "mean", "stddev", "p50", "p90", "p99", "p99_9", "p99_99", "max"},
                where + "." + h);
    // Percentiles are ordered.
    const auto& l = s[h];
    EXPECT_LE(l["min"].get<double>(), l["p50"].get<double>());
    EXPECT_LE(l["p50"].get<double>(), l["p90"].get<double>());
    EXPECT_LE(l["p90"].get<double>(), l["p99"].get<double>());
    EXPECT_LE(l["p99"].get<double>(), l["p99_9"].get<double>());
    EXPECT_LE(l["p99_9"].get<double>(), l["p99_99"].get<double>());
    EXPECT_LE(l["p99_99"].get<double>(), l["max"].get<double>());
  }
}

}  // namespace

TEST(JsonOutput, ShortRunHoldsEveryField) {
  // Every 50th request fails: errors are counted by kind and the run still exits 0.
  hl::testing::FakeRespServer server({.error_every = 50});
  const auto dir = hl::testing::temp_dir("json");
  const auto json_path = (dir / "run.json").string();
  const auto hgrm_path = (dir / "run.hgrm").string();
  const auto r = hl::testing::run_process({HAKMEM_LOAD_BIN,
                                           "--port",
                                           std::to_string(server.port()),
                                           "--duration",
                                           "1.5",
                                           "--warmup",
                                           "0.3",
                                           "--workload",
                                           "f",
                                           "--keys",
                                           "500",
                                           "--load",
                                           "500",
                                           "--threads",
                                           "2",
                                           "--connections",
                                           "4",
                                           "--pipeline",
                                           "4",
                                           "--json",
                                           json_path,
                                           "--hgrm",
                                           hgrm_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ops/s"), std::string::npos);
  EXPECT_NE(r.out.find("KB/s sent"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("ops/s"), std::string::npos);  // the progress line

  const json doc = json::parse(hl::testing::slurp(json_path));
  expect_keys(doc,
              {"schema", "config", "preload", "summary", "phases", "series", "status", "failure",
               "requests", "rate"},
              "document");
  expect_keys(doc["requests"], {"sent", "answered", "unanswered"}, "requests");
  expect_keys(
      doc["rate"],
      {"target", "achieved", "achieved_fraction", "tolerance", "missed", "miss_allowed", "backlog"},
      "rate");
  EXPECT_EQ(doc["rate"]["target"], 0.0);  // closed loop: no target to miss
  EXPECT_FALSE(doc["rate"]["missed"].get<bool>());
  EXPECT_EQ(doc["schema"], "hakmem-load/1");
  EXPECT_EQ(doc["status"], "ok");
  expect_keys(doc["config"],
              {"host", "port", "threads", "connections", "pipeline", "mode", "rate", "duration_s",
               "warmup_s", "requests", "seed", "workload", "distribution", "zipf_constant", "keys",
               "value_size", "load", "admin"},
              "config");
  EXPECT_EQ(doc["config"]["workload"], "f");
  EXPECT_EQ(doc["config"]["mode"], "closed");
  EXPECT_EQ(doc["config"]["distribution"], "zipfian");
  expect_keys(doc["preload"], {"records", "duration_s", "errors"}, "preload");
  EXPECT_EQ(doc["preload"]["records"], 500);

  const auto& s = doc["summary"];
  expect_stats(s, "summary");
  EXPECT_NEAR(s["duration_s"].get<double>(), 1.5, 0.4);
  EXPECT_GT(s["ops"].get<uint64_t>(), 100u);
  EXPECT_GT(s["ops_by_type"]["read"].get<uint64_t>(), 0u);
  EXPECT_GT(s["ops_by_type"]["rmw"].get<uint64_t>(), 0u);
  EXPECT_GT(s["errors"].get<uint64_t>(), 0u);
  EXPECT_EQ(s["errors"], s["errors_by_kind"]["ERR"]);
  EXPECT_EQ(s["latency_us"]["count"], s["ops"]);
  EXPECT_GT(s["bytes_sent"].get<uint64_t>(), 0u);
  EXPECT_GT(s["bytes_received"].get<uint64_t>(), 0u);
  EXPECT_NEAR(s["kb_sent_per_sec"].get<double>(),
              s["bytes_sent"].get<double>() / 1024 / s["duration_s"].get<double>(), 1e-6);
  // Workload f: GETs and read-modify-writes, each in its row, errors included.
  const auto& by = s["by_command"];
  ASSERT_TRUE(by.contains("GET") && by.contains("GET+SET")) << by.dump();
  uint64_t row_ops = 0, row_errors = 0;
  for (const auto& [name, row] : by.items()) {
    expect_keys(row, {"ops", "ops_per_sec", "errors", "latency_us"}, "by_command." + name);
    row_ops += row["ops"].get<uint64_t>();
    row_errors += row["errors"].get<uint64_t>();
  }
  EXPECT_EQ(row_ops, s["ops"].get<uint64_t>());
  EXPECT_EQ(row_errors, s["errors"].get<uint64_t>());
  EXPECT_EQ(doc["requests"]["answered"].get<uint64_t>(), row_ops + row_errors);
  EXPECT_TRUE(doc["phases"].is_array());
  EXPECT_TRUE(doc["phases"].empty());

  const auto& series = doc["series"];
  ASSERT_TRUE(series.is_array());
  ASSERT_GE(series.size(), 1u);
  ASSERT_LE(series.size(), 3u);  // 1.5 s: one full second and the rest
  uint64_t ops = 0;
  for (const auto& p : series) {
    expect_keys(p,
                {"t_s", "interval_s", "phase", "ops", "ops_per_sec", "errors", "p50_us", "p99_us",
                 "max_us"},
                "series point");
    ops += p["ops"].get<uint64_t>();
  }
  EXPECT_EQ(ops, s["ops"].get<uint64_t>());  // the series adds up to the summary

  const std::string hgrm = hl::testing::slurp(hgrm_path);
  EXPECT_NE(hgrm.find("Percentile"), std::string::npos);
  EXPECT_NE(hgrm.find("#[Max"), std::string::npos);
  EXPECT_NE(hgrm.find(std::to_string(s["ops"].get<uint64_t>())), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(JsonOutput, RequestLimitAndOpenLoopFields) {
  hl::testing::FakeRespServer server({});
  const auto dir = hl::testing::temp_dir("json2");
  const auto json_path = (dir / "run.json").string();
  const auto r = hl::testing::run_process({HAKMEM_LOAD_BIN, "--port", std::to_string(server.port()),
                                           "--requests", "300", "--rate", "1000", "--warmup", "0",
                                           "--connections", "3", "-q", "--json", json_path,
                                           "--allow-rate-miss"});  // a loaded machine may lag
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;  // --quiet: no progress lines
  const json doc = json::parse(hl::testing::slurp(json_path));
  EXPECT_EQ(doc["config"]["mode"], "open");
  EXPECT_EQ(doc["summary"]["ops"], 300);
  EXPECT_EQ(doc["requests"]["sent"], 300);
  EXPECT_EQ(doc["rate"]["target"], 1000.0);
  EXPECT_TRUE(doc["rate"]["miss_allowed"].get<bool>());
  // 300 requests at 1000/s take about 0.3 s.
  EXPECT_GT(doc["summary"]["duration_s"].get<double>(), 0.25);
  EXPECT_LT(doc["summary"]["duration_s"].get<double>(), 5.0);
  std::filesystem::remove_all(dir);
}

// --runs repeats the whole run: each in "runs", the top level is the last, and the spread of
// their throughput and percentiles is in "across_runs" and the summary's last lines.
TEST(JsonOutput, RunsAreRepeatedAndSummarized) {
  hl::testing::FakeRespServer server({});
  const auto dir = hl::testing::temp_dir("json-runs");
  const auto json_path = (dir / "run.json").string();
  const auto r =
      hl::testing::run_process({HAKMEM_LOAD_BIN, "--port", std::to_string(server.port()), "--runs",
                                "3", "--requests", "200", "--warmup", "0", "--load", "50", "--keys",
                                "50", "--connections", "2", "-q", "--json", json_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"run 1 of 3:", "run 2 of 3:", "run 3 of 3:", "across 3 runs"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
  const json doc = json::parse(hl::testing::slurp(json_path));
  EXPECT_EQ(doc["config"]["runs"], 3);
  EXPECT_EQ(doc["status"], "ok");
  ASSERT_EQ(doc["runs"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const auto& run = doc["runs"][i];
    EXPECT_EQ(run["index"], i);
    EXPECT_EQ(run["status"], "ok");
    EXPECT_EQ(run["summary"]["ops"], 200);     // --requests holds in every run
    EXPECT_EQ(run["preload"]["records"], 50);  // the preload is part of each run
    expect_stats(run["summary"], "runs[" + std::to_string(i) + "]");
  }
  EXPECT_EQ(doc["summary"], doc["runs"][2]["summary"]);
  const auto& across = doc["across_runs"];
  EXPECT_EQ(across["runs"], 3);
  std::vector<double> rates;
  for (const auto& run : doc["runs"]) rates.push_back(run["summary"]["ops_per_sec"]);
  std::sort(rates.begin(), rates.end());
  EXPECT_DOUBLE_EQ(across["ops_per_sec"]["min"].get<double>(), rates[0]);
  EXPECT_DOUBLE_EQ(across["ops_per_sec"]["median"].get<double>(), rates[1]);
  EXPECT_DOUBLE_EQ(across["ops_per_sec"]["max"].get<double>(), rates[2]);
  for (const char* p : {"p50", "p99", "p99_9"}) {
    const auto& s = across["latency_us"][p];
    EXPECT_LE(s["min"].get<double>(), s["median"].get<double>()) << p;
    EXPECT_LE(s["median"].get<double>(), s["max"].get<double>()) << p;
  }
  std::filesystem::remove_all(dir);
}

// One run: "runs" holds it, and "across_runs" is that run's figures.
TEST(JsonOutput, OneRunIsItsOwnSpread) {
  hl::testing::FakeRespServer server({});
  const auto dir = hl::testing::temp_dir("json-one-run");
  const auto json_path = (dir / "run.json").string();
  const auto r =
      hl::testing::run_process({HAKMEM_LOAD_BIN, "--port", std::to_string(server.port()),
                                "--requests", "100", "--warmup", "0", "-q", "--json", json_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("across"), std::string::npos) << r.out;
  const json doc = json::parse(hl::testing::slurp(json_path));
  ASSERT_EQ(doc["runs"].size(), 1u);
  EXPECT_EQ(doc["runs"][0]["summary"], doc["summary"]);
  const auto& rate = doc["across_runs"]["ops_per_sec"];
  EXPECT_EQ(rate["min"], doc["summary"]["ops_per_sec"]);
  EXPECT_EQ(rate["max"], doc["summary"]["ops_per_sec"]);
  EXPECT_EQ(doc["across_runs"]["latency_us"]["p99"]["median"], doc["summary"]["latency_us"]["p99"]);
  std::filesystem::remove_all(dir);
}
