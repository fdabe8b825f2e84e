// Route P: each gate blocks adoption on its own (its counter moves, no page changes owner),
// adoption happens when every gate passes, CDA adopts with the gates closed, Route S never
// adopts; and routes and options flip safely while threads allocate and free.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "size_class.hpp"
#include "test_util.hpp"

using namespace hakmem;
using namespace hakmem::test;

namespace {

struct Gates {
  int64_t rfr_window_us = 0;
  int64_t idle_threshold_us = 0;
  int64_t adoption_threshold = 0;
  int64_t min_remote_count = 0;
};

struct Outcome {
  hak_counters before, after;
  bool idle_page_served_taker = false;  // run_idle_partial: a taker's block in the owner's page
  uint64_t delta(uint64_t hak_counters::*field) const { return after.*field - before.*field; }
};

// The route and the four gate options of a scenario, restored when it ends.
struct ScopedGates {
  ScopedGates(hak_route route, const Gates& g)
      : r(route),
        o1("rfr_window_us", g.rfr_window_us),
        o2("idle_threshold_us", g.idle_threshold_us),
        o3("adoption_threshold", g.adoption_threshold),
        o4("min_remote_count", g.min_remote_count) {
    hak_collect(0);  // blocks this thread freed earlier reach their pages first
  }
  ScopedRoute r;
  ScopedOption o1, o2, o3, o4;
};

// The counters around one allocation of `size` by a thread of its own; *p gets the block.
Outcome allocate_on_new_thread(size_t size, void** p) {
  Outcome out;
  out.before = counters();
  std::thread([&] { *p = hak_malloc(size); }).join();
  out.after = counters();
  return out;
}

// An owner thread fills `pages` pages of a class and stays alive and idle; another thread
// frees `frees_per_page` blocks of each (queuing them to the owner's pending queue). With
// `owner_partial`, the owner also ends up with a partial page of the class. Then a third
// thread allocates one block of the class under `route` and the counters tell what it did.
Outcome run_scenario(hak_route route, const Gates& g, size_t size, size_t frees_per_page,
                     bool owner_partial) {
  ScopedGates gates(route, g);
  const size_t per_page = 65536 / class_size(size_to_class(size));
  const size_t pages = 5;
  Latch owner_ready, adopter_done;
  std::vector<void*> owned;
  std::thread owner([&] {
    for (size_t i = 0; i < pages * per_page; ++i) owned.push_back(hak_malloc(size));
    std::vector<void*> remote;
    for (size_t pg = 0; pg < pages; ++pg) {
      for (size_t k = 0; k < frees_per_page; ++k) remote.push_back(owned[pg * per_page + k]);
    }
    std::thread([&] {
      for (void* p : remote) hak_free(p);
    }).join();
    if (owner_partial) {
      // Takes the newest pending page; the exhausted active page, which got remote frees,
      // moves to the partial list.
      owned.push_back(hak_malloc(size));
    }
    owner_ready.open();
    adopter_done.wait();  // alive and idle while the adopter runs
  });
  owner_ready.wait();
  void* p = nullptr;
  Outcome out = allocate_on_new_thread(size, &p);
  adopter_done.open();
  owner.join();
  hak_free(p);
  return out;
}

constexpr Gates kOpen{0, 0, 0, 0};

}  // namespace

// Each scenario uses its own size class (1280 ... 4096): heaps of exited threads are pooled
// and reused, so a class shared between scenarios would carry pages from one to the next.
TEST(RouteP, AdoptsWhenEveryGatePasses) {
  Outcome o = run_scenario(HAK_ROUTE_P, kOpen, 1100, 8, false);
  EXPECT_EQ(o.delta(&hak_counters::adoption_attempts), 1u);
  EXPECT_EQ(o.delta(&hak_counters::adoption_allowed), 1u);
  EXPECT_EQ(o.delta(&hak_counters::pages_adopted), 1u);
  EXPECT_EQ(o.delta(&hak_counters::adopted_reused), 1u);
  EXPECT_EQ(o.delta(&hak_counters::new_pages), 0u);
}

TEST(RouteP, PressureGateBlocks) {
  Gates g = kOpen;
  g.adoption_threshold = 1000;
  Outcome o = run_scenario(HAK_ROUTE_P, g, 1400, 8, false);
  EXPECT_EQ(o.delta(&hak_counters::adoption_blocked_pressure), 1u);
  EXPECT_EQ(o.delta(&hak_counters::pages_adopted), 0u);
  EXPECT_EQ(o.delta(&hak_counters::new_pages), 1u);
}

