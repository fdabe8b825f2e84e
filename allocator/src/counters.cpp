// Counter snapshots: sums over every heap (live, pooled and exited threads' heaps are the
// same objects), the page allocator's gauges, a reset by baseline, and the JSON rendering.
#include <cstdio>
#include <cstring>

#include "hakmem/hakmem.h"
#include "heap.hpp"
#include "large.hpp"
#include "os.hpp"
#include "page_allocator.hpp"
#include "spin_lock.hpp"

namespace hakmem {

namespace {

struct Totals {
  uint64_t mallocs = 0, frees_local = 0, frees_remote = 0;
  int64_t in_use = 0;
  uint64_t events[kHeapCounterCount] = {};
};

void add_heap(const Heap& heap, Totals& t) {
  for (size_t cls = 0; cls < kClassCount; ++cls) {
    uint64_t m = heap.counters.mallocs[cls].load(std::memory_order_relaxed);
    uint64_t fl = heap.counters.frees_local[cls].load(std::memory_order_relaxed);
    uint64_t fr = heap.counters.frees_remote[cls].load(std::memory_order_relaxed);
    t.mallocs += m;
    t.frees_local += fl;
    t.frees_remote += fr;
    t.in_use += static_cast<int64_t>(class_size(cls)) *
                (static_cast<int64_t>(m) - static_cast<int64_t>(fl) - static_cast<int64_t>(fr));
  }
  for (size_t i = 0; i < kHeapCounterCount; ++i) {
    t.events[i] += heap.counters.events[i].load(std::memory_order_relaxed);
  }
}

Totals sum_heaps() {
  Totals t;
  for (Heap* heap = heaps_all(); heap != nullptr; heap = heap->all_next) add_heap(*heap, t);
  add_heap(g_fallback_heap, t);
  t.in_use += static_cast<int64_t>(t.events[kCtrLargeAllocBytes]) -
              static_cast<int64_t>(t.events[kCtrLargeFreeBytes]);
  return t;
}

std::atomic<uint64_t> g_in_use_peak{0};
SpinLock g_baseline_lock;
hak_counters g_baseline;  // event counters at the last reset

void raise_peak(std::atomic<uint64_t>& peak, uint64_t value) {
  uint64_t cur = peak.load(std::memory_order_relaxed);
  while (value > cur && !peak.compare_exchange_weak(cur, value, std::memory_order_relaxed)) {
  }
}

void fill_raw(hak_counters* c) {
  memset(c, 0, sizeof *c);
  c->version = HAK_COUNTERS_VERSION;
  c->size = sizeof *c;
  Totals t = sum_heaps();
  uint64_t in_use = t.in_use > 0 ? static_cast<uint64_t>(t.in_use) : 0;
  raise_peak(g_in_use_peak, in_use);
  c->mallocs = t.mallocs + t.events[kCtrLargeAllocs];
  c->frees_local = t.frees_local;
  c->frees_remote = t.frees_remote;
  c->large_allocs = t.events[kCtrLargeAllocs];
  c->large_frees = t.events[kCtrLargeFrees];
  c->large_reused = g_large_stats.spans_reused.load(std::memory_order_relaxed);
  c->large_slots_purged = g_large_stats.slots_purged.load(std::memory_order_relaxed);
  c->pending_enqueued = t.events[kCtrPendingEnqueued];
  c->pending_drained = t.events[kCtrPendingDrained];
  c->drain_attempts = t.events[kCtrDrainAttempts];
  c->drain_successes = t.events[kCtrDrainSuccesses];
  c->mustreuse_hits = t.events[kCtrMustReuseHits];
  c->active_drain_hits = t.events[kCtrActiveDrainHits];
  c->partial_hits = t.events[kCtrPartialHits];
  c->orphan_publishes = t.events[kCtrOrphanPublishes];
  c->orphan_claims = t.events[kCtrOrphanClaims];
  c->adoption_attempts = t.events[kCtrAdoptionAttempts];
  c->adoption_allowed = t.events[kCtrAdoptionAllowed];
  c->adoption_blocked_rfr = t.events[kCtrBlockedRfr];
  c->adoption_blocked_idle = t.events[kCtrBlockedIdle];
  c->adoption_blocked_partial = t.events[kCtrBlockedPartial];
  c->adoption_blocked_pressure = t.events[kCtrBlockedPressure];
  c->adoption_blocked_remote_min = t.events[kCtrBlockedRemoteMin];
  c->pages_adopted = t.events[kCtrPagesAdopted];
  c->adopted_reused = t.events[kCtrAdoptedReused];
  c->new_pages = t.events[kCtrNewPages];
  c->empty_pages_reused = t.events[kCtrEmptyPagesReused];
  c->pages_freed = t.events[kCtrPagesFreed];
  c->pages_purged = g_page_stats.pages_purged.load(std::memory_order_relaxed);
  c->segments_mapped = g_page_stats.segments_mapped.load(std::memory_order_relaxed);
  c->segments_unmapped = g_page_stats.segments_unmapped.load(std::memory_order_relaxed);
  c->os_failures = os::g_os_failures.load(std::memory_order_relaxed);
  c->heaps_created = g_global_counters.heaps_created.load(std::memory_order_relaxed);
  c->heaps_reused = g_global_counters.heaps_reused.load(std::memory_order_relaxed);
  c->bytes_in_use = in_use;
  c->bytes_in_use_peak = g_in_use_peak.load(std::memory_order_relaxed);
  c->bytes_committed = g_page_stats.bytes_committed.load(std::memory_order_relaxed);
  c->bytes_committed_peak = g_page_stats.bytes_committed_peak.load(std::memory_order_relaxed);
}

// Gauges describe the present and are never rebased; everything else counts events.
bool is_gauge(size_t index) {
  const char* name = hak_counter_name(index);
  return strncmp(name, "bytes_", 6) == 0;
}

uint64_t* field_at(hak_counters* c, size_t index) {
  return reinterpret_cast<uint64_t*>(reinterpret_cast<char*>(c) + offsetof(hak_counters, mallocs)) +
         index;
}

constexpr const char* kNames[] = {
#define HAK_COUNTER_NAME(name, desc) #name,
    HAK_COUNTERS(HAK_COUNTER_NAME)
#undef HAK_COUNTER_NAME
};
constexpr const char* kDescriptions[] = {
#define HAK_COUNTER_DESC(name, desc) desc,
    HAK_COUNTERS(HAK_COUNTER_DESC)
#undef HAK_COUNTER_DESC
};
constexpr size_t kCounterCount = sizeof kNames / sizeof kNames[0];
static_assert(sizeof(hak_counters) == 8 + kCounterCount * 8);

}  // namespace

// A fork child: the thread that held the lock does not exist there.
void counters_fork_child() {
  g_baseline_lock.reset_after_fork();
}

void sample_in_use_peak() {
  Totals t = sum_heaps();
  if (t.in_use > 0) raise_peak(g_in_use_peak, static_cast<uint64_t>(t.in_use));
}

}  // namespace hakmem

