// Route S's promise: no new page while the calling heap had a reusable page of the class
// (pending, partial, or active with remote frees). Built as a deterministic scenario: the
// owner fills pages, another thread frees some of its blocks, and the owner then allocates
// exactly as many blocks as it has reusable; every one must come from a freed address.
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "size_class.hpp"
#include "test_util.hpp"

using namespace hakmem;
using namespace hakmem::test;

namespace {
// Each scenario uses its own size class, so that running them in one process (heaps of
// exited threads are pooled and reused) does not leave pages of the class behind.
size_t blocks_per_page(size_t size) {
  return 65536 / class_size(size_to_class(size));
}

void free_on_other_thread(const std::vector<void*>& blocks) {
  std::thread([&] {
    for (void* p : blocks) hak_free(p);
  }).join();
}
}  // namespace

class RouteS : public ::testing::TestWithParam<hak_route> {};

TEST_P(RouteS, NoNewPageWhileAReusablePageExists) {
  ScopedRoute route(GetParam());
  const size_t kSize = GetParam() == HAK_ROUTE_S ? 720 : 900;
  std::thread owner([kSize] {
    const size_t per_page = blocks_per_page(kSize);
    std::vector<void*> blocks;
    for (size_t i = 0; i < 3 * per_page; ++i) blocks.push_back(hak_malloc(kSize));
    // Pages 1 and 2 are full and retired, page 3 is active and exhausted.
    std::vector<void*> remote, local;
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (i % 4 == 0)
        remote.push_back(blocks[i]);
      else if (i >= 2 * per_page && i % 4 == 1)
        local.push_back(blocks[i]);
    }
    free_on_other_thread(remote);       // pages 1, 2 -> pending queue; page 3 -> remote stack
    for (void* p : local) hak_free(p);  // page 3 -> local free list

    std::set<void*> freed(remote.begin(), remote.end());
    freed.insert(local.begin(), local.end());
    hak_counters before = counters();
    for (size_t i = 0; i < freed.size(); ++i) {
      void* p = hak_malloc(kSize);
      ASSERT_EQ(freed.count(p), 1u) << "block " << i << " did not reuse a freed address";
    }
    hak_counters after = counters();
    EXPECT_EQ(after.new_pages, before.new_pages);
    EXPECT_GE(after.mustreuse_hits - before.mustreuse_hits, 2u);  // pages 1 and 2
    EXPECT_GE(after.partial_hits - before.partial_hits, 1u);      // page 3, parked
    EXPECT_EQ(after.pages_adopted, before.pages_adopted);
    // Everything reusable is used up: now, and only now, a new page.
    void* extra = hak_malloc(kSize);
    EXPECT_EQ(freed.count(extra), 0u);
    EXPECT_EQ(counters().new_pages, after.new_pages + 1);
  });
  owner.join();
}

TEST_P(RouteS, ActivePageRemoteFreesComeBeforeANewPage) {
  ScopedRoute route(GetParam());
  const size_t kSize = GetParam() == HAK_ROUTE_S ? 1500 : 2000;
  std::thread owner([kSize] {
    const size_t per_page = blocks_per_page(kSize);
    std::vector<void*> blocks;
    for (size_t i = 0; i < per_page; ++i) blocks.push_back(hak_malloc(kSize));
    std::vector<void*> remote(blocks.begin(), blocks.begin() + 5);
    free_on_other_thread(remote);
    hak_counters before = counters();
    std::set<void*> freed(remote.begin(), remote.end());
    for (size_t i = 0; i < remote.size(); ++i) EXPECT_EQ(freed.count(hak_malloc(kSize)), 1u);
    hak_counters after = counters();
    EXPECT_EQ(after.new_pages, before.new_pages);
    EXPECT_EQ(after.active_drain_hits - before.active_drain_hits, 1u);
  });
  owner.join();
}

