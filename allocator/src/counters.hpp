// Per-heap event counters. The owner increments them with a plain relaxed load + store (no
// atomic read-modify-write on the fast path); readers sum them over every heap at any time
// without a data race.
#pragma once

#include <atomic>
#include <cstdint>

#include "size_class.hpp"

namespace hakmem {

enum HeapCounterId : uint32_t {
  kCtrLargeAllocs,
  kCtrLargeFrees,
  kCtrLargeAllocBytes,
  kCtrLargeFreeBytes,
  kCtrPendingEnqueued,
  kCtrPendingDrained,
  kCtrDrainAttempts,
  kCtrDrainSuccesses,
  kCtrMustReuseHits,
  kCtrActiveDrainHits,
  kCtrPartialHits,
  kCtrOrphanPublishes,
  kCtrOrphanClaims,
  kCtrAdoptionAttempts,
  kCtrAdoptionAllowed,
  kCtrBlockedRfr,
  kCtrBlockedIdle,
  kCtrBlockedPartial,
  kCtrBlockedPressure,
  kCtrBlockedRemoteMin,
  kCtrPagesAdopted,
  kCtrAdoptedReused,
  kCtrNewPages,
  kCtrEmptyPagesReused,
  kCtrPagesFreed,
  kHeapCounterCount,
};

HAK_INLINE void bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

struct HeapCounters {
  // Per size class, so bytes in use follow from counts times class sizes: one increment per
  // malloc or free and nothing else.
  std::atomic<uint64_t> mallocs[kClassCount];
  std::atomic<uint64_t> frees_local[kClassCount];
  std::atomic<uint64_t> frees_remote[kClassCount];
  std::atomic<uint64_t> events[kHeapCounterCount];

  HAK_INLINE void add(HeapCounterId id, uint64_t n = 1) { bump(events[id], n); }
};

// Process-wide counters that change only on rare events.
struct GlobalCounters {
  std::atomic<uint64_t> heaps_created{0};
  std::atomic<uint64_t> heaps_reused{0};
};
extern GlobalCounters g_global_counters;

// Raises bytes_in_use_peak to the current sum over all heaps (costly: call when memory grows).
void sample_in_use_peak();
// A fork child: resets the counters' lock, whose holder does not exist there.
void counters_fork_child();

}  // namespace hakmem