using namespace hakmem;

extern "C" {

void hak_counters_get(hak_counters* out) {
  if (out == nullptr) return;
  fill_raw(out);
  SpinLockGuard guard(g_baseline_lock);
  if (g_baseline.version == 0) return;
  for (size_t i = 0; i < kCounterCount; ++i) {
    if (!is_gauge(i)) *field_at(out, i) -= *field_at(&g_baseline, i);
  }
}

void hak_counters_reset(void) {
  hak_counters now;
  fill_raw(&now);
  g_in_use_peak.store(now.bytes_in_use, std::memory_order_relaxed);
  g_page_stats.bytes_committed_peak.store(now.bytes_committed, std::memory_order_relaxed);
  SpinLockGuard guard(g_baseline_lock);
  g_baseline = now;
}

double hak_page_reuse_rate(const hak_counters* c) {
  if (c == nullptr) return 0.0;
  double reuses = static_cast<double>(c->mustreuse_hits + c->active_drain_hits + c->partial_hits +
                                      c->orphan_claims + c->pages_adopted + c->empty_pages_reused);
  double total = reuses + static_cast<double>(c->new_pages);
  return total > 0 ? reuses / total : 1.0;
}

const char* hak_counter_name(size_t index) {
  return index < kCounterCount ? kNames[index] : nullptr;
}

const char* hak_counter_description(size_t index) {
  return index < kCounterCount ? kDescriptions[index] : nullptr;
}

uint64_t hak_counter_value(const hak_counters* c, size_t index) {
  if (c == nullptr || index >= kCounterCount) return 0;
  return *field_at(const_cast<hak_counters*>(c), index);
}

size_t hak_counters_json(const hak_counters* c, char* buf, size_t len) {
  size_t need = 0;
  auto append = [&](const char* fmt, auto... args) {
    char* at = need < len ? buf + need : nullptr;
    size_t room = need < len ? len - need : 0;
    int n = snprintf(at, room, fmt, args...);
    if (n > 0) need += static_cast<size_t>(n);
  };
  append("{\"version\":%u", c ? c->version : 0u);
  for (size_t i = 0; c != nullptr && i < kCounterCount; ++i) {
    append(",\"%s\":%llu", kNames[i], static_cast<unsigned long long>(hak_counter_value(c, i)));
  }
  append(",\"page_reuse_rate\":%.6f}", hak_page_reuse_rate(c));
  if (len > 0 && need >= len) buf[len - 1] = '\0';
  return need;
}

}  // extern "C"