// Blocks of an OS page or more that another thread freed into the active page are used again
// before the page is carved further: carving them would touch memory never used.
TEST_P(RouteS, LargeBlocksFreedRemotelyComeBeforeCarving) {
  ScopedRoute route(GetParam());
  const size_t kSize = GetParam() == HAK_ROUTE_S ? 20000 : 28000;
  std::thread owner([kSize] {
    std::vector<void*> blocks;
    for (int i = 0; i < 3; ++i) blocks.push_back(hak_malloc(kSize));  // a fresh page, 3 carved
    std::vector<void*> remote(blocks.begin(), blocks.begin() + 2);
    free_on_other_thread(remote);
    std::set<void*> freed(remote.begin(), remote.end());
    hak_counters before = counters();
    for (size_t i = 0; i < remote.size(); ++i) {
      void* p = hak_malloc(kSize);
      ASSERT_EQ(freed.count(p), 1u) << "block " << i << " was carved, not reused";
      blocks.push_back(p);
    }
    hak_counters after = counters();
    EXPECT_EQ(after.active_drain_hits - before.active_drain_hits, 1u);
    EXPECT_EQ(after.new_pages, before.new_pages);
    void* carved = hak_malloc(kSize);  // nothing freed left: the page is carved further
    EXPECT_EQ(freed.count(carved), 0u);
    hak_free(carved);
    for (size_t i = 2; i < blocks.size(); ++i) hak_free(blocks[i]);
  });
  owner.join();
}

INSTANTIATE_TEST_SUITE_P(Routes, RouteS, ::testing::Values(HAK_ROUTE_S, HAK_ROUTE_P),
                         [](const auto& info) { return std::string(hak_route_name(info.param)); });

// Orphans whose every block came back are free memory: before a fresh page is taken one is
// reformatted as that page and the others go back to the page allocator.
TEST_P(RouteS, EmptiedOrphansAreReleasedBeforeAFreshPage) {
  ScopedRoute route(GetParam());
  const size_t kSize = 2048, kOtherSize = 640;
  std::thread freer([&] {
    hak_free(hak_malloc(16));  // this thread's heap exists before the other one exits
    std::vector<void*> blocks;
    std::thread([&] {
      for (size_t i = 0; i < 4 * blocks_per_page(kSize); ++i) blocks.push_back(hak_malloc(kSize));
    }).join();                           // four full pages, now orphans
    for (void* p : blocks) hak_free(p);  // every block back, by remote frees
    hak_counters before = counters();
    void* p = hak_malloc(kOtherSize);  // a class this heap has no page of: a fresh page
    hak_counters after = counters();
    ASSERT_NE(p, nullptr);
    // One of them becomes the fresh page, the other three go back to the page allocator.
    EXPECT_EQ(after.new_pages - before.new_pages, 0u);
    EXPECT_EQ(after.empty_pages_reused - before.empty_pages_reused, 1u);
    EXPECT_EQ(after.pages_freed - before.pages_freed, 3u);
    EXPECT_LE(after.bytes_committed, before.bytes_committed);
    hak_free(p);
  });
  freer.join();
}

// Step 5 of the slow path: pages of a thread that exited (orphans) are claimed by a live heap
// before it takes a new page.
TEST_P(RouteS, OrphansOfExitedThreadsComeBeforeANewPage) {
  ScopedRoute route(GetParam());
  const size_t kSize = GetParam() == HAK_ROUTE_S ? 3000 : 3500;
  std::thread claimer([kSize] {
    hak_free(hak_malloc(16));  // this thread's heap exists before the other one exits
    std::vector<void*> blocks;
    std::thread([&] {
      for (size_t i = 0; i < 2 * blocks_per_page(kSize); ++i) blocks.push_back(hak_malloc(kSize));
    }).join();  // its full pages are now orphans, detached
    std::vector<void*> freed(blocks.begin(), blocks.begin() + 6);
    for (void* p : freed) hak_free(p);  // queues them to the exited thread's heap
    hak_counters before = counters();
    std::set<void*> expect(freed.begin(), freed.end());
    for (size_t i = 0; i < freed.size(); ++i) EXPECT_EQ(expect.count(hak_malloc(kSize)), 1u);
    hak_counters after = counters();
    EXPECT_GE(after.orphan_claims - before.orphan_claims, 1u);
    EXPECT_EQ(after.new_pages, before.new_pages);
  });
  claimer.join();
}
