// The allocator's counters, generated from the one list in hakmem.h (HAK_COUNTERS), so the
// code increments by the very name that the snapshot, the JSON and the admin RPC print.
// HEAP counters live in each heap and are bumped by its owner with a relaxed load + store (no
// atomic read-modify-write on the fast path); PROCESS counters and GAUGEs are process-wide
// atomics. Readers sum and read them at any time without a data race (counter_snapshot.cpp).
#pragma once

#include <atomic>
#include <cstdint>

#include "hakmem/hakmem.h"
#include "size_class.hpp"

namespace hakmem {

#define HAK_IF_HEAP_HEAP(x) x
#define HAK_IF_HEAP_PROCESS(x)
#define HAK_IF_HEAP_GAUGE(x)
#define HAK_IF_HEAP_DERIVED(x)
#define HAK_IF_PROCESS_HEAP(x)
#define HAK_IF_PROCESS_PROCESS(x) x
#define HAK_IF_PROCESS_GAUGE(x) x
#define HAK_IF_PROCESS_DERIVED(x)

// kCtr_<name> for every HEAP counter.
enum HeapCounterId : uint32_t {
#define HAK_HEAP_ENUMERATOR(name) kCtr_##name,
#define HAK_HEAP_ID(name, kind, desc) HAK_IF_HEAP_##kind(HAK_HEAP_ENUMERATOR(name))
  HAK_COUNTERS(HAK_HEAP_ID)
#undef HAK_HEAP_ID
#undef HAK_HEAP_ENUMERATOR
      kHeapCounterCount,
};

HAK_INLINE void bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

struct HeapCounters {
  // Per size class, so bytes in use follow from counts times class sizes: one increment per
  // malloc or free and nothing else (the DERIVED counters).
  std::atomic<uint64_t> mallocs[kClassCount];
  std::atomic<uint64_t> frees_local[kClassCount];
  std::atomic<uint64_t> frees_remote[kClassCount];
  // Pages per class (slow paths; for hak_class_stats_get): taken by the refill, of which
  // fresh; formatted for the class and released from it (the difference is in use).
  std::atomic<uint64_t> pages_taken[kClassCount];
  std::atomic<uint64_t> pages_fresh[kClassCount];
  std::atomic<uint64_t> pages_formatted[kClassCount];
  std::atomic<uint64_t> pages_released[kClassCount];
  std::atomic<uint64_t> events[kHeapCounterCount];

  HAK_INLINE void add(HeapCounterId id, uint64_t n = 1) { bump(events[id], n); }
};

// One field per PROCESS counter and GAUGE, named as in the list; rare events only.
struct ProcessCounters {
#define HAK_PROCESS_FIELD(name, kind, desc) HAK_IF_PROCESS_##kind(std::atomic<uint64_t> name{0};)
  HAK_COUNTERS(HAK_PROCESS_FIELD)
#undef HAK_PROCESS_FIELD
};
extern ProcessCounters g_counters;

HAK_INLINE void add_event(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.fetch_add(n, std::memory_order_relaxed);
}

// Raises a gauge's peak to `value` (lock-free).
void raise_peak(std::atomic<uint64_t>& peak, uint64_t value);
// The current sum over all heaps of bytes in use, raising bytes_in_use_peak to it (costly:
// call when memory grows, or rarely).
uint64_t sample_in_use();
// A fork child: resets the counters' lock, whose holder does not exist there.
void counters_fork_child();

}  // namespace hakmem
