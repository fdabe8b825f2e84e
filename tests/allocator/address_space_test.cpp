// Address space is reused, not mapped again: many live large objects stay within the
// kernel's mapping limit, a producer-consumer run stops mapping segments once warm, and
// freed large objects are reused and their memory given back after the purge delay.
#include <gtest/gtest.h>
#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

using namespace hakmem::test;

namespace {

size_t mapping_count() {
  std::ifstream maps("/proc/self/maps");
  size_t n = 0;
  for (std::string line; std::getline(maps, line);) ++n;
  return n;
}

void* touch_thread(void*) {
  return hak_malloc(100);
}

// Each object touched once, so the test commits a page per object, not the whole object.
void many_live_objects_then_thread_and_big_block(size_t count, size_t size) {
  size_t maps_before = mapping_count();
  std::vector<void*> live(count);
  for (size_t i = 0; i < count; ++i) {
    live[i] = hak_malloc(size);
    ASSERT_NE(live[i], nullptr) << "object " << i << " of " << size << " bytes";
    static_cast<char*>(live[i])[0] = static_cast<char>(i);
  }
  // The kernel allows about 65,530 mappings; one per object would be past it.
  EXPECT_LT(mapping_count() - maps_before, 10000u) << count << " objects of " << size;
  pthread_t t;
  ASSERT_EQ(pthread_create(&t, nullptr, touch_thread, nullptr), 0);
  void* small = nullptr;
  ASSERT_EQ(pthread_join(t, &small), 0);
  EXPECT_NE(small, nullptr);
  hak_free(small);
  void* big = hak_malloc(size_t{8} << 20);
  ASSERT_NE(big, nullptr);
  memset(big, 1, size_t{8} << 20);
  hak_free(big);
  for (size_t i = 0; i < count; ++i) {
    ASSERT_EQ(static_cast<char*>(live[i])[0], static_cast<char>(i));
    hak_free(live[i]);
  }
}

}  // namespace

TEST(AddressSpace, HundredThousandLive40KiBObjectsLeaveRoomForAThreadAnd8MiB) {
  many_live_objects_then_thread_and_big_block(100000, 40 << 10);
}

TEST(AddressSpace, TwentyThousandLive200KiBObjectsShareSegments) {
  many_live_objects_then_thread_and_big_block(20000, 200 << 10);
}

// xmalloc-test's pattern: one thread allocates 64-byte objects in batches whose pointer
// array is itself a 32 KiB+ allocation, another frees them. Once warm, a fixed number of
// further batches maps (almost) no segment.
TEST(AddressSpace, ProducerConsumerStopsMappingSegmentsOnceWarm) {
  constexpr size_t kBatch = 4096;
  constexpr size_t kInFlight = 16;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<void**> queue;
  bool done = false;
  std::thread consumer([&] {
    for (;;) {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return done || !queue.empty(); });
      if (queue.empty()) return;
      void** batch = queue.front();
      queue.pop_front();
      lock.unlock();
      cv.notify_all();
      for (size_t i = 0; i < kBatch; ++i) hak_free(batch[i]);
      hak_free(batch);
    }
  });
  auto produce = [&](size_t batches) {
    for (size_t b = 0; b < batches; ++b) {
      auto** batch = static_cast<void**>(hak_malloc(sizeof(void*) * (kBatch + 1)));
      ASSERT_NE(batch, nullptr);
      for (size_t i = 0; i < kBatch; ++i) {
        batch[i] = hak_malloc(64);
        ASSERT_NE(batch[i], nullptr);
        memset(batch[i], 7, 64);
      }
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return queue.size() < kInFlight; });
      queue.push_back(batch);
      cv.notify_all();
    }
  };
  produce(200);  // warm-up
  hak_counters warm = counters();
  produce(2000);  // 8 million objects
  hak_counters after = counters();
  uint64_t mapped_warm = warm.segments_mapped, mapped_after = after.segments_mapped;
  EXPECT_GE(after.mallocs - warm.mallocs, 2000u * (kBatch + 1));
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  consumer.join();
  // At most 16 x 4096 x 64 B = 4 MiB are in flight: the warm segments hold all of it.
  EXPECT_LE(mapped_after - mapped_warm, 2u) << "warm " << mapped_warm << " after " << mapped_after;
}

TEST(AddressSpace, LargeObjectsAreReusedAndGivenBackAfterThePurgeDelay) {
  ScopedOption delay("purge_delay_ms", 10);
  constexpr size_t kSize = 300 << 10;  // above the classes: a span of 5 slots
  hak_collect(1);
  hak_counters before = counters();
  for (int i = 0; i < 100; ++i) {
    void* p = hak_malloc(kSize);
    ASSERT_NE(p, nullptr);
    memset(p, 0xAB, kSize);
    hak_free(p);
  }
  hak_counters mid = counters();
  EXPECT_GE(mid.large_reused - before.large_reused, 99u);
  EXPECT_LE(mid.segments_mapped - before.segments_mapped, 1u);
  // Reused memory that held 0xAB still reads as zero through calloc.
  auto* z = static_cast<unsigned char*>(hak_calloc(1, kSize));
  ASSERT_NE(z, nullptr);
  for (size_t i = 0; i < kSize; ++i) ASSERT_EQ(z[i], 0) << i;
  hak_free(z);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  hak_collect(0);
  hak_counters after = counters();
  EXPECT_GT(after.large_slots_purged, mid.large_slots_purged);
  EXPECT_LE(after.bytes_committed, before.bytes_committed + (64 << 10))
      << "before " << before.bytes_committed << " after " << after.bytes_committed;
}