TEST(RouteP, IdleGateBlocks) {
  Gates g = kOpen;
  g.idle_threshold_us = 10'000'000;
  Outcome o = run_scenario(HAK_ROUTE_P, g, 1700, 8, false);
  EXPECT_EQ(o.delta(&hak_counters::adoption_blocked_idle), 1u);
  EXPECT_EQ(o.delta(&hak_counters::pages_adopted), 0u);
}

TEST(RouteP, PartialGateBlocks) {
  Outcome o = run_scenario(HAK_ROUTE_P, kOpen, 2000, 8, true);
  EXPECT_EQ(o.delta(&hak_counters::adoption_blocked_partial), 1u);
  EXPECT_EQ(o.delta(&hak_counters::pages_adopted), 0u);
}

TEST(RouteP, RightOfFirstRefusalGateBlocks) {
  Gates g = kOpen;
  g.rfr_window_us = 10'000'000;
  Outcome o = run_scenario(HAK_ROUTE_P, g, 2400, 8, false);
  EXPECT_EQ(o.delta(&hak_counters::adoption_blocked_rfr), 1u);
  EXPECT_EQ(o.delta(&hak_counters::pages_adopted), 0u);
}

TEST(RouteP, RemoteMinimumGateBlocks) {
  Gates g = kOpen;
  g.min_remote_count = 16;
  Outcome o = run_scenario(HAK_ROUTE_P, g, 2900, 3, false);
  EXPECT_EQ(o.delta(&hak_counters::adoption_blocked_remote_min), 1u);
  EXPECT_EQ(o.delta(&hak_counters::pages_adopted), 0u);
}

TEST(RouteP, CdaIgnoresEveryGate) {
  Gates closed{10'000'000, 10'000'000, 1000, 16};
  Outcome o = run_scenario(HAK_ROUTE_CDA, closed, 3400, 3, true);
  EXPECT_EQ(o.delta(&hak_counters::pages_adopted), 1u);
}

TEST(RouteP, RouteSNeverAdopts) {
  Outcome o = run_scenario(HAK_ROUTE_S, kOpen, 3900, 8, false);
  EXPECT_EQ(o.delta(&hak_counters::adoption_attempts), 0u);
  EXPECT_EQ(o.delta(&hak_counters::pages_adopted), 0u);
  EXPECT_EQ(o.delta(&hak_counters::new_pages), 1u);
}

// A live owner's queued pages whose every block came back: under Route P (and CDA) another
// heap that needs a fresh page takes them (one reformatted, the rest released) whatever the
// gates say; under Route S they stay with their owner.
Outcome run_emptied_pages(hak_route route, size_t size, size_t other_size) {
  ScopedGates gates(route, {10'000'000, 10'000'000, 1000, 16});  // no adoption proper
  const size_t per_page = 65536 / class_size(size_to_class(size));
  const size_t pages = 3;
  Latch owner_ready, taker_done;
  std::thread owner([&] {
    std::vector<void*> blocks;
    // Three full pages, retired when the fourth becomes active.
    for (size_t i = 0; i < pages * per_page + 1; ++i) blocks.push_back(hak_malloc(size));
    std::thread([&] {
      for (size_t i = 0; i < pages * per_page; ++i) hak_free(blocks[i]);
    }).join();
    owner_ready.open();
    taker_done.wait();  // alive and idle while the other heap allocates
    hak_free(blocks.back());
  });
  owner_ready.wait();
  void* p = nullptr;
  Outcome out = allocate_on_new_thread(other_size, &p);
  taker_done.open();
  owner.join();
  hak_free(p);
  return out;
}

TEST(RouteP, EmptiedPagesOfALiveOwnerBecomeTheFreshPage) {
  Outcome o = run_emptied_pages(HAK_ROUTE_P, 4500, 3000);
  EXPECT_EQ(o.delta(&hak_counters::new_pages), 0u);
  EXPECT_EQ(o.delta(&hak_counters::empty_pages_reused), 1u);
  EXPECT_EQ(o.delta(&hak_counters::pages_freed), 2u);
  EXPECT_EQ(o.delta(&hak_counters::pages_adopted), 0u);
}

TEST(RouteP, RouteSLeavesEmptiedPagesWithTheirLiveOwner) {
  Outcome o = run_emptied_pages(HAK_ROUTE_S, 5500, 7000);
  EXPECT_EQ(o.delta(&hak_counters::new_pages), 1u);
  EXPECT_EQ(o.delta(&hak_counters::empty_pages_reused), 0u);
  EXPECT_EQ(o.delta(&hak_counters::pages_freed), 0u);
}

