// GetRouteAClasses against the real allocator: one entry per size class with the values
// hak_route_a_class gives, and a class's window moving by the fresh pages Route A saw.
#include <string>
#include <vector>

#include "hakmem/hakmem.h"
#include "test_support.h"

namespace hakmem::admin::testing {
namespace {

const char* reason_name(hak_route_a_reason reason) {
  switch (reason) {
    case HAK_ROUTE_A_START:
      return "start";
    case HAK_ROUTE_A_IDLE_PENDING:
      return "idle_pending";
    case HAK_ROUTE_A_DOMINO:
      return "domino";
  }
  return "unknown";
}

v1::GetRouteAClassesResponse route_a(RunningServer& srv) {
  v1::GetRouteAClassesResponse r;
  grpc::Status s = srv.stub->GetRouteAClasses(context().get(), {}, &r);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return r;
}

// Only Route A changes its state, so under S the RPC and a direct read agree exactly.
void expect_matches_allocator(const v1::GetRouteAClassesResponse& r) {
  ASSERT_EQ(static_cast<size_t>(r.classes_size()), hak_class_count());
  for (size_t c = 0; c < hak_class_count(); ++c) {
    hak_route_a_state s{};
    ASSERT_EQ(hak_route_a_class(c, &s), 0);
    const v1::RouteAClass& got = r.classes(static_cast<int>(c));
    EXPECT_EQ(got.size_class(), c);
    EXPECT_EQ(got.block_size(), s.class_size) << c;
    EXPECT_EQ(got.open(), s.open != 0) << c;
    EXPECT_EQ(got.reason(), reason_name(s.reason)) << c;
    EXPECT_EQ(got.switches(), s.switches) << c;
    EXPECT_EQ(got.window_events(), s.window_events) << c;
    EXPECT_EQ(got.last_adoptions(), s.last_adoptions) << c;
    EXPECT_EQ(got.last_dominoes(), s.last_dominoes) << c;
    EXPECT_EQ(got.last_fresh_pages(), s.last_fresh_pages) << c;
    EXPECT_EQ(got.last_missed(), s.last_missed) << c;
  }
}

class AdminRouteATest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(hak_set_route(HAK_ROUTE_S), 0); }
  void TearDown() override { EXPECT_EQ(hak_set_route(saved_), 0); }

  hak_route saved_ = hak_get_route();
  RunningServer srv_;
};

TEST_F(AdminRouteATest, EveryClassWithTheAllocatorsValues) {
  v1::GetRouteAClassesResponse r = route_a(srv_);
  EXPECT_EQ(r.route(), v1::ROUTE_S);
  int64_t window = 0;
  ASSERT_EQ(hak_option_get("route_a_window", &window), 0);
  EXPECT_EQ(r.window(), window);
  expect_matches_allocator(r);
  for (size_t c = 1; c < hak_class_count(); ++c) {
    EXPECT_GT(r.classes(static_cast<int>(c)).block_size(),
              r.classes(static_cast<int>(c - 1)).block_size());
  }
}

// Route A counts each fresh page of a closed class into the class's window (adoption stays
// off while closed): the window advances by exactly the class's new pages, modulo the window.
TEST_F(AdminRouteATest, WindowAdvancesByTheFreshPagesRouteASaw) {
  constexpr size_t kSize = 3000;
  size_t cls = 0;
  hak_class_stats before{};
  for (; cls < hak_class_count(); ++cls) {
    ASSERT_EQ(hak_class_stats_get(cls, &before), 0);
    if (before.block_size >= kSize) break;
  }
  ASSERT_LT(cls, hak_class_count());
  const v1::RouteAClass was = route_a(srv_).classes(static_cast<int>(cls));
  ASSERT_FALSE(was.open()) << "no test in this binary opens a class";

  ASSERT_EQ(hak_set_route(HAK_ROUTE_A), 0);
  std::vector<void*> blocks;
  const size_t kBlocks = 16 * 65536 / before.block_size;  // several pages' worth
  for (size_t i = 0; i < kBlocks; ++i) blocks.push_back(hak_malloc(kSize));
  ASSERT_EQ(hak_set_route(HAK_ROUTE_S), 0);  // freeze the state before reading it
  hak_class_stats after{};
  ASSERT_EQ(hak_class_stats_get(cls, &after), 0);
  for (void* p : blocks) hak_free(p);

  v1::GetRouteAClassesResponse r = route_a(srv_);
  expect_matches_allocator(r);
  const v1::RouteAClass& now = r.classes(static_cast<int>(cls));
  const uint64_t fresh = after.pages_new - before.pages_new;
  ASSERT_GT(fresh, 0u);
  ASSERT_GT(r.window(), 0);
  const auto window = static_cast<uint64_t>(r.window());
  EXPECT_FALSE(now.open());
  EXPECT_EQ(now.window_events(), (was.window_events() + fresh) % window);
  if (was.window_events() + fresh >= window) {  // a window completed: all fresh, no adoption
    EXPECT_EQ(now.last_adoptions(), 0u);
    EXPECT_EQ(now.last_fresh_pages(), window);
  }
}

}  // namespace
}  // namespace hakmem::admin::testing
