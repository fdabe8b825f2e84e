// Counter snapshots: sums over every heap (live, pooled and exited threads' heaps are the
// same objects), the process counters and gauges, a reset by baseline, and the JSON
// rendering, all generated from HAK_COUNTERS.
#include <cstdio>
#include <cstring>

#include "hakmem/hakmem.h"
#include "heap.hpp"
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
  t.in_use += static_cast<int64_t>(t.events[kCtr_large_alloc_bytes]) -
              static_cast<int64_t>(t.events[kCtr_large_free_bytes]);
  return t;
}

SpinLock g_baseline_lock;
hak_counters g_baseline;  // event counters at the last reset

void fill_raw(hak_counters* c) {
  memset(c, 0, sizeof *c);
  c->version = HAK_COUNTERS_VERSION;
  c->size = sizeof *c;
  Totals t = sum_heaps();
  uint64_t in_use = t.in_use > 0 ? static_cast<uint64_t>(t.in_use) : 0;
  g_counters.bytes_in_use.store(in_use, std::memory_order_relaxed);
  raise_peak(g_counters.bytes_in_use_peak, in_use);
#define HAK_FILL_HEAP(name) c->name = t.events[kCtr_##name];
#define HAK_FILL_PROCESS(name) c->name = g_counters.name.load(std::memory_order_relaxed);
#define HAK_FILL_GAUGE(name) HAK_FILL_PROCESS(name)
#define HAK_FILL_DERIVED(name)
#define HAK_FILL(name, kind, desc) HAK_FILL_##kind(name)
  HAK_COUNTERS(HAK_FILL)
#undef HAK_FILL
#undef HAK_FILL_DERIVED
#undef HAK_FILL_GAUGE
#undef HAK_FILL_PROCESS
#undef HAK_FILL_HEAP
  c->mallocs = t.mallocs + c->large_allocs;
  c->frees_local = t.frees_local;
  c->frees_remote = t.frees_remote;
}

// Gauges describe the present and are never rebased; everything else counts events.
constexpr bool kIsGauge[] = {
#define HAK_GAUGE_HEAP false
#define HAK_GAUGE_PROCESS false
#define HAK_GAUGE_DERIVED false
#define HAK_GAUGE_GAUGE true
#define HAK_IS_GAUGE(name, kind, desc) HAK_GAUGE_##kind,
    HAK_COUNTERS(HAK_IS_GAUGE)
#undef HAK_IS_GAUGE
};

uint64_t* field_at(hak_counters* c, size_t index) {
  return reinterpret_cast<uint64_t*>(reinterpret_cast<char*>(c) + offsetof(hak_counters, mallocs)) +
         index;
}

constexpr const char* kNames[] = {
#define HAK_COUNTER_NAME(name, kind, desc) #name,
    HAK_COUNTERS(HAK_COUNTER_NAME)
#undef HAK_COUNTER_NAME
};
constexpr const char* kDescriptions[] = {
#define HAK_COUNTER_DESC(name, kind, desc) desc,
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

ProcessCounters g_counters;

void raise_peak(std::atomic<uint64_t>& peak, uint64_t value) {
  uint64_t cur = peak.load(std::memory_order_relaxed);
  while (value > cur && !peak.compare_exchange_weak(cur, value, std::memory_order_relaxed)) {
  }
}

uint64_t sample_in_use() {
  Totals t = sum_heaps();
  uint64_t v = t.in_use > 0 ? static_cast<uint64_t>(t.in_use) : 0;
  raise_peak(g_counters.bytes_in_use_peak, v);
  return v;
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
    if (!kIsGauge[i]) *field_at(out, i) -= *field_at(&g_baseline, i);
  }
}

void hak_counters_reset(void) {
  hak_counters now;
  fill_raw(&now);
  g_counters.bytes_in_use_peak.store(now.bytes_in_use, std::memory_order_relaxed);
  g_counters.bytes_committed_peak.store(now.bytes_committed, std::memory_order_relaxed);
  SpinLockGuard guard(g_baseline_lock);
  g_baseline = now;
}

double hak_page_reuse_rate(const hak_counters* c) {
  if (c == nullptr) return 0.0;
#define HAK_ADD_REUSE(name) +c->name
  double reuses = static_cast<double>(0 HAK_PAGE_REUSES(HAK_ADD_REUSE));
#undef HAK_ADD_REUSE
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

size_t hak_class_count(void) {
  return kClassCount;
}

int hak_class_stats_get(size_t cls, hak_class_stats* out) {
  if (cls >= kClassCount || out == nullptr) return -1;
  hak_class_stats st{};
  st.block_size = class_size(cls);
  auto add = [&](const Heap& heap) {
    st.mallocs += heap.counters.mallocs[cls].load(std::memory_order_relaxed);
    uint64_t remote = heap.counters.frees_remote[cls].load(std::memory_order_relaxed);
    st.frees += heap.counters.frees_local[cls].load(std::memory_order_relaxed) + remote;
    st.frees_remote += remote;
    st.pages_taken += heap.counters.pages_taken[cls].load(std::memory_order_relaxed);
    st.pages_new += heap.counters.pages_fresh[cls].load(std::memory_order_relaxed);
    st.pages_in_use +=
        static_cast<int64_t>(heap.counters.pages_formatted[cls].load(std::memory_order_relaxed)) -
        static_cast<int64_t>(heap.counters.pages_released[cls].load(std::memory_order_relaxed));
  };
  for (Heap* heap = heaps_all(); heap != nullptr; heap = heap->all_next) add(*heap);
  add(g_fallback_heap);
  *out = st;
  return 0;
}

}  // extern "C"
