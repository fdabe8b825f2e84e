// One thread: random allocation and free with contents verified, and purge after a burst.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "segment.hpp"
#include "test_util.hpp"

using namespace hakmem::test;

namespace {
struct Live {
  void* p;
  size_t size;
  uint32_t seed;
};

size_t random_size(std::mt19937_64& rng) {
  // Mostly small, some mid, a few large: every path of the allocator.
  uint64_t r = rng() % 1000;
  if (r < 700) return rng() % 1024;
  if (r < 980) return 1024 + rng() % (32 * 1024);
  return 32 * 1024 + rng() % (512 * 1024);
}
}  // namespace

TEST(SingleThread, RandomAllocFreeKeepsContents) {
  std::mt19937_64 rng(42);
  std::vector<Live> live;
  uint32_t seed = 0;
  for (int step = 0; step < 300000; ++step) {
    if (live.empty() || rng() % 100 < 52) {
      size_t size = random_size(rng);
      void* p = hak_malloc(size);
      ASSERT_NE(p, nullptr);
      fill(p, size, ++seed);
      live.push_back({p, size, seed});
    } else {
      size_t i = rng() % live.size();
      ASSERT_TRUE(verify(live[i].p, live[i].size, live[i].seed)) << "step " << step;
      hak_free(live[i].p);
      live[i] = live.back();
      live.pop_back();
    }
  }
  for (const Live& l : live) {
    ASSERT_TRUE(verify(l.p, l.size, l.seed));
    hak_free(l.p);
  }
}

TEST(Purge, CommittedAndRssDropAfterABurstIsFreed) {
  ScopedOption delay("purge_delay_ms", 10);
  const size_t kBurst = size_t{256} << 20;
  const size_t kObject = 1000;
  hak_collect(1);
  uint64_t committed_before = counters().bytes_committed;
  uint64_t rss_before = rss_bytes();
  std::vector<void*> burst;
  burst.reserve(kBurst / kObject);
  for (size_t i = 0; i < kBurst / kObject; ++i) {
    void* p = hak_malloc(kObject);
    ASSERT_NE(p, nullptr);
    memset(p, 1, kObject);  // really commit it
    burst.push_back(p);
  }
  uint64_t committed_peak = counters().bytes_committed;
  uint64_t rss_peak = rss_bytes();
  ASSERT_GE(committed_peak - committed_before, kBurst * 9 / 10);
  ASSERT_GE(rss_peak - rss_before, kBurst * 9 / 10);
  for (void* p : burst) hak_free(p);
  std::vector<void*>().swap(burst);
  // After the delay, the allocator's own purge (or an explicit collect) gives it back.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  hak_collect(0);
  hak_counters c = counters();
  uint64_t rss_after = rss_bytes();
  EXPECT_LE(c.bytes_committed, committed_before + kBurst / 10)
      << "committed " << c.bytes_committed << " before " << committed_before;
  EXPECT_GE(rss_peak - rss_after, kBurst * 9 / 10)
      << "rss peak " << rss_peak << " after " << rss_after;
  EXPECT_GT(c.pages_purged + c.segments_unmapped, 0u);
}

// bytes_committed follows what is touched: a page taken from the page allocator counts only
// the OS pages its owner has carved into so far, as RSS would, and the whole page once every
// block was handed out.
TEST(Committed, APageCountsAsItIsCarved) {
  constexpr size_t kSize = 1024;
  constexpr size_t kPerPage = 65536 / kSize;
  hak_collect(1);  // every free page decommitted: the next page taken is backed by nothing
  std::vector<void*> blocks;
  uint64_t before = 0, header = 0;
  for (size_t i = 0;; ++i) {  // until a malloc takes a new page
    ASSERT_LT(i, 4 * kPerPage);
    hak_counters c = counters();
    before = c.bytes_committed;
    blocks.push_back(hak_malloc(kSize));
    hak_counters after = counters();
    if (after.new_pages == c.new_pages) continue;
    if (after.segments_mapped != c.segments_mapped) {
      header = hakmem::segment_header_size(hakmem::kSmallPagesPerSegment);
    }
    break;
  }
  uint64_t one = counters().bytes_committed - before - header;
  EXPECT_GE(one, 4096u);
  EXPECT_LE(one, 2 * 4096u) << "a page counted whole when taken";
  for (size_t i = 1; i < kPerPage; ++i) blocks.push_back(hak_malloc(kSize));
  uint64_t all = counters().bytes_committed - before - header;
  EXPECT_GE(all, 65536u);
  EXPECT_LE(all, 65536u + 4096u);
  for (void* p : blocks) hak_free(p);
}

// A page the allocator purged and then needed again at once means the delay is shorter than the
// program's swings: the delay in use doubles (purge_delay_raised), so the next swing is not
// another page fault per 4 KiB.
TEST(Purge, APageNeededRightAfterItsPurgeRaisesTheDelay) {
  ScopedOption delay("purge_delay_ms", 20);
  hak_collect(1);
  hak_counters before = counters();
  std::vector<void*> burst;
  for (int i = 0; i < 4000; ++i) burst.push_back(hak_malloc(1000));
  for (void* p : burst) hak_free(p);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  // A page emptying starts the allocator's own purge: the burst's pages have been idle long
  // enough.
  std::vector<void*> other;
  for (int i = 0; i < 200; ++i) other.push_back(hak_malloc(2000));
  for (void* p : other) hak_free(p);
  ASSERT_GT(counters().pages_purged, before.pages_purged);
  for (void*& p : burst) p = hak_malloc(1000);  // the same pages again, just purged
  EXPECT_GT(counters().purge_delay_raised, before.purge_delay_raised);
  for (void* p : burst) hak_free(p);
}

TEST(Purge, EmptyPagesStayCommittedWithinTheDelay) {
  ScopedOption delay("purge_delay_ms", 60000);
  hak_collect(1);
  uint64_t purged_before = counters().pages_purged;
  std::vector<void*> v;
  for (int i = 0; i < 20000; ++i) v.push_back(hak_malloc(500));
  for (void* p : v) hak_free(p);
  hak_collect(0);  // nothing has been idle for a minute
  EXPECT_EQ(counters().pages_purged, purged_before);
  hak_collect(1);  // forced: everything empty goes
  EXPECT_GT(counters().pages_purged, purged_before);
}

// Empty pages side by side in a segment are given back in one madvise: a burst's pages are
// adjacent, and a call per 64 KiB page made giving 100 MB back cost milliseconds of CPU.
TEST(Purge, AdjacentEmptyPagesAreGivenBackInOneCall) {
  ScopedOption delay("purge_delay_ms", 60000);
  hak_collect(1);
  hak_counters before = counters();
  std::vector<void*> v;
  for (int i = 0; i < 40000; ++i) v.push_back(hak_malloc(500));  // about 300 small pages
  for (void* p : v) hak_free(p);
  hak_collect(1);
  hak_counters after = counters();
  uint64_t pages = after.pages_purged - before.pages_purged;
  uint64_t calls = after.purge_calls - before.purge_calls;
  ASSERT_GT(pages, 100u);
  EXPECT_GT(calls, 0u);
  EXPECT_LE(calls * 4, pages) << calls << " calls for " << pages << " pages";
}
