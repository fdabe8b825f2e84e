// Threads that hand objects to each other: the workload hakmem is built for. Every block's
// contents are verified by the thread that frees it, and counters must add up afterwards.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "test_util.hpp"

using namespace hakmem::test;

namespace {

struct Item {
  void* p;
  size_t size;
  uint32_t seed;
};

// A bounded hand-off queue between threads (the test's own plumbing uses std allocation).
class Channel {
 public:
  void push(std::vector<Item> batch) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return q_.size() < 64; });
    q_.push_back(std::move(batch));
    cv_.notify_all();
  }
  bool pop(std::vector<Item>* out) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return false;
    *out = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return true;
  }
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<Item>> q_;
  bool closed_ = false;
};

int scale() {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  return 1;
#else
  return 4;
#endif
}

}  // namespace

TEST(Concurrency, ProducerConsumerContentsSurvive) {
  const int kProducers = 2, kConsumers = 2;
  const int kBatches = 400 * scale();
  Channel ch;
  std::atomic<uint64_t> bad{0}, consumed{0};
  hak_counters before = counters();
  std::vector<std::thread> threads;
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&] {
      std::vector<Item> batch;
      while (ch.pop(&batch)) {
        for (const Item& it : batch) {
          if (!verify(it.p, it.size, it.seed)) bad.fetch_add(1);
          hak_free(it.p);
          consumed.fetch_add(1);
        }
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      std::mt19937 rng(static_cast<uint32_t>(p + 1));
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Item> batch;
        for (int i = 0; i < 64; ++i) {
          size_t size = 1 + rng() % (rng() % 8 == 0 ? 40000 : 1024);
          void* ptr = hak_malloc(size);
          uint32_t seed = rng();
          fill(ptr, size, seed);
          batch.push_back({ptr, size, seed});
        }
        ch.push(std::move(batch));
      }
    });
  }
  for (auto& t : producers) t.join();
  ch.close();
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_EQ(consumed.load(), static_cast<uint64_t>(kProducers) * kBatches * 64);
  hak_counters after = counters();
  EXPECT_GT(after.frees_remote - before.frees_remote, 0u);
  EXPECT_LE(after.pending_drained, after.pending_enqueued + after.orphan_publishes);
}

// Larson's pattern: each thread frees random slots of its array and refills them; then it
// hands the array to a new thread and exits, so successors free predecessors' blocks.
TEST(Concurrency, LarsonHandOffToSuccessorThreads) {
  const int kLanes = 4, kGenerations = 6 * scale(), kSlots = 2000, kSteps = 20000;
  std::atomic<uint64_t> bad{0};
  std::vector<std::vector<Item>> arrays(kLanes, std::vector<Item>(kSlots));
  std::mt19937 warm(7);
  for (auto& a : arrays) {
    for (Item& it : a) {
      it.size = 8 + warm() % 1000;
      it.p = hak_malloc(it.size);
      it.seed = warm();
      fill(it.p, it.size, it.seed);
    }
  }
  for (int gen = 0; gen < kGenerations; ++gen) {
    std::vector<std::thread> lanes;
    for (int l = 0; l < kLanes; ++l) {
      lanes.emplace_back([&, l, gen] {
        std::mt19937 rng(static_cast<uint32_t>(gen * 100 + l));
        auto& a = arrays[static_cast<size_t>(l)];
        for (int s = 0; s < kSteps; ++s) {
          Item& it = a[rng() % a.size()];
          if (!verify(it.p, it.size, it.seed)) bad.fetch_add(1);
          hak_free(it.p);
          it.size = 8 + rng() % 1000;
          it.p = hak_malloc(it.size);
          it.seed = rng();
          fill(it.p, it.size, it.seed);
        }
      });
    }
    for (auto& t : lanes) t.join();
    // Rotate arrays so each lane's successor frees another lane's blocks too.
    std::rotate(arrays.begin(), arrays.begin() + 1, arrays.end());
  }
  for (auto& a : arrays) {
    for (Item& it : a) {
      if (!verify(it.p, it.size, it.seed)) bad.fetch_add(1);
      hak_free(it.p);
    }
  }
  EXPECT_EQ(bad.load(), 0u);
}

