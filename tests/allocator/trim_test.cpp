// Trimming (page_trim.cpp): before a new page, the OS pages of the owner's queued pages that
// only free blocks touch go back to the OS while the pages keep their live blocks; the live
// blocks are untouched, and the given-back blocks are allocated again once needed. Pages
// queued for less than the purge delay are left alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iterator>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "test_util.hpp"

using namespace hakmem::test;

namespace {

constexpr size_t kSize = 1024;  // 4 blocks per OS page, none straddling one
constexpr size_t kPages = 8;
constexpr size_t kPerPage = 65536 / kSize;

uint64_t delta(const hak_counters& a, const hak_counters& b, uint64_t hak_counters::*f) {
  return b.*f - a.*f;
}

// Allocates kPages + 1 pages of kSize (the first kPages are detached once full), then another
// thread frees every block on three OS pages of each four, which queues those pages here.
std::vector<void*> fill_and_thin(std::vector<void*>* live) {
  std::vector<void*> blocks;
  for (size_t i = 0; i < (kPages + 1) * kPerPage; ++i) {
    void* p = hak_malloc(kSize);
    fill(p, kSize, 7);
    blocks.push_back(p);
  }
  std::vector<void*> freed;
  for (void* p : blocks) {
    bool thinned = (reinterpret_cast<uintptr_t>(p) >> 12) % 4 != 0;
    (thinned ? freed : *live).push_back(p);
  }
  std::thread([&] {
    for (void* p : freed) hak_free(p);
  }).join();
  return freed;
}

// Takes `pages` new pages of the (so far unused) class of `size`; returns the blocks. A trim
// pass runs once per 8 new pages, so 9 see one.
std::vector<void*> take_new_pages(size_t size, size_t pages) {
  std::vector<void*> v;
  for (size_t i = 0; i < pages * (65536 / size); ++i) v.push_back(hak_malloc(size));
  return v;
}

// With `option` set to `value`, new pages of the (so far unused) class of `size` trim nothing.
void expect_no_trim(const char* option, int64_t value, size_t size) {
  ScopedOption set(option, value);
  hak_counters before = counters();
  std::vector<void*> other = take_new_pages(size, 9);
  hak_counters after = counters();
  EXPECT_GT(delta(before, after, &hak_counters::new_pages), 0u) << option;
  EXPECT_EQ(delta(before, after, &hak_counters::pages_trimmed), 0u) << option;
  for (void* p : other) hak_free(p);
}

}  // namespace

TEST(Trim, FreeOsPagesOfQueuedPagesGoBackAndComeBackWhenNeeded) {
  // Trims wait until a page has stayed queued for the purge delay; 0 lets this test go on.
  ScopedOption at_once("purge_delay_ms", 0);
  std::thread owner([] {
    std::vector<void*> live;
    std::vector<void*> thinned = fill_and_thin(&live);
    ASSERT_EQ(live.size() * 4, (kPages + 1) * kPerPage);

    // Off, and queued for less than the purge delay (they may be needed again soon): new
    // pages of another class leave the queued pages as they are.
    expect_no_trim("trim_pages", 0, 64);
    expect_no_trim("purge_delay_ms", 60000, 80);

    // On (the default): the next new pages trim every thinned queued page, 12 OS pages each.
    hak_counters before = counters();
    std::vector<void*> other = take_new_pages(96, 9);
    hak_counters trimmed = counters();
    EXPECT_EQ(delta(before, trimmed, &hak_counters::pages_trimmed), kPages);
    EXPECT_EQ(delta(before, trimmed, &hak_counters::trimmed_bytes), kPages * 12 * 4096);
    EXPECT_EQ(delta(before, trimmed, &hak_counters::trimmed_bytes_reused), 0u);
    for (void* p : live) EXPECT_TRUE(verify(p, kSize, 7)) << p;

    // The given-back blocks serve the class again: distinct from the live ones, and all of
    // them come back once as many blocks as were freed are allocated.
    std::set<void*> in_use(live.begin(), live.end());
    std::vector<void*> again;
    for (size_t i = 0; i < thinned.size(); ++i) {
      void* p = hak_malloc(kSize);
      ASSERT_TRUE(in_use.insert(p).second) << "handed out twice: " << p;
      fill(p, kSize, 9);
      again.push_back(p);
    }
    hak_counters reused = counters();
    EXPECT_EQ(delta(trimmed, reused, &hak_counters::trimmed_bytes_reused), kPages * 12 * 4096);
    EXPECT_EQ(delta(trimmed, reused, &hak_counters::new_pages), 0u);
    for (void* p : again) EXPECT_TRUE(verify(p, kSize, 9)) << p;
    for (void* p : live) EXPECT_TRUE(verify(p, kSize, 7)) << p;

    for (void* p : again) hak_free(p);
    for (void* p : live) hak_free(p);
    for (void* p : other) hak_free(p);
  });
  owner.join();
}

// Trims race with remote frees: the owner trims and restores pages while another thread keeps
// freeing their blocks (a trim claims a queued page, so frees land on its stack meanwhile). A
// block on an OS page given back while it was live would read as zeros: every block is checked
// before it is freed.
TEST(Trim, RemoteFreesDuringTrimsLoseAndCorruptNothing) {
  ScopedOption at_once("purge_delay_ms", 0);
  constexpr size_t kSizes[] = {384, 640, 1024, 1536, 2048, 3072};
  constexpr size_t kRounds = 60;
  constexpr size_t kPerRound = 600;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::vector<void*>> handed;  // batches for the consumer; empty batch: stop
  size_t processed = 0;                    // batches the consumer is done with (under mu)
  std::atomic<uint64_t> bad{0};
  std::thread consumer([&] {
    std::vector<void*> kept;  // a quarter, freed two batches later
    std::vector<void*> older;
    while (true) {
      std::vector<void*> batch;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return !handed.empty(); });
        batch = std::move(handed.front());
        handed.erase(handed.begin());
      }
      if (batch.empty()) break;
      for (void* p : older) {
        if (!verify(p, 64, 3)) bad.fetch_add(1);
        hak_free(p);
      }
      older = std::move(kept);
      kept.clear();
      for (void* p : batch) {
        if (!verify(p, 64, 3)) bad.fetch_add(1);
        if ((reinterpret_cast<uintptr_t>(p) >> 12) % 4 == 0) {
          kept.push_back(p);
        } else {
          hak_free(p);
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      ++processed;
      cv.notify_all();
    }
    for (void* p : older) hak_free(p);
    for (void* p : kept) hak_free(p);
  });
  std::thread producer([&] {
    hak_counters before = counters();
    for (size_t round = 0; round < kRounds; ++round) {
      std::vector<void*> batch;
      size_t size = kSizes[round % std::size(kSizes)];
      for (size_t i = 0; i < kPerRound; ++i) {
        void* p = hak_malloc(size);
        fill(p, 64, 3);
        batch.push_back(p);
      }
      // The batch before this one is done, so its pages are thinned (and queued here) when the
      // next round takes new pages, while the consumer frees this batch and the blocks it
      // kept of older ones, on pages being trimmed.
      std::unique_lock<std::mutex> lock(mu);
      handed.push_back(std::move(batch));
      cv.notify_all();
      cv.wait(lock, [&] { return processed >= round; });
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      handed.emplace_back();
      cv.notify_all();
    }
    hak_counters after = counters();
    EXPECT_GT(after.pages_trimmed - before.pages_trimmed, 0u);
  });
  producer.join();
  consumer.join();
  EXPECT_EQ(bad.load(), 0u);
}
