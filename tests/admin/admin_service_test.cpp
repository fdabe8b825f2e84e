// Every AdminService RPC against a real in-process server and the real allocator: route,
// options (including the all-or-nothing rule), counters, stats and watches.
#include <string>
#include <vector>

#include "hakmem/hakmem.h"
#include "test_support.h"

namespace hakmem::admin::testing {
namespace {

int64_t option(const char* name) {
  int64_t v = -1;
  EXPECT_EQ(hak_option_get(name, &v), 0) << name;
  return v;
}

uint64_t counter(const v1::CounterSnapshot& s, const std::string& name) {
  for (const v1::Counter& c : s.counters()) {
    if (c.name() == name) return c.value();
  }
  ADD_FAILURE() << "no counter " << name;
  return 0;
}

class AdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(hak_set_route(HAK_ROUTE_S), 0);
    // Remember every option, so each test leaves the allocator as it found it.
    for (size_t i = 0; i < hak_option_count(); ++i) {
      saved_.emplace_back(hak_option_name(i), option(hak_option_name(i)));
    }
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      EXPECT_EQ(hak_option_set(name.c_str(), value, nullptr, 0), 0);
    }
  }

  FakeStats stats_;
  RunningServer srv_{{}, &stats_};
  std::vector<std::pair<std::string, int64_t>> saved_;
};

TEST_F(AdminServiceTest, GetRouteReportsTheAllocatorsRoute) {
  v1::GetRouteResponse r;
  ASSERT_TRUE(srv_.stub->GetRoute(context().get(), {}, &r).ok());
  EXPECT_EQ(r.route(), v1::ROUTE_S);
  EXPECT_EQ(r.name(), "S");
  ASSERT_EQ(hak_set_route(HAK_ROUTE_CDA), 0);
  ASSERT_TRUE(srv_.stub->GetRoute(context().get(), {}, &r).ok());
  EXPECT_EQ(r.route(), v1::ROUTE_CDA);
  EXPECT_EQ(r.name(), "CDA");
}

TEST_F(AdminServiceTest, SetRouteReturnsPreviousAndCurrent) {
  // The allocator accepts every route today (P and CDA run Route S's paths until their
  // adoption lands), so each switch must succeed and show in hak_get_route.
  v1::Route order[] = {v1::ROUTE_P, v1::ROUTE_CDA, v1::ROUTE_A, v1::ROUTE_S, v1::ROUTE_S};
  v1::Route previous = v1::ROUTE_S;
  for (v1::Route wanted : order) {
    v1::SetRouteRequest req;
    req.set_route(wanted);
    v1::SetRouteResponse r;
    grpc::Status s = srv_.stub->SetRoute(context().get(), req, &r);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(r.previous(), previous);
    EXPECT_EQ(r.current(), wanted);
    EXPECT_EQ(hak_get_route(), static_cast<hak_route>(wanted - v1::ROUTE_S));
    previous = wanted;
  }
}

