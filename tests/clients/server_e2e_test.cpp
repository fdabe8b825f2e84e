// hakmem-load against the real hakmem-server (in-memory store): every workload runs with zero
// errors, and --phases switches the server's route through its admin service.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "process.hpp"

namespace hl = hakmem::load;
using nlohmann::json;

namespace {

class ServerE2E : public ::testing::Test {
 protected:
  virtual std::vector<std::string> extra_server_args() const { return {}; }

  void SetUp() override {
    dir_ = hl::testing::temp_dir(
        "e2e-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    const auto port_file = dir_ / "port";
    std::vector<std::string> args{HAKMEM_SERVER_BIN,        "--port",       "0",      "--port-file",
                                  port_file.string(),       "--store",      "memory", "--data-dir",
                                  (dir_ / "data").string(), "--admin-port", "0"};
    for (const auto& a : extra_server_args()) args.push_back(a);
    server_ = std::make_unique<hl::testing::BackgroundProcess>(args, dir_ / "server.log");
    // The port file appears once the server listens; the admin address is in its log.
    for (int i = 0; i < 1000 && port_.empty(); ++i) {
      if (!server_->running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (std::filesystem::exists(port_file)) {
        port_ = hl::testing::slurp(port_file);
        while (!port_.empty() && (port_.back() == '\n' || port_.back() == '\r')) port_.pop_back();
      }
    }
    ASSERT_FALSE(port_.empty()) << hl::testing::slurp(dir_ / "server.log");
    std::smatch m;
    const std::string log = hl::testing::slurp(dir_ / "server.log");
    static const std::regex admin_re("admin gRPC on ([0-9.]+:[0-9]+)");
    if (std::regex_search(log, m, admin_re)) admin_ = m[1];
  }

  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << "hakmem-server did not exit cleanly:\n"
                                    << hl::testing::slurp(dir_ / "server.log");
    }
    std::filesystem::remove_all(dir_);
  }

  hl::testing::ProcessResult run_load_process(std::vector<std::string> extra) {
    std::vector<std::string> argv{
        HAKMEM_LOAD_BIN, "--port", port_, "-q", "--json", (dir_ / "run.json").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return hl::testing::run_process(argv);
  }

  json run_load(std::vector<std::string> extra) {
    const auto json_path = (dir_ / "run.json").string();
    const auto r = run_load_process(std::move(extra));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) return json::object();
    return json::parse(hl::testing::slurp(json_path));
  }

  std::filesystem::path dir_;
  std::unique_ptr<hl::testing::BackgroundProcess> server_;
  std::string port_, admin_;
};

}  // namespace

TEST_F(ServerE2E, EveryWorkloadRunsWithoutErrors) {
  for (const char* workload : {"a", "b", "c", "d", "f", "larson"}) {
    SCOPED_TRACE(workload);
    const json doc =
        run_load({"--workload", workload, "--keys", "2000", "--load", "2000", "--duration", "1",
                  "--warmup", "0.2", "--threads", "2", "--connections", "4", "--pipeline", "4"});
    ASSERT_TRUE(doc.contains("summary"));
    const auto& s = doc["summary"];
    EXPECT_EQ(doc["status"], "ok");
    EXPECT_EQ(doc["preload"]["errors"], 0);
    EXPECT_EQ(s["errors"], 0) << s["errors_by_kind"].dump();
    EXPECT_GT(s["ops"].get<uint64_t>(), 100u);
    // Every key was preloaded, so reads hit (d's reads of keys still being inserted may miss).
    if (std::string(workload) != "d") {
      EXPECT_EQ(s["misses"], 0);
    }
  }
}

TEST_F(ServerE2E, OpenLoopKeepsTheRate) {
  // On a loaded 2-core machine the client or server may fall behind the schedule: that is
  // reported (tested in load.Truth), not failed, here.
  const json doc =
      run_load({"--rate", "2000", "--duration", "1.5", "--warmup", "0.2", "--connections", "4",
                "--value-size", "pareto:4096", "--allow-rate-miss"});
  ASSERT_TRUE(doc.contains("summary"));
  EXPECT_EQ(doc["summary"]["errors"], 0);
  EXPECT_EQ(doc["rate"]["target"], 2000.0);
  // The schedule caps the rate: the window can at most catch up on what the warmup's
  // schedule left unsent (plus a few requests of slack at the edges); the floor is loose.
  const double rate = doc["summary"]["ops_per_sec"].get<double>();
  EXPECT_LE(rate, 2000.0 * (1.5 + 0.2) / 1.5 * 1.02);
  EXPECT_GE(rate, 2000.0 * 0.5);
  EXPECT_EQ(doc["rate"]["missed"].get<bool>(), rate < 2000.0 * 0.95);
}

