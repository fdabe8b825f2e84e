// Route A: a class opens adoption when fresh pages are taken while an idle heap's pending
// pages would have served (the idle-owner pattern), and closes it when adoption victims then
// take fresh pages (the domino). Forced scenarios with every Route P gate open and a small
// decision window, so each decision follows from a known count of events, not from timing.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "size_class.hpp"
#include "test_util.hpp"

using namespace hakmem;
using namespace hakmem::test;

namespace {

// Each test uses its own class (a binary may run them all in one process).
size_t kSize = 0;
constexpr int64_t kWindow = 8;

size_t per_page() {
  return 65536 / class_size(size_to_class(kSize));
}

hak_route_a_state state() {
  hak_route_a_state s{};
  EXPECT_EQ(hak_route_a_class(size_to_class(kSize), &s), 0);
  return s;
}

struct ScopedRouteA {
  ScopedRoute route{HAK_ROUTE_A};
  ScopedOption o1{"rfr_window_us", 0}, o2{"idle_threshold_us", 0}, o3{"adoption_threshold", 0},
      o4{"min_remote_count", 0}, o5{"route_a_window", kWindow};
};

void free_on_other_thread(const std::vector<void*>& blocks) {
  std::thread([&] {
    for (void* p : blocks) hak_free(p);
  }).join();
}

// An idle owner takes one window of fresh pages (no decision: nothing was missed) and gets
// 4 of them queued; another thread then takes exactly one window of fresh pages, each while
// those pages wait: the class opens. The owner takes its own pages back (no event), so the
// class has nothing pending afterwards. The other thread's pages stay full (returned).
std::vector<void*> open_by_idle_owner() {
  Latch ready, done;
  std::thread owner([&] {
    std::vector<void*> blocks;
    for (size_t i = 0; i < kWindow * per_page(); ++i) blocks.push_back(hak_malloc(kSize));
    std::vector<void*> remote;
    for (size_t pg = 0; pg < 4; ++pg) remote.push_back(blocks[pg * per_page()]);
    free_on_other_thread(remote);  // pages 1-4 queued to this idle owner
    ready.open();
    done.wait();
    // Its own queue serves the freed addresses again, so every block is freed once.
    for (size_t i = 0; i < remote.size(); ++i) EXPECT_NE(hak_malloc(kSize), nullptr);
    for (void* p : blocks) hak_free(p);
  });
  ready.wait();
  hak_counters before = counters();
  std::vector<void*> mine;
  std::thread([&] {
    for (size_t i = 0; i < kWindow * per_page(); ++i) mine.push_back(hak_malloc(kSize));
  }).join();
  hak_counters after = counters();
  EXPECT_EQ(after.new_pages - before.new_pages, static_cast<uint64_t>(kWindow));
  EXPECT_EQ(after.route_a_missed - before.route_a_missed, static_cast<uint64_t>(kWindow));
  EXPECT_EQ(after.pages_adopted, before.pages_adopted);  // closed all along the window
  done.open();
  owner.join();
  return mine;
}

}  // namespace

TEST(RouteA, EveryClassStartsClosed) {
  for (size_t c = 0; c < hak_class_count(); ++c) {
    hak_route_a_state s{};
    ASSERT_EQ(hak_route_a_class(c, &s), 0);
    EXPECT_EQ(s.open, 0);
    EXPECT_EQ(s.reason, HAK_ROUTE_A_START);
  }
  hak_route_a_state s;
  EXPECT_EQ(hak_route_a_class(hak_class_count(), &s), EINVAL);
  hak_route r;
  ASSERT_EQ(hak_route_parse("a", &r), 0);
  EXPECT_EQ(r, HAK_ROUTE_A);
  EXPECT_STREQ(hak_route_name(HAK_ROUTE_A), "A");
}