// An idle owner's partial page whose every block came back by remote frees: the blocks sit
// on a stack only the owner drains, so another heap that needs pages takes it (Route P);
// Route S leaves it to its owner. The owner allocates and frees normally afterwards.
Outcome run_idle_partial(hak_route route, size_t size) {
  ScopedGates gates(route, {0, 0, 10'000'000, 16});  // owners idle at once; no adoption proper
  ScopedOption no_background("background", 0);       // it would take the page first (any route)
  const size_t per_page = 65536 / class_size(size_to_class(size));
  Latch owner_ready, taker_done;
  Outcome out;
  uintptr_t owner_page = 0;  // the page that empties, by address
  std::thread owner([&] {
    std::vector<void*> blocks;
    // A full page, retired when the next one becomes active.
    for (size_t i = 0; i < per_page + 1; ++i) blocks.push_back(hak_malloc(size));
    owner_page = reinterpret_cast<uintptr_t>(blocks[0]) >> kSmallPageShift;
    hak_free(blocks[0]);  // its owner's free takes it back, into the partial list
    std::thread([&] {
      for (size_t i = 1; i < per_page; ++i) hak_free(blocks[i]);
    }).join();
    owner_ready.open();
    taker_done.wait();
    std::vector<void*> again;
    for (size_t i = 0; i < 2 * per_page; ++i) again.push_back(hak_malloc(size));
    for (void* p : again) hak_free(p);
    hak_free(blocks.back());
  });
  owner_ready.wait();
  out.before = counters();
  std::thread([&] {
    // 40 pages of 8 KiB blocks: more new pages than the step's countdown (16) can skip, even
    // for a pooled heap that kept pages of the class from an earlier test.
    std::vector<void*> taken;
    for (size_t i = 0; i < 40 * 8; ++i) taken.push_back(hak_malloc(8192));
    for (void* p : taken) {
      if (reinterpret_cast<uintptr_t>(p) >> kSmallPageShift == owner_page) {
        out.idle_page_served_taker = true;
      }
    }
    for (void* p : taken) hak_free(p);
  }).join();
  out.after = counters();
  taker_done.open();
  owner.join();
  return out;
}

TEST(RouteP, IdleOwnersEmptiedPartialPagesAreTaken) {
  Outcome o = run_idle_partial(HAK_ROUTE_P, 1000);
  EXPECT_GE(o.delta(&hak_counters::idle_partial_released), 1u);
  // A small page, as the taker's 8 KiB blocks need: it serves them instead of a new page,
  // taken by the refill itself (idle_partial_reused) or given to the page allocator by a purge
  // check's release of idle heaps' emptied pages (idle_pages_released, refill.cpp), whose
  // first free page the taker's next new page is. Either way the same memory serves it.
  EXPECT_TRUE(o.idle_page_served_taker);
  EXPECT_GE(
      o.delta(&hak_counters::idle_partial_reused) + o.delta(&hak_counters::idle_pages_released),
      1u);
}

TEST(RouteP, RouteSLeavesIdleOwnersPartialPagesAlone) {
  Outcome o = run_idle_partial(HAK_ROUTE_S, 900);
  EXPECT_EQ(o.delta(&hak_counters::idle_partial_released), 0u);
  EXPECT_EQ(o.delta(&hak_counters::idle_partial_reused), 0u);
  EXPECT_FALSE(o.idle_page_served_taker);
}