TEST(Concurrency, ThreadChurnStaysBoundedAndOrphansAreClaimed) {
  const int kThreads = 2000, kWave = 8, kObjects = 100;
  Channel ch;
  std::atomic<uint64_t> bad{0};
  hak_counters before = counters();
  std::thread consumer([&] {
    std::vector<Item> batch;
    while (ch.pop(&batch)) {
      for (const Item& it : batch) {
        if (!verify(it.p, it.size, it.seed)) bad.fetch_add(1);
        hak_free(it.p);
      }
    }
  });
  uint64_t max_committed = 0;
  for (int wave = 0; wave < kThreads / kWave; ++wave) {
    std::vector<std::thread> ts;
    for (int t = 0; t < kWave; ++t) {
      ts.emplace_back([&, wave, t] {
        std::mt19937 rng(static_cast<uint32_t>(wave * kWave + t));
        std::vector<Item> batch;
        for (int i = 0; i < kObjects; ++i) {
          size_t size = 1 + rng() % 2000;
          void* p = hak_malloc(size);
          uint32_t seed = rng();
          fill(p, size, seed);
          // Keep a few for a while so that pages outlive their thread with live blocks.
          batch.push_back({p, size, seed});
        }
        ch.push(std::move(batch));
      });
    }
    for (auto& t : ts) t.join();
    uint64_t c = counters().bytes_committed;
    if (c > max_committed) max_committed = c;
  }
  ch.close();
  consumer.join();
  // The consumer's frees queued pages of exited threads; a live thread allocating the same
  // sizes claims them before it takes new pages.
  std::thread claimer([] {
    std::vector<void*> v;
    for (int i = 0; i < 20000; ++i) v.push_back(hak_malloc(1 + static_cast<size_t>(i) % 2000));
    for (void* p : v) hak_free(p);
  });
  claimer.join();
  hak_counters after = counters();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_LE(after.heaps_created - before.heaps_created, 64u) << "heaps are pooled, not leaked";
  EXPECT_GT(after.heaps_reused - before.heaps_reused, static_cast<uint64_t>(kThreads) / 2);
  EXPECT_GT(after.orphan_publishes - before.orphan_publishes, 0u);
  EXPECT_GT(
      (after.orphan_claims - before.orphan_claims) + (after.mustreuse_hits - before.mustreuse_hits),
      0u);
  // 2000 threads x 100 objects x up to 2 KiB = 400 MB if nothing were reused.
  EXPECT_LT(max_committed, uint64_t{64} << 20);
}

TEST(Concurrency, CountersAddUp) {
  hak_counters_reset();
  const int kThreads = 4;
  std::vector<std::vector<void*>> kept(kThreads);
  Channel ch;
  std::thread consumer([&] {
    std::vector<Item> batch;
    while (ch.pop(&batch)) {
      for (const Item& it : batch) hak_free(it.p);
    }
  });
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      std::mt19937 rng(static_cast<uint32_t>(t));
      for (int round = 0; round < 50; ++round) {
        std::vector<Item> batch;
        for (int i = 0; i < 100; ++i) {
          void* p = hak_malloc(1 + rng() % (i % 10 == 0 ? 100000 : 3000));
          if (i % 3 == 0)
            batch.push_back({p, 0, 0});  // freed elsewhere
          else if (i % 3 == 1)
            hak_free(p);  // freed here
          else
            kept[static_cast<size_t>(t)].push_back(p);  // still live at the end
        }
        ch.push(std::move(batch));
      }
    });
  }
  for (auto& t : ts) t.join();
  ch.close();
  consumer.join();
  uint64_t live = 0;
  for (auto& k : kept) live += k.size();
  hak_counters c = counters();
  EXPECT_EQ(c.mallocs - (c.frees_local + c.frees_remote + c.large_frees), live);
  EXPECT_LE(c.pending_drained, c.pending_enqueued + c.orphan_publishes);
  EXPECT_LE(c.drain_successes, c.drain_attempts);
  EXPECT_GE(c.large_allocs, c.large_frees);
  for (auto& k : kept) {
    for (void* p : k) hak_free(p);
  }
  hak_counters end = counters();
  EXPECT_EQ(end.mallocs, end.frees_local + end.frees_remote + end.large_frees);
}
