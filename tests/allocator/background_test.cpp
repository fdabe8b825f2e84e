// The background thread (option `background`): with it, an idle owner's pages whose blocks
// were all freed by other threads go back to the page allocator and then the OS without the
// owner allocating again; without it there is no thread and its counters stay at zero; the
// option starts and stops it at run time.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "test_util.hpp"

using namespace hakmem::test;

namespace {

constexpr const char* kThreadName = "hakmem-bg";

// The allocator reads its environment and starts watching the option at its first use; an
// option set before that takes effect at the first slow path.
void start_allocator() {
  hak_free(hak_malloc(1));
}
constexpr size_t kObjects = 16384;
constexpr size_t kSize = 256;  // 4 MiB in all: dozens of pages

uint64_t background_events(const hak_counters& c) {
  return c.background_wakeups + c.background_pages_drained + c.background_bytes_purged;
}

// An owner allocates, another thread frees everything and exits (so it holds none of the
// owner's blocks); the owner stays alive and idle until `release` opens. Returns the committed
// bytes once the owner's blocks were allocated.
uint64_t owner_idles_after_remote_frees(Latch& release, std::thread* owner) {
  std::vector<void*> blocks;
  Latch allocated;
  uint64_t committed = 0;
  *owner = std::thread([&] {
    for (size_t i = 0; i < kObjects; ++i) {
      void* p = hak_malloc(kSize);
      fill(p, kSize, 7);
      blocks.push_back(p);
    }
    committed = counters().bytes_committed;
    allocated.open();
    release.wait();  // idle: no allocation from here on
  });
  allocated.wait();
  std::thread freer([&] {
    for (void* p : blocks) {
      EXPECT_TRUE(verify(p, kSize, 7));
      hak_free(p);
    }
  });
  freer.join();
  return committed;
}

class Background : public ::testing::TestWithParam<hak_route> {};

TEST_P(Background, IdleOwnersEmptiedPagesAreReleasedWithoutTheOwnerAllocating) {
  ScopedRoute route(GetParam());
  start_allocator();
  ScopedOption on("background", 1);
  ASSERT_TRUE(eventually([] { return threads_named(kThreadName) == 1; }));
  hak_counters before = counters();
  Latch release;
  std::thread owner;
  uint64_t committed = owner_idles_after_remote_frees(release, &owner);
  uint64_t freed_bytes = kObjects * kSize;
  // Most of the owner's pages come back: all but its active page and what the metadata keeps.
  // The last ones released are purged by the thread's deadline (nobody else passes a slow
  // path), earlier ones perhaps by its own page frees.
  bool released = eventually([&] {
    hak_counters c = counters();
    return c.background_pages_drained - before.background_pages_drained >=
               freed_bytes / 65536 / 2 &&
           c.bytes_committed + freed_bytes / 2 <= committed &&
           c.background_bytes_purged > before.background_bytes_purged;
  });
  hak_counters after = counters();
  EXPECT_TRUE(released) << "drained "
                        << after.background_pages_drained - before.background_pages_drained
                        << " pages, committed " << after.bytes_committed << " of " << committed;
  EXPECT_GT(after.background_wakeups, before.background_wakeups);
  EXPECT_GT(after.background_bytes_purged, before.background_bytes_purged);
  release.open();
  owner.join();
}

INSTANTIATE_TEST_SUITE_P(Routes, Background, ::testing::Values(HAK_ROUTE_S, HAK_ROUTE_P),
                         [](const auto& info) { return std::string(hak_route_name(info.param)); });

TEST(BackgroundOff, NoThreadAndNoCounts) {
  start_allocator();
  ScopedOption off("background", 0);
  ASSERT_TRUE(eventually([] { return threads_named(kThreadName) == 0; }));
  hak_counters before = counters();
  Latch release;
  std::thread owner;
  owner_idles_after_remote_frees(release, &owner);
  hak_collect(0);
  EXPECT_EQ(threads_named(kThreadName), 0);
  EXPECT_EQ(background_events(counters()), background_events(before));
  release.open();
  owner.join();
  EXPECT_EQ(threads_named(kThreadName), 0);
}

// Without the thread, other threads' slow paths give an idle owner's emptied pages back, even
// when they never need a fresh page (before, those pages stayed committed until the owner
// allocated again or exited).
TEST(BackgroundOff, SlowPathsGiveAnIdleOwnersEmptiedPagesBack) {
  ScopedRoute route(HAK_ROUTE_P);  // Route S leaves a live owner's pages to it
  start_allocator();
  ScopedOption off("background", 0);
  ASSERT_TRUE(eventually([] { return threads_named(kThreadName) == 0; }));
  // This thread's few pages, taken first: they never empty, so the slow paths below take no
  // fresh page (one would take the owner's emptied pages itself).
  std::vector<void*> mine;
  for (int i = 0; i < 4000; ++i) mine.push_back(hak_malloc(64));
  Latch release;
  std::thread owner;
  owner_idles_after_remote_frees(release, &owner);
  hak_counters before = counters();
  uint64_t owners_pages = kObjects * kSize / 65536;
  bool released = eventually([&] {
    for (size_t i = 0; i < mine.size(); i += 2) hak_free(mine[i]);
    for (size_t i = 0; i < mine.size(); i += 2) mine[i] = hak_malloc(64);
    return counters().idle_pages_released - before.idle_pages_released >= owners_pages / 2;
  });
  for (void* p : mine) hak_free(p);
  hak_counters after = counters();
  EXPECT_TRUE(released) << after.idle_pages_released - before.idle_pages_released << " of about "
                        << owners_pages << " pages given back";
  EXPECT_GE(after.pages_freed - before.pages_freed, owners_pages / 2);
  EXPECT_EQ(background_events(after), background_events(before));
  release.open();
  owner.join();
}

TEST(BackgroundOption, StartsAndStopsAtRunTime) {
  start_allocator();
  ScopedOption off("background", 0);
  ASSERT_TRUE(eventually([] { return threads_named(kThreadName) == 0; }));
  for (int round = 0; round < 3; ++round) {
    uint64_t wakeups = counters().background_wakeups;
    ASSERT_EQ(hak_option_set("background", 1, nullptr, 0), 0);
    EXPECT_TRUE(eventually([] { return threads_named(kThreadName) == 1; })) << round;
    // Allocation keeps working while it starts (a slow path may try to start it too).
    std::vector<void*> v;
    for (int i = 0; i < 1000; ++i) v.push_back(hak_malloc(64 + i % 512));
    for (void* p : v) hak_free(p);
    ASSERT_EQ(hak_option_set("background", 0, nullptr, 0), 0);
    EXPECT_TRUE(eventually([] { return threads_named(kThreadName) == 0; })) << round;
    // Setting it to 0 woke it (to exit).
    EXPECT_GT(counters().background_wakeups, wakeups) << round;
  }
  char err[128];
  EXPECT_NE(hak_option_set("background", 2, err, sizeof err), 0);
}

// Starting and stopping it while other threads allocate and free across threads.
TEST(BackgroundOption, TogglingUnderLoadIsSafe) {
  start_allocator();
  ScopedOption off("background", 0);
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < 2; ++t) {
    workers.emplace_back([&, t] {
      std::vector<void*> mine;
      for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        void* p = hak_malloc(16 + (i * 97 + t) % 4000);
        mine.push_back(p);
        if (mine.size() > 4096) {
          std::thread([v = std::move(mine)] {  // freed elsewhere: remote frees and edges
            for (void* q : v) hak_free(q);
          })
              .join();
          mine.clear();
        }
      }
      for (void* p : mine) hak_free(p);
    });
  }
  for (int i = 0; i < 40; ++i) {
    hak_option_set("background", i % 2 == 0 ? 1 : 0, nullptr, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (auto& w : workers) w.join();
  hak_option_set("background", 0, nullptr, 0);
  EXPECT_TRUE(eventually([] { return threads_named(kThreadName) == 0; }));
}

}  // namespace
