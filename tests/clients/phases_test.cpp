// Route phases: the runner switches the route at each boundary and reports every phase on its
// own. Driven here with a recording RouteSwitcher against the fake RESP server.
#include "phases.hpp"

#include <gtest/gtest.h>

#include <mutex>

#include "fake_resp_server.hpp"
#include "runner.hpp"

namespace hl = hakmem::load;
using Clock = std::chrono::steady_clock;

namespace {

class RecordingSwitcher final : public hl::RouteSwitcher {
 public:
  explicit RecordingSwitcher(int fail_at = -1) : fail_at_(fail_at) {}
  std::string set_route(const std::string& route) override {
    routes.push_back(route);
    times.push_back(Clock::now());
    if (static_cast<int>(routes.size()) - 1 == fail_at_) return "refused for the test";
    return "";
  }
  std::vector<std::string> routes;
  std::vector<Clock::time_point> times;

 private:
  int fail_at_;
};

hl::RunConfig phased_config(uint16_t port, hl::RouteSwitcher* switcher) {
  hl::RunConfig c;
  c.engine.port = port;
  c.engine.threads = 2;
  c.engine.connections = 2;
  c.engine.workload.kind = hakmem::workloads::WorkloadKind::kA;
  c.engine.workload.keys = 100;
  c.warmup_s = 0.2;
  std::string error;
  EXPECT_TRUE(hl::parse_phases("S:600ms,P:600ms,S:600ms", &c.phases, &error));
  c.switcher = switcher;
  return c;
}

}  // namespace

TEST(Phases, SwitchAtEachBoundaryAndReportEachPhase) {
  hl::testing::FakeRespServer server({});
  RecordingSwitcher switcher;
  const auto r = hl::run_load(phased_config(server.port(), &switcher));
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(switcher.routes, (std::vector<std::string>{"S", "P", "S"}));
  // The boundaries are 0.6 s apart (after the warmup under the first route).
  for (size_t i = 1; i < switcher.times.size(); ++i) {
    const double gap =
        std::chrono::duration<double>(switcher.times[i] - switcher.times[i - 1]).count();
    EXPECT_NEAR(gap, i == 1 ? 0.8 : 0.6, 0.25) << i;
  }
  ASSERT_EQ(r.phases.size(), 3u);
  uint64_t ops = 0;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.phases[i].route, switcher.routes[i]);
    EXPECT_NEAR(r.phases[i].start_s, 0.6 * static_cast<double>(i), 0.25);
    EXPECT_NEAR(r.phases[i].duration_s, 0.6, 0.25);
    EXPECT_GT(r.phases[i].stats.ops, 0u);
    ops += r.phases[i].stats.ops;
  }
  EXPECT_EQ(ops, r.total.ops);
  int last_phase = 0;
  for (const auto& p : r.series) {
    EXPECT_GE(p.phase, last_phase);
    last_phase = p.phase;
  }
  EXPECT_EQ(last_phase, 2);
}

TEST(Phases, FailedSwitchStopsTheRun) {
  hl::testing::FakeRespServer server({});
  RecordingSwitcher switcher(/*fail_at=*/1);
  const auto r = hl::run_load(phased_config(server.port(), &switcher));
  EXPECT_NE(r.failure.find("refused for the test"), std::string::npos) << r.failure;
  EXPECT_EQ(switcher.routes.size(), 2u);  // no switch after the failure
  EXPECT_EQ(r.phases.size(), 2u);
  EXPECT_GT(r.phases[0].stats.ops, 0u);
}
