// notify_threshold above 1: a detached page is queued only when its remote frees reach the
// threshold. Pages that never reach it must not be lost (the original design lost them):
// a sweep queues them to their home, on hak_collect, on the owner's slow path before a fresh
// page and at thread exit, and their blocks are allocated again.
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "size_class.hpp"
#include "test_util.hpp"

using namespace hakmem;
using namespace hakmem::test;

namespace {

size_t blocks_per_page(size_t size) {
  return 65536 / class_size(size_to_class(size));
}

struct Outcome {
  hak_counters before, after;
  uint64_t delta(uint64_t hak_counters::*field) const { return after.*field - before.*field; }
};

// The calling thread fills `pages` + 1 pages of `size` (the first `pages` are detached once
// full, the last stays active and exhausted); another thread frees `per_page` blocks of each
// detached page, then exits (which pushes its held chains). Returns the freed blocks.
std::vector<void*> fill_and_free_some(size_t size, size_t pages, size_t per_page) {
  const size_t n = blocks_per_page(size);
  std::vector<void*> blocks;
  for (size_t i = 0; i < (pages + 1) * n; ++i) blocks.push_back(hak_malloc(size));
  std::vector<void*> remote;
  for (size_t pg = 0; pg < pages; ++pg) {
    for (size_t k = 0; k < per_page; ++k) remote.push_back(blocks[pg * n + k]);
  }
  std::thread([&] {
    for (void* p : remote) hak_free(p);
  }).join();
  return remote;
}

}  // namespace

TEST(NotifyThreshold, PagesBelowTheThresholdAreNotQueuedButSweptBack) {
  ScopedOption threshold("notify_threshold", 4);
  const size_t kSize = 1024;
  std::thread owner([&] {
    hak_counters start = counters();
    std::vector<void*> freed = fill_and_free_some(kSize, 3, 2);
    Outcome o{start, counters()};
    EXPECT_EQ(o.delta(&hak_counters::pending_enqueued), 0u);  // 2 frees < 4: nobody queued
    EXPECT_EQ(o.after.pages_below_threshold, o.before.pages_below_threshold + 3);

    hak_collect(0);  // the sweep queues them to this heap
    Outcome swept{o.after, counters()};
    EXPECT_GE(swept.delta(&hak_counters::pages_swept), 3u);
    EXPECT_GE(swept.delta(&hak_counters::pending_enqueued), 3u);
    EXPECT_EQ(swept.after.pages_below_threshold, start.pages_below_threshold);

    // Every freed block comes back before a fresh page is taken (the active page is full).
    std::set<void*> expect(freed.begin(), freed.end());
    for (size_t i = 0; i < freed.size(); ++i) EXPECT_EQ(expect.count(hak_malloc(kSize)), 1u);
    Outcome reused{swept.after, counters()};
    EXPECT_EQ(reused.delta(&hak_counters::new_pages), 0u);
    EXPECT_EQ(reused.delta(&hak_counters::mustreuse_hits), 3u);
  });
  owner.join();
}

TEST(NotifyThreshold, TheOwnersSlowPathSweepsBeforeFreshPages) {
  ScopedOption threshold("notify_threshold", 8);
  const size_t kSize = 1536;
  std::thread owner([&] {
    hak_counters start = counters();
    std::vector<void*> freed = fill_and_free_some(kSize, 2, 3);
    std::set<void*> expect(freed.begin(), freed.end());
    // No hak_collect: the slow path sweeps within 16 fresh pages, and then the own queue
    // serves the freed blocks.
    size_t seen = 0;
    const size_t limit = 17 * blocks_per_page(kSize);
    for (size_t i = 0; i < limit && seen < freed.size(); ++i)
      seen += expect.count(hak_malloc(kSize));
    EXPECT_EQ(seen, freed.size());
    Outcome o{start, counters()};
    EXPECT_GE(o.delta(&hak_counters::pages_swept), 2u);
    EXPECT_EQ(o.after.pages_below_threshold, start.pages_below_threshold);
  });
  owner.join();
}

TEST(NotifyThreshold, AThreadExitQueuesItsPagesBelowTheThresholdAsOrphans) {
  ScopedOption threshold("notify_threshold", 16);
  const size_t kSize = 2560;
  hak_free(hak_malloc(16));  // this thread's heap exists before the owner exits
  hak_counters start = counters();
  std::vector<void*> freed;
  std::thread([&] { freed = fill_and_free_some(kSize, 2, 1); }).join();
  Outcome o{start, counters()};
  EXPECT_EQ(o.delta(&hak_counters::pages_swept), 2u);
  EXPECT_EQ(o.after.pages_below_threshold, start.pages_below_threshold);
  // The exited heap's pages, with their freed block, are orphans this thread claims.
  std::set<void*> expect(freed.begin(), freed.end());
  for (size_t i = 0; i < freed.size(); ++i) EXPECT_EQ(expect.count(hak_malloc(kSize)), 1u);
  EXPECT_GE(counters().orphan_claims - o.after.orphan_claims, 2u);
}

TEST(NotifyThreshold, TheOwnersFreeTakesBackAPageBelowTheThreshold) {
  ScopedOption threshold("notify_threshold", 4);
  const size_t kSize = 3072;
  std::thread owner([&] {
    const size_t n = blocks_per_page(kSize);
    hak_counters start = counters();
    std::vector<void*> blocks;
    for (size_t i = 0; i < 2 * n; ++i) blocks.push_back(hak_malloc(kSize));  // page 2 exhausted
    std::thread([&] { hak_free(blocks[0]); }).join();
    EXPECT_EQ(counters().pages_below_threshold, start.pages_below_threshold + 1);
    hak_free(blocks[1]);  // a local free into the detached page reclaims it, stack and all
    EXPECT_EQ(counters().pages_below_threshold, start.pages_below_threshold);
    std::set<void*> expect{blocks[0], blocks[1]};
    for (int i = 0; i < 2; ++i) EXPECT_EQ(expect.count(hak_malloc(kSize)), 1u);
  });
  owner.join();
}