// The same taking while the owner is busy (an idle threshold of 0 counts every owner as
// idle): it keeps allocating and freeing, takes slow paths and retires pages, while another
// thread frees its blocks and a third takes pages in many classes. Run under TSan, this is
// the check that taking a page never races with its owner; every block is verified. (How
// many pages are taken depends on timing, so it is not asserted.)
TEST(RouteP, IdlePartialTakingRacesABusyOwner) {
  ScopedGates gates(HAK_ROUTE_P, {0, 0, 10'000'000, 16});
#if defined(__SANITIZE_THREAD__)
  const int kRounds = 400;
#else
  const int kRounds = 4000;
#endif
  const size_t kSize = 700;
  const size_t per_page = 65536 / class_size(size_to_class(kSize));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::vector<void*>> handed;  // batches for the remote freer
  hak_counters before = counters();
  std::thread freer([&] {
    while (true) {
      std::vector<void*> batch;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return !handed.empty() || stop.load(); });
        if (handed.empty()) return;
        batch = std::move(handed.back());
        handed.pop_back();
      }
      for (void* p : batch) {
        if (!verify(p, kSize, static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p)))) {
          bad.fetch_add(1);
        }
        hak_free(p);
      }
    }
  });
  std::thread taker([&] {
    while (!stop.load()) {
      std::vector<void*> taken;  // 17 pages of 8 KiB blocks: each emptied one is given back
      for (size_t i = 0; i < 17 * 8; ++i) taken.push_back(hak_malloc(8192));
      for (void* p : taken) hak_free(p);
    }
  });
  std::thread owner([&] {
    for (int round = 0; round < kRounds; ++round) {
      std::vector<void*> blocks;
      for (size_t i = 0; i < per_page + 1; ++i) {
        void* p = hak_malloc(kSize);
        fill(p, kSize, static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p)));
        blocks.push_back(p);
      }
      hak_free(blocks[0]);  // into the partial list, the rest freed remotely
      {
        std::lock_guard<std::mutex> lock(mu);
        handed.emplace_back(blocks.begin() + 1, blocks.end());
      }
      cv.notify_one();
    }
  });
  owner.join();
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  cv.notify_one();
  freer.join();
  taker.join();
  EXPECT_EQ(bad.load(), 0u);
  hak_counters after = counters();
  EXPECT_EQ(after.mallocs - before.mallocs,
            (after.frees_local + after.frees_remote) - (before.frees_local + before.frees_remote));
}

// Larson-style traffic on 4 threads, every block verified by the thread that frees it, while
// another thread flips the route and every tuning option hundreds of times.
TEST(RouteP, RouteAndOptionsFlipWhileThreadsAllocate) {
  ScopedRoute keep_route(HAK_ROUTE_S);
  ScopedOption k1("rfr_window_us", 200), k2("idle_threshold_us", 150), k3("adoption_threshold", 4),
      k4("min_remote_count", 8), k5("must_reuse_budget", 4), k6("notify_threshold", 1),
      k7("reenqueue_after_drain", 0);
  const int kThreads = 4;
#if defined(__SANITIZE_THREAD__)
  const int kRounds = 150;
#else
  const int kRounds = 1500;
#endif
  const size_t kSlots = 512;
  struct Slot {
    std::mutex mu;
    void* p = nullptr;
    size_t size = 0;
    uint32_t seed = 0;
  };
  // A shared slot table: any thread may free any slot's block (cross-thread frees).
  std::vector<Slot> slots(kSlots);
  std::atomic<uint64_t> bad{0};
  std::atomic<bool> stop{false};
  hak_counters before = counters();
  std::thread flipper([&] {
    std::mt19937 rng(99);
    const char* names[] = {"rfr_window_us",        "idle_threshold_us", "adoption_threshold",
                           "min_remote_count",     "must_reuse_budget", "notify_threshold",
                           "reenqueue_after_drain"};
    for (int i = 0; !stop.load(); ++i) {
      hak_set_route(static_cast<hak_route>(rng() % 4));  // S, P, CDA, A
      const char* name = names[rng() % 7];
      int64_t value = name == names[4] || name == names[5] ? 1 + rng() % 8
                      : name == names[6]                   ? rng() % 2
                                                           : rng() % 300;
      EXPECT_EQ(hak_option_set(name, value, nullptr, 0), 0);
      if (i > 300) std::this_thread::yield();
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<uint32_t>(t));
      for (int round = 0; round < kRounds; ++round) {
        for (int k = 0; k < 64; ++k) {
          Slot& s = slots[rng() % kSlots];
          std::lock_guard<std::mutex> lock(s.mu);
          if (s.p != nullptr) {
            if (!verify(s.p, s.size, s.seed)) bad.fetch_add(1);
            hak_free(s.p);
          }
          s.size = 8 + rng() % (rng() % 16 == 0 ? 16000 : 1000);
          s.p = hak_malloc(s.size);
          s.seed = rng();
          fill(s.p, s.size, s.seed);
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  stop = true;
  flipper.join();
  for (Slot& s : slots) {
    if (s.p == nullptr) continue;
    if (!verify(s.p, s.size, s.seed)) bad.fetch_add(1);
    hak_free(s.p);
  }
  EXPECT_EQ(bad.load(), 0u);
  hak_counters after = counters();
  uint64_t mallocs = after.mallocs - before.mallocs;
  uint64_t frees = (after.frees_local + after.frees_remote + after.large_frees) -
                   (before.frees_local + before.frees_remote + before.large_frees);
  EXPECT_EQ(mallocs, frees);
  EXPECT_EQ(mallocs, static_cast<uint64_t>(kThreads) * kRounds * 64);
}