TEST(RouteA, OpensWhenIdleOwnersPendingPagesAgeWhileOthersTakeFreshPages) {
  kSize = 4096;
  ScopedRouteA a;
  hak_counters before = counters();
  std::vector<void*> mine = open_by_idle_owner();
  hak_route_a_state s = state();
  EXPECT_EQ(s.open, 1);
  EXPECT_EQ(s.reason, HAK_ROUTE_A_IDLE_PENDING);
  EXPECT_EQ(s.last_missed, static_cast<uint64_t>(kWindow));
  EXPECT_EQ(counters().route_a_opened - before.route_a_opened, 1u);
  EXPECT_NE(counters().route_a_open_classes & (uint64_t{1} << size_to_class(kSize)), 0u);
  free_on_other_thread(mine);
}

TEST(RouteA, ClosesWhenAdoptionVictimsTakeFreshPages) {
  kSize = 3072;
  ScopedRouteA a;
  std::vector<void*> mine = open_by_idle_owner();
  ASSERT_EQ(state().open, 1);
  const size_t kRobbed = kWindow - 1;
  Latch filled, robbed, done;
  std::vector<void*> blocks;
  std::thread victim([&] {
    // A window of fresh pages with nothing adopted: no decision changes.
    for (size_t i = 0; i < (kRobbed + 1) * per_page(); ++i) blocks.push_back(hak_malloc(kSize));
    filled.open();
    robbed.wait();
    blocks.push_back(hak_malloc(kSize));  // its queue was emptied by adoption: a fresh page
    done.open();
  });
  filled.wait();
  EXPECT_EQ(state().open, 1);
  std::vector<void*> remote;
  for (size_t pg = 0; pg < kRobbed; ++pg) remote.push_back(blocks[pg * per_page()]);
  hak_counters before = counters();
  free_on_other_thread(remote);  // one block back on each of the victim's full pages
  std::vector<void*> adopted;
  std::thread([&] {
    for (size_t i = 0; i < kRobbed; ++i) adopted.push_back(hak_malloc(kSize));
  }).join();
  EXPECT_EQ(counters().pages_adopted - before.pages_adopted, kRobbed);
  robbed.open();
  done.wait();
  victim.join();
  hak_counters after = counters();
  EXPECT_EQ(after.route_a_dominoes - before.route_a_dominoes, kRobbed);
  EXPECT_EQ(after.route_a_closed - before.route_a_closed, 1u);
  hak_route_a_state s = state();
  EXPECT_EQ(s.open, 0);
  EXPECT_EQ(s.reason, HAK_ROUTE_A_DOMINO);
  EXPECT_EQ(s.last_adoptions, kRobbed);
  EXPECT_EQ(s.last_dominoes, kRobbed);
  EXPECT_EQ(after.route_a_open_classes & (uint64_t{1} << size_to_class(kSize)), 0u);
  free_on_other_thread(blocks);
  free_on_other_thread(adopted);
  free_on_other_thread(mine);
}

// Lowering route_a_window under a class's count of events must not stop its decisions: the
// next event decides on the window counted so far.
TEST(RouteA, LoweringTheWindowBelowTheEventsCountedStillDecides) {
  ScopedRoute route{HAK_ROUTE_A};
  ScopedOption window{"route_a_window", 1000};
  constexpr size_t kClassBytes = 5000;  // a class no other test here uses
  size_t per = 65536 / class_size(size_to_class(kClassBytes));
  std::vector<void*> blocks;
  auto take_pages = [&](size_t pages) {
    std::thread([&] {
      for (size_t i = 0; i < pages * per; ++i) blocks.push_back(hak_malloc(kClassBytes));
    }).join();
  };
  take_pages(8);
  hak_route_a_state before{};
  ASSERT_EQ(hak_route_a_class(size_to_class(kClassBytes), &before), 0);
  ASSERT_GT(before.window_events, 4u);
  ASSERT_EQ(hak_option_set("route_a_window", 4, nullptr, 0), 0);
  take_pages(1);
  hak_route_a_state after{};
  ASSERT_EQ(hak_route_a_class(size_to_class(kClassBytes), &after), 0);
  EXPECT_LT(after.window_events, 4u);
  EXPECT_GE(after.last_fresh_pages, before.window_events);
  for (void* p : blocks) hak_free(p);
}
