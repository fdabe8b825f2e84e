// hakmem-load tells the truth: an open loop that a server cannot keep up with records what it
// sent against the intended send times (even those scheduled in the warmup), says that the
// rate was missed and exits 3; --requests N measures exactly N; each command has its own row.
// Assertions are on counts, exit codes and latencies far above the fake server's delay.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_resp_server.hpp"
#include "process.hpp"

namespace hl = hakmem::load;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct LoadRun {
  hl::testing::ProcessResult process;
  json doc;
};

LoadRun run_load(uint16_t port, std::vector<std::string> flags) {
  const auto dir = hl::testing::temp_dir("truth");
  const auto json_path = (dir / "run.json").string();
  std::vector<std::string> argv = {HAKMEM_LOAD_BIN, "--port", std::to_string(port), "-q",
                                   "--json",        json_path};
  argv.insert(argv.end(), flags.begin(), flags.end());
  LoadRun r;
  r.process = hl::testing::run_process(argv);
  const std::string text = hl::testing::slurp(json_path);
  if (!text.empty()) r.doc = json::parse(text);
  std::filesystem::remove_all(dir);
  return r;
}

constexpr auto kDelay = 20ms;  // per request and connection: 2 connections answer <= 100/s

// 10,000/s against a server that answers at most 100/s, 0.3 s of warmup then 0.5 s measured.
std::vector<std::string> overload_flags() {
  return {"--rate", "10000",      "--connections", "2",          "--threads", "1",      "--warmup",
          "0.3",    "--duration", "0.5",           "--workload", "c",         "--keys", "10"};
}

}  // namespace

TEST(Truth, OverloadedOpenLoopReportsTheMissAndExits3) {
  hl::testing::FakeRespServer server({.delay = kDelay});
  const LoadRun r = run_load(server.port(), overload_flags());
  EXPECT_EQ(r.process.exit_code, 3) << r.process.err;
  EXPECT_NE(r.process.err.find("target rate missed"), std::string::npos) << r.process.err;
  EXPECT_NE(r.process.out.find("TARGET RATE MISSED"), std::string::npos) << r.process.out;
  ASSERT_TRUE(r.doc.is_object());
  EXPECT_EQ(r.doc["status"], "rate_missed");
  EXPECT_TRUE(r.doc["rate"]["missed"].get<bool>());
  EXPECT_FALSE(r.doc["rate"]["miss_allowed"].get<bool>());
  EXPECT_LT(r.doc["rate"]["achieved_fraction"].get<double>(), 0.95);
  EXPECT_GT(r.doc["rate"]["backlog"].get<uint64_t>(), 0u);
  // Requests sent in the measured window are recorded (never "0 ops ok")...
  const json& s = r.doc["summary"];
  EXPECT_GT(s["ops"].get<uint64_t>(), 0u);
  EXPECT_EQ(r.doc["requests"]["answered"], s["ops"]);
  EXPECT_GE(r.doc["requests"]["sent"].get<uint64_t>(), s["ops"].get<uint64_t>());
  // ...against their intended times, which all lie in the first few milliseconds of the
  // warmup: each waited at least ~0.3 s, far beyond the server's 20 ms.
  const double delay_us = std::chrono::duration<double, std::micro>(kDelay).count();
  EXPECT_GE(s["latency_us"]["min"].get<double>(), 5 * delay_us);
  EXPECT_GE(s["latency_us"]["p50"].get<double>(), 5 * delay_us);
  // Measured from the send, a request takes about one delay.
  EXPECT_GE(s["uncorrected_latency_us"]["min"].get<double>(), delay_us * 0.9);
}

TEST(Truth, AllowRateMissKeepsTheReportAndExits0) {
  hl::testing::FakeRespServer server({.delay = kDelay});
  auto flags = overload_flags();
  flags.push_back("--allow-rate-miss");
  const LoadRun r = run_load(server.port(), flags);
  EXPECT_EQ(r.process.exit_code, 0) << r.process.err;
  ASSERT_TRUE(r.doc.is_object());
  EXPECT_EQ(r.doc["status"], "ok");
  EXPECT_TRUE(r.doc["rate"]["missed"].get<bool>());
  EXPECT_TRUE(r.doc["rate"]["miss_allowed"].get<bool>());
  EXPECT_NE(r.process.out.find("TARGET RATE MISSED"), std::string::npos) << r.process.out;
}

TEST(Truth, RequestsMeasuresExactlyNAfterAWarmup) {
  hl::testing::FakeRespServer server({});
  for (const char* pipeline : {"1", "8"}) {
    const LoadRun r = run_load(server.port(), {"--requests", "3000", "--warmup", "0.2",
                                               "--connections", "4", "--pipeline", pipeline});
    ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
    const json& s = r.doc["summary"];
    EXPECT_EQ(s["ops"].get<uint64_t>() + s["errors"].get<uint64_t>(), 3000u) << pipeline;
    EXPECT_EQ(s["latency_us"]["count"], s["ops"]);
    EXPECT_EQ(r.doc["requests"]["sent"], 3000) << pipeline;
    uint64_t series_ops = 0;
    for (const auto& point : r.doc["series"]) series_ops += point["ops"].get<uint64_t>();
    EXPECT_EQ(series_ops, s["ops"].get<uint64_t>());
  }
}

TEST(Truth, EachCommandHasItsOwnRow) {
  hl::testing::FakeRespServer server({});
  // Workload a: half GET, half SET.
  const LoadRun r = run_load(server.port(), {"--requests", "2000", "--warmup", "0", "--workload",
                                             "a", "--keys", "100", "--load", "100"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  const json& by = r.doc["summary"]["by_command"];
  ASSERT_TRUE(by.contains("GET")) << by.dump();
  ASSERT_TRUE(by.contains("SET")) << by.dump();
  EXPECT_FALSE(by.contains("DEL"));
  const uint64_t gets = by["GET"]["ops"].get<uint64_t>(), sets = by["SET"]["ops"].get<uint64_t>();
  EXPECT_GT(gets, 0u);
  EXPECT_GT(sets, 0u);
  EXPECT_EQ(gets + sets, r.doc["summary"]["ops"].get<uint64_t>());
  EXPECT_EQ(by["GET"]["latency_us"]["count"].get<uint64_t>(), gets);
  EXPECT_EQ(gets, r.doc["summary"]["ops_by_type"]["read"].get<uint64_t>());
  // The text summary has one row per command too.
  EXPECT_NE(r.process.out.find("  GET "), std::string::npos) << r.process.out;
  EXPECT_NE(r.process.out.find("  SET "), std::string::npos) << r.process.out;
}