TEST_F(AdminServiceTest, SetRouteRejectsUnknownRoutes) {
  for (int bad : {0, 5, 99}) {
    v1::SetRouteRequest req;
    req.set_route(static_cast<v1::Route>(bad));
    v1::SetRouteResponse r;
    grpc::Status s = srv_.stub->SetRoute(context().get(), req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_NE(s.error_message().find("S, P, CDA or A"), std::string::npos) << s.error_message();
    EXPECT_EQ(hak_get_route(), HAK_ROUTE_S);
  }
}

TEST_F(AdminServiceTest, GetOptionsListsEveryOption) {
  v1::GetOptionsResponse r;
  ASSERT_TRUE(srv_.stub->GetOptions(context().get(), {}, &r).ok());
  ASSERT_EQ(static_cast<size_t>(r.options_size()), hak_option_count());
  for (size_t i = 0; i < hak_option_count(); ++i) {
    EXPECT_EQ(r.options(i).name(), hak_option_name(i));
    EXPECT_EQ(r.options(i).value(), option(hak_option_name(i)));
    EXPECT_FALSE(r.options(i).help().empty()) << r.options(i).name();
  }
}

TEST_F(AdminServiceTest, SetOptionsChangesEveryNamedOption) {
  const int64_t budget = option("must_reuse_budget");
  const int64_t delay = option("purge_delay_ms");
  v1::SetOptionsRequest req;
  auto* a = req.add_assignments();
  a->set_name("must_reuse_budget");
  a->set_value(budget == 7 ? 8 : 7);
  auto* b = req.add_assignments();
  b->set_name("purge_delay_ms");
  b->set_value(delay == 123 ? 124 : 123);
  v1::SetOptionsResponse r;
  grpc::Status s = srv_.stub->SetOptions(context().get(), req, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(option("must_reuse_budget"), a->value());
  EXPECT_EQ(option("purge_delay_ms"), b->value());
  ASSERT_EQ(r.previous_size(), 2);
  EXPECT_EQ(r.previous(0).name(), "must_reuse_budget");
  EXPECT_EQ(r.previous(0).value(), budget);
  EXPECT_EQ(r.previous(1).value(), delay);
  EXPECT_EQ(static_cast<size_t>(r.options_size()), hak_option_count());
  for (const v1::Option& o : r.options()) EXPECT_EQ(o.value(), option(o.name().c_str()));
}

// The first entry is valid, the second is not: the call fails naming the bad entry and the
// valid one is not applied either.
void expect_rejected_whole(RunningServer& srv, const std::string& bad_name, int64_t bad_value,
                           const std::string& must_mention) {
  const int64_t budget = option("must_reuse_budget");
  v1::SetOptionsRequest req;
  auto* good = req.add_assignments();
  good->set_name("must_reuse_budget");
  good->set_value(budget == 9 ? 10 : 9);
  auto* bad = req.add_assignments();
  bad->set_name(bad_name);
  bad->set_value(bad_value);
  v1::SetOptionsResponse r;
  grpc::Status s = srv.stub->SetOptions(context().get(), req, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find(must_mention), std::string::npos) << s.error_message();
  EXPECT_NE(s.error_message().find("nothing changed"), std::string::npos) << s.error_message();
  EXPECT_EQ(option("must_reuse_budget"), budget);
}

TEST_F(AdminServiceTest, SetOptionsRejectsAnUnknownNameAndChangesNothing) {
  expect_rejected_whole(srv_, "no_such_option", 1, "no_such_option");
}

TEST_F(AdminServiceTest, SetOptionsRejectsOutOfRangeValuesAndChangesNothing) {
  const int64_t delay = option("purge_delay_ms");
  expect_rejected_whole(srv_, "purge_delay_ms", -1, "purge_delay_ms");
  expect_rejected_whole(srv_, "min_remote_count", 65537, "min_remote_count");
  expect_rejected_whole(srv_, "route", 4, "route");
  EXPECT_EQ(option("purge_delay_ms"), delay);
  EXPECT_EQ(hak_get_route(), HAK_ROUTE_S);
}

TEST_F(AdminServiceTest, SetOptionsRejectsNamesWithANulByte) {
  const hak_route route = hak_get_route();
  expect_rejected_whole(srv_, std::string("route\0garbage", 13), 1, "NUL byte");
  expect_rejected_whole(srv_, std::string("must_reuse_budget\0", 18), 5, "NUL byte");
  EXPECT_EQ(hak_get_route(), route);
}

TEST_F(AdminServiceTest, SetOptionsRejectsDuplicatesAndEmptyRequests) {
  expect_rejected_whole(srv_, "must_reuse_budget", 5, "more than once");
  v1::SetOptionsResponse r;
  grpc::Status s = srv_.stub->SetOptions(context().get(), {}, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AdminServiceTest, SetOptionsCanSwitchTheRouteByNumber) {
  v1::SetOptionsRequest req;
  auto* a = req.add_assignments();
  a->set_name("route");
  a->set_value(HAK_ROUTE_P);
  v1::SetOptionsResponse r;
  ASSERT_TRUE(srv_.stub->SetOptions(context().get(), req, &r).ok());
  EXPECT_EQ(hak_get_route(), HAK_ROUTE_P);
}

TEST_F(AdminServiceTest, DumpCountersHasEveryCounterAndCanReset) {
  v1::ResetCountersResponse reset;
  ASSERT_TRUE(srv_.stub->ResetCounters(context().get(), {}, &reset).ok());
  // gRPC does not allocate through hakmem here, so the test's own calls are all there is.
  constexpr int kAllocs = 1000;
  std::vector<void*> blocks;
  for (int i = 0; i < kAllocs; ++i) blocks.push_back(hak_malloc(64));
  for (void* p : blocks) hak_free(p);

  v1::DumpCountersRequest req;
  req.set_reset_after_read(true);
  v1::DumpCountersResponse r;
  ASSERT_TRUE(srv_.stub->DumpCounters(context().get(), req, &r).ok());
  EXPECT_TRUE(r.was_reset());
  const v1::CounterSnapshot& s = r.snapshot();
  size_t n = 0;
  while (hak_counter_name(n) != nullptr) ++n;
  ASSERT_EQ(static_cast<size_t>(s.counters_size()), n);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(s.counters(i).name(), hak_counter_name(i));
    EXPECT_FALSE(s.counters(i).description().empty());
  }
  EXPECT_EQ(counter(s, "mallocs"), static_cast<uint64_t>(kAllocs));
  // A block freed into a retired page counts as remote even from its own thread.
  EXPECT_EQ(counter(s, "frees_local") + counter(s, "frees_remote"), static_cast<uint64_t>(kAllocs));
  EXPECT_EQ(s.route(), v1::ROUTE_S);
  EXPECT_GT(s.taken_at_unix_ms(), 0);

  // Read without reset: the reset above took effect, and the reuse rate is the allocator's.
  req.set_reset_after_read(false);
  ASSERT_TRUE(srv_.stub->DumpCounters(context().get(), req, &r).ok());
  EXPECT_FALSE(r.was_reset());
  EXPECT_EQ(counter(r.snapshot(), "mallocs"), 0u);
  hak_counters c{};
  hak_counters_get(&c);
  EXPECT_DOUBLE_EQ(r.snapshot().page_reuse_rate(), hak_page_reuse_rate(&c));
}

TEST_F(AdminServiceTest, ResetCountersZeroesEventCounters) {
  hak_free(hak_malloc(32));
  v1::ResetCountersResponse reset;
  ASSERT_TRUE(srv_.stub->ResetCounters(context().get(), {}, &reset).ok());
  hak_counters c{};
  hak_counters_get(&c);
  EXPECT_EQ(c.mallocs, 0u);
  EXPECT_EQ(c.frees_local + c.frees_remote, 0u);
}

TEST_F(AdminServiceTest, GetVersionIsTheLibrarysVersionAndTheBuildsRevision) {
  v1::GetVersionResponse r;
  ASSERT_TRUE(srv_.stub->GetVersion(context().get(), {}, &r).ok());
  EXPECT_EQ(r.version(), hak_version());
  EXPECT_FALSE(r.git_revision().empty());
  EXPECT_EQ(r.host(), "hakmem-server");  // a stats source is attached, as in the server
}

TEST_F(AdminServiceTest, GetStatsCombinesProcessAllocatorAndServerFigures) {
  ServerStats fake;
  fake.connections = 3;
  fake.connections_total = 17;
  fake.requests = {{"GET", 10}, {"SET", 5}};
  fake.worker_queue_depth = 2;
  fake.latency = {{50, 12.5}, {99, 80}, {99.9, 200}};
  stats_.set(fake);
  v1::GetStatsResponse r;
  ASSERT_TRUE(srv_.stub->GetStats(context().get(), {}, &r).ok());
  EXPECT_GT(r.rss_bytes(), 0u);
  EXPECT_GE(r.peak_rss_bytes(), r.rss_bytes());
  EXPECT_GT(r.uptime_seconds(), 0);
  EXPECT_EQ(r.arena(), "hakmem");  // the source named none: hakmem's own byte counters
  EXPECT_TRUE(r.server_stats_available());
  EXPECT_EQ(r.connections(), 3u);
  EXPECT_EQ(r.connections_total(), 17u);
  ASSERT_EQ(r.requests_size(), 2);
  EXPECT_EQ(r.requests(0).command(), "GET");
  EXPECT_EQ(r.requests(1).count(), 5u);
  EXPECT_EQ(r.worker_queue_depth(), 2u);
  ASSERT_EQ(r.latency_size(), 3);
  EXPECT_DOUBLE_EQ(r.latency(2).percentile(), 99.9);
  EXPECT_DOUBLE_EQ(r.latency(0).micros(), 12.5);

  fake.arena = "system";
  fake.arena_bytes_in_use = 4096;
  fake.arena_bytes_committed = 8192;
  stats_.set(fake);
  ASSERT_TRUE(srv_.stub->GetStats(context().get(), {}, &r).ok());
  EXPECT_EQ(r.arena(), "system");
  EXPECT_EQ(r.arena_bytes_in_use(), 4096u);
  EXPECT_EQ(r.arena_bytes_committed(), 8192u);
}

TEST(AdminServiceNoSource, GetStatsWithoutServerStats) {
  RunningServer srv;
  v1::GetStatsResponse r;
  ASSERT_TRUE(srv.stub->GetStats(context().get(), {}, &r).ok());
  EXPECT_FALSE(r.server_stats_available());
  EXPECT_GT(r.rss_bytes(), 0u);
  EXPECT_EQ(r.requests_size(), 0);
}

TEST_F(AdminServiceTest, WatchCountersRejectsShortIntervals) {
  for (uint32_t ms : {0u, 1u, 99u}) {
    v1::WatchCountersRequest req;
    req.set_interval_ms(ms);
    auto ctx = context();
    auto reader = srv_.stub->WatchCounters(ctx.get(), req);
    v1::WatchCountersResponse msg;
    EXPECT_FALSE(reader->Read(&msg));
    grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << ms;
    EXPECT_NE(s.error_message().find("100"), std::string::npos);
  }
}

TEST_F(AdminServiceTest, WatchCountersStreamsUntilTheClientCancels) {
  v1::WatchCountersRequest req;
  req.set_interval_ms(100);
  auto ctx = context();
  auto reader = srv_.stub->WatchCounters(ctx.get(), req);
  v1::WatchCountersResponse msg;
  int64_t last = 0;
  for (int i = 0; i < 3; ++i) {
    hak_free(hak_malloc(16));  // something to see move
    ASSERT_TRUE(reader->Read(&msg)) << i;
    size_t n = 0;
    while (hak_counter_name(n) != nullptr) ++n;
    EXPECT_EQ(static_cast<size_t>(msg.snapshot().counters_size()), n);
    EXPECT_GE(msg.snapshot().taken_at_unix_ms(), last);
    last = msg.snapshot().taken_at_unix_ms();
  }
  ctx->TryCancel();
  while (reader->Read(&msg)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(AdminServiceTest, WatchCountersEndsWhenTheServerShutsDown) {
  v1::WatchCountersRequest req;
  req.set_interval_ms(100);
  auto ctx = context();
  auto reader = srv_.stub->WatchCounters(ctx.get(), req);
  v1::WatchCountersResponse msg;
  ASSERT_TRUE(reader->Read(&msg));
  srv_.server.begin_shutdown();
  while (reader->Read(&msg)) {
  }
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

}  // namespace
}  // namespace hakmem::admin::testing
