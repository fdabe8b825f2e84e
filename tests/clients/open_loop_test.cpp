// The open-loop schedule, and what it is for: against a server that takes 50 ms per request,
// a rate above its capacity queues requests, and only the latency measured from the intended
// send time shows that queueing.
#include "open_loop.hpp"

#include <gtest/gtest.h>

#include "fake_resp_server.hpp"
#include "runner.hpp"

namespace hl = hakmem::load;
using Clock = hl::OpenLoopSchedule::Clock;
using namespace std::chrono_literals;

TEST(OpenLoopSchedule, SpacesRequestsEvenly) {
  const auto t0 = Clock::now();
  hl::OpenLoopSchedule s(1000.0, t0, 250us);  // one request per ms, starting 0.25 ms late
  EXPECT_EQ(s.next_due(), t0 + 250us);
  EXPECT_EQ(s.take(), t0 + 250us);
  EXPECT_EQ(s.take(), t0 + 1250us);
  for (int i = 2; i < 1000; ++i) s.take();
  // No drift after many requests: request 1000 is due at exactly 1 s + offset.
  EXPECT_EQ(s.next_due(), t0 + 1s + 250us);
}

TEST(OpenLoopSchedule, BacklogCountsDueRequests) {
  const auto t0 = Clock::now();
  hl::OpenLoopSchedule s(100.0, t0);  // every 10 ms
  EXPECT_EQ(s.backlog(t0 - 1ms), 0u);
  EXPECT_EQ(s.backlog(t0), 1u);
  EXPECT_EQ(s.backlog(t0 + 95ms), 10u);
  EXPECT_TRUE(s.is_due(t0));
  for (int i = 0; i < 4; ++i) s.take();
  EXPECT_EQ(s.backlog(t0 + 95ms), 6u);
  EXPECT_FALSE(s.is_due(t0 + 35ms));
  EXPECT_TRUE(s.is_due(t0 + 40ms));
}

namespace {

constexpr auto kDelay = 50ms;

hl::RunResult run_against(hl::testing::FakeRespServer& server, double rate, double seconds) {
  hl::RunConfig c;
  c.engine.port = server.port();
  c.engine.threads = 1;
  c.engine.connections = 1;
  c.engine.pipeline = 1;
  c.engine.rate = rate;
  c.engine.workload.kind = hakmem::workloads::WorkloadKind::kC;
  c.engine.workload.keys = 100;
  c.duration_s = seconds;
  c.warmup_s = 0;
  return hl::run_load(c);
}

double ms(uint64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

}  // namespace

TEST(OpenLoop, StalledServerShowsInCorrectedLatencyOnly) {
  hl::testing::FakeRespServer server({.delay = kDelay});
  // 100 requests/s against a server that completes 20/s: request k waits about k * 40 ms.
  const auto r = run_against(server, 100.0, 1.5);
  ASSERT_TRUE(r.connect_error.empty()) << r.connect_error;
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  const auto& s = r.total;
  ASSERT_GE(s.ops, 5u);
  EXPECT_EQ(s.error_count(), 0u);
  const double corrected = ms(s.latency.value_at_percentile(99));
  const double uncorrected = ms(s.uncorrected_latency.value_at_percentile(99));
  // Every request takes at least the server's delay, whichever way it is measured.
  EXPECT_GE(ms(s.uncorrected_latency.min()), 49.0);
  // Served one at a time, so the uncorrected p99 is about one delay; the corrected one holds
  // the queue built over the run (~1 s by its end).
  EXPECT_GE(corrected, 5 * uncorrected)
      << "corrected " << corrected << " uncorrected " << uncorrected;
  EXPECT_GE(corrected, 500.0);
}

TEST(OpenLoop, ServerWithinCapacityShowsNoQueueing) {
  hl::testing::FakeRespServer server({.delay = kDelay});
  // 10 requests/s against a capacity of 20/s: nothing waits, both measures agree roughly
  // (the margin of four delays absorbs a client descheduled on a loaded machine).
  const auto r = run_against(server, 10.0, 1.5);
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  const auto& s = r.total;
  ASSERT_GE(s.ops, 5u);
  const double corrected = ms(s.latency.value_at_percentile(99));
  const double uncorrected = ms(s.uncorrected_latency.value_at_percentile(99));
  EXPECT_GE(uncorrected, 49.0);
  EXPECT_LT(corrected, uncorrected + 4 * 50.0);
}

TEST(ClosedLoop, LatencyIsMeasuredFromTheSend) {
  hl::testing::FakeRespServer server({.delay = kDelay});
  const auto r = run_against(server, 0.0, 1.0);
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  const auto& s = r.total;
  ASSERT_GE(s.ops, 5u);
  // One request in flight, served in ~50 ms: throughput near 20/s, never above.
  EXPECT_LE(static_cast<double>(s.ops) / r.duration_s, 21.0);
  EXPECT_EQ(s.latency.value_at_percentile(99), s.uncorrected_latency.value_at_percentile(99));
}