TEST_F(ServerE2E, PhasesSwitchTheServersRoute) {
  if (admin_.empty()) GTEST_SKIP() << "this hakmem-server has no admin service";
  const json doc = run_load({"--admin", admin_, "--phases", "S:600ms,P:600ms,CDA:600ms", "--warmup",
                             "0.2", "--workload", "larson", "--keys", "1000", "--load", "1000"});
  ASSERT_TRUE(doc.contains("phases"));
  ASSERT_EQ(doc["phases"].size(), 3u);
  for (const auto& p : doc["phases"]) {
    EXPECT_GT(p["ops"].get<uint64_t>(), 0u);
    EXPECT_EQ(p["errors"], 0);
  }
  EXPECT_EQ(doc["phases"][1]["route"], "P");
}

// Bytes on the wire, counted exactly: workload a with 100-byte values over preloaded 16-byte
// keys sends "*2\r\n$3\r\nGET\r\n$16\r\n<key>\r\n" (36 bytes) and gets "$100\r\n<value>\r\n"
// (108), or sends the SET with its value (144) and gets "+OK\r\n" (5).
TEST_F(ServerE2E, BytesAreCountedPerRequestAndReply) {
  const json doc =
      run_load({"--workload", "a", "--keys", "1000", "--load", "1000", "--value-size", "100",
                "--requests", "2000", "--warmup", "0", "--connections", "2", "--pipeline", "4"});
  ASSERT_TRUE(doc.contains("summary"));
  const auto& s = doc["summary"];
  ASSERT_EQ(s["errors"], 0);
  ASSERT_EQ(s["misses"], 0);
  const uint64_t gets = s["by_command"]["GET"]["ops"];
  const uint64_t sets = s["by_command"]["SET"]["ops"];
  EXPECT_EQ(gets + sets, 2000u);
  EXPECT_GT(gets, 0u);
  EXPECT_GT(sets, 0u);
  EXPECT_EQ(s["bytes_sent"], 36 * gets + 144 * sets);
  EXPECT_EQ(s["bytes_received"], 108 * gets + 5 * sets);
}

class AuthServerE2E : public ServerE2E {
 protected:
  std::vector<std::string> extra_server_args() const override {
    return {"--requirepass", "s3cret"};
  }
};

// --password (and --user default) AUTHs every connection; a refusal is one line and exit 1.
TEST_F(AuthServerE2E, PasswordAuthenticatesEveryConnection) {
  for (const std::vector<std::string>& auth : std::vector<std::vector<std::string>>{
           {"--password", "s3cret"}, {"--user", "default", "--password", "s3cret"}}) {
    std::vector<std::string> args{"--requests", "200",    "--warmup", "0",      "--connections",
                                  "3",          "--load", "100",      "--keys", "100"};
    args.insert(args.end(), auth.begin(), auth.end());
    const json doc = run_load(args);
    ASSERT_TRUE(doc.contains("summary")) << auth.size();
    EXPECT_EQ(doc["status"], "ok");
    EXPECT_EQ(doc["summary"]["errors"], 0) << doc["summary"]["errors_by_kind"].dump();
    EXPECT_EQ(doc["preload"]["errors"], 0);
    EXPECT_EQ(doc["config"]["auth"], true);
  }
  for (const std::vector<std::string>& auth : std::vector<std::vector<std::string>>{
           {"--password", "wrong"}, {"--user", "bob", "--password", "s3cret"}}) {
    std::vector<std::string> args{"--duration", "1"};
    args.insert(args.end(), auth.begin(), auth.end());
    const auto r = run_load_process(args);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("authentication failed: WRONGPASS"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  // Without a password every request is refused: counted as errors, as any -ERR is.
  const json doc = run_load({"--requests", "50", "--warmup", "0"});
  EXPECT_EQ(doc["summary"]["errors_by_kind"]["NOAUTH"], 50) << doc.dump();
}
