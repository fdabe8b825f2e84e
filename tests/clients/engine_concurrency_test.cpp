// The engine's I/O threads, the runner's collection and the shared workload state, exercised
// together (also under ThreadSanitizer): a short multi-threaded run loses no reply.
#include <gtest/gtest.h>

#include <thread>

#include "fake_resp_server.hpp"
#include "runner.hpp"

namespace hl = hakmem::load;
namespace hw = hakmem::workloads;

namespace {

hl::RunResult short_run(uint16_t port, hw::WorkloadKind kind, double rate) {
  hl::RunConfig c;
  c.engine.port = port;
  c.engine.threads = 2;
  c.engine.connections = 4;
  c.engine.pipeline = 4;
  c.engine.rate = rate;
  c.engine.workload.kind = kind;
  c.engine.workload.distribution = hw::default_distribution(kind);
  c.engine.workload.keys = 200;
  std::string error;
  EXPECT_TRUE(hw::ValueSizeSpec::parse("8-1000", &c.engine.workload.value_size, &error));
  c.preload = 200;
  c.warmup_s = 0.1;
  c.duration_s = 0.6;
  return hl::run_load(c);
}

}  // namespace

TEST(EngineConcurrency, ClosedLoopLarsonAcrossThreads) {
  hl::testing::FakeRespServer server({});
  const auto r = short_run(server.port(), hw::WorkloadKind::kLarson, 0);
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.preload.ops, 200u);
  EXPECT_GT(r.total.ops, 0u);
  EXPECT_EQ(r.total.error_count(), 0u);
  EXPECT_GT(r.total.ops_by_type[static_cast<size_t>(hw::OpType::kDelete)], 0u);
  EXPECT_EQ(r.total.latency.count(), r.total.ops);
}

TEST(EngineConcurrency, OpenLoopWorkloadDAcrossThreads) {
  hl::testing::FakeRespServer server({});
  const auto r = short_run(server.port(), hw::WorkloadKind::kD, 2000);
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.total.error_count(), 0u);
  // 2000/s for 0.6 s: the schedule, not the server, sets the pace (the floor is loose for a
  // loaded machine; the ceiling is the schedule's).
  EXPECT_GT(r.total.ops, 300u);
  EXPECT_LT(r.total.ops, 1800u);
}

TEST(EngineConcurrency, LostServerEndsTheRunWithAFailure) {
  auto server =
      std::make_unique<hl::testing::FakeRespServer>(hl::testing::FakeRespServer::Options{});
  hl::RunConfig c;
  c.engine.port = server->port();
  c.engine.threads = 2;
  c.engine.connections = 4;
  c.warmup_s = 0;
  c.duration_s = 30;
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server.reset();  // closes every client connection
  });
  const auto r = hl::run_load(c);
  killer.join();
  EXPECT_NE(r.failure.find("lost"), std::string::npos) << r.failure;
  EXPECT_LT(r.duration_s, 10.0);
  EXPECT_GT(r.total.ops, 0u);
  const auto it = r.total.errors.find("disconnected");
  ASSERT_NE(it, r.total.errors.end());
  EXPECT_EQ(it->second, 4u);  // once per connection
}

// One connection and a seed fix the whole request stream: keys, operations and value sizes.
TEST(EngineReproducibility, SameSeedSameRequests) {
  auto requests = [](uint64_t seed) {
    hl::testing::FakeRespServer server({.log_commands = true});
    hl::RunConfig c;
    c.engine.port = server.port();
    c.engine.threads = 1;
    c.engine.connections = 1;
    c.engine.pipeline = 8;
    c.engine.seed = seed;
    c.engine.workload.kind = hw::WorkloadKind::kA;
    c.engine.workload.keys = 1000;
    std::string error;
    EXPECT_TRUE(hw::ValueSizeSpec::parse("pareto", &c.engine.workload.value_size, &error));
    c.preload = 50;
    c.warmup_s = 0;
    c.duration_s = 0;
    c.requests = 400;
    const auto r = hl::run_load(c);
    EXPECT_EQ(r.total.ops, 400u);
    auto log = server.command_log();
    EXPECT_GE(log.size(), 450u);
    log.resize(450);  // the preload and the limited run; later requests are cut by the stop
    return log;
  };
  const auto first = requests(7);
  EXPECT_EQ(first, requests(7));
  EXPECT_NE(first, requests(8));
}

// --servers: three fake servers, each key on its ketama server, read-modify-writes included;
// the per-server figures add up to the merged ones and every server got its share.
TEST(EngineConcurrency, SeveralServersSplitAndMerge) {
  hl::testing::FakeRespServer a({}), b({}), c({});
  hl::RunConfig config;
  for (auto* s : {&a, &b, &c}) config.engine.servers.push_back({"127.0.0.1", s->port()});
  config.engine.threads = 2;
  config.engine.connections = 4;
  config.engine.pipeline = 4;
  config.engine.workload.kind = hw::WorkloadKind::kF;
  config.engine.workload.keys = 300;
  config.preload = 300;
  config.warmup_s = 0;
  config.duration_s = 0;
  config.requests = 3000;
  const auto r = hl::run_load(config);
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.preload.ops, 300u);
  EXPECT_EQ(r.total.ops, 3000u);
  EXPECT_EQ(r.total.misses, 0u);  // every GET found its key where the preload put it
  ASSERT_EQ(r.servers.size(), 3u);
  uint64_t ops = 0, counted = 0;
  for (const auto& s : r.servers) {
    EXPECT_GT(s.ops, 0u);
    ops += s.ops;
    counted += s.latency.count();
  }
  EXPECT_EQ(ops, r.total.ops);
  EXPECT_EQ(counted, r.total.latency.count());
  EXPECT_EQ(a.requests() + b.requests() + c.requests(), 300u + 3000u +
                                                            r.total.ops_by_type[static_cast<size_t>(
                                                                hw::OpType::kReadModifyWrite)] +
                                                            r.unanswered);
}
