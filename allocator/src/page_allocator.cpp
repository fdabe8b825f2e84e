#include "page_allocator.hpp"

#include <new>

#include "background_sleep.hpp"
#include "counters.hpp"
#include "options.hpp"
#include "os.hpp"
#include "page_list.hpp"
#include "spin_lock.hpp"

namespace hakmem {

namespace {

struct KindState {
  PageList committed;    // free and still backed: reused first (warm), purged oldest first
  PageList decommitted;  // free and given back to the OS
};

struct State {
  SpinLock lock;
  KindState kinds[2];                 // small, medium
  Segment* segments = nullptr;        // every page segment mapped, through seg_next/seg_prev
  uint64_t committed_free_bytes = 0;  // backed bytes of the pages on the committed lists
};

State g_state;
// Committed free bytes beyond this wait only purge_delay_ms, not the adaptive delay.
std::atomic<uint64_t> g_keep_budget{UINT64_MAX};

// The delay the allocator's own purges use. A page decommitted and faulted in again within
// that delay means demand swings more slowly than the delay, and every swing then costs a page
// fault per 4 KiB (xmalloc-test at 10 ms: 300,000 faults and 2 s of kernel time in 5 s). Such a
// regret doubles the delay, up to kMaxAdaptiveDelayNs; a second without one halves it back
// toward purge_delay_ms. The raised delay holds only as many committed free bytes as the live
// set swung by lately (page_keep_budget, set by the refill's purge check): a level live set
// (Larson's) refaults pages because its page churn leaves them, not because demand comes back,
// and keeping them a second held 5-8 MiB at 10.5 MiB live. Explicit collects (hak_collect)
// keep using purge_delay_ms itself.
constexpr uint64_t kMaxAdaptiveDelayNs = 1000000000;
constexpr uint64_t kCalmNs = 1000000000;
struct AdaptiveDelay {
  std::atomic<uint32_t> shift{0};
  std::atomic<uint64_t> base_ns{0};         // purge_delay_ns() the shift applies to
  std::atomic<uint64_t> last_change_ns{0};  // last regret or decay step
};
AdaptiveDelay g_delay;

uint64_t adaptive_delay_ns(uint64_t base, uint32_t shift) {
  if (base == 0 || base >= kMaxAdaptiveDelayNs) return base;  // 0: the user wants it at once
  uint64_t d = base << shift;
  return d < kMaxAdaptiveDelayNs ? d : kMaxAdaptiveDelayNs;
}

}  // namespace

// A purged page (or a trimmed one's OS pages) is taken again `since` ns after its purge.
void purge_regret(uint64_t now, uint64_t since) {
  uint64_t base = purge_delay_ns();
  uint32_t shift = g_delay.shift.load(std::memory_order_relaxed);
  uint64_t delay = adaptive_delay_ns(base, shift);
  if (since >= delay || delay >= kMaxAdaptiveDelayNs) return;
  // At most one doubling per delay: a burst refaulting many pages is one regret.
  if (now - g_delay.last_change_ns.load(std::memory_order_relaxed) < delay) return;
  g_delay.last_change_ns.store(now, std::memory_order_relaxed);
  g_delay.shift.store(shift + 1, std::memory_order_relaxed);
  add_event(g_counters.purge_delay_raised);
}

namespace {

// Empty segments kept mapped, per kind: a wave of large frees does not use up the room of
// the page segments, nor the other way round.
std::atomic<uint64_t> g_retained_segments[4];

size_t pages_per_segment(bool medium) {
  return medium ? kMediumPagesPerSegment : kSmallPagesPerSegment;
}

// Maps a segment and puts its pages on the decommitted list (fresh mmap memory is not
// backed yet). Called with the lock held.
bool map_segment(bool medium) {
  Segment* seg = segment_map(medium ? SegmentKind::kMediumPages : SegmentKind::kSmallPages);
  if (seg == nullptr) return false;
  size_t count = pages_per_segment(medium);
  seg->page_shift = static_cast<uint8_t>(medium ? kMediumPageShift : kSmallPageShift);
  seg->page_count = static_cast<uint16_t>(count);
  seg->pages_in_use = 0;
  for (size_t i = 0; i < count; ++i) new (&seg->pages[i]) Page();
  seg->seg_prev = nullptr;
  seg->seg_next = g_state.segments;
  if (seg->seg_next != nullptr) seg->seg_next->seg_prev = seg;
  g_state.segments = seg;
  KindState& ks = g_state.kinds[medium];
  // Page 0 holds the header. Push the highest page first so page 1 is handed out first.
  for (size_t i = count - 1; i >= 1; --i) ks.decommitted.push_back(&seg->pages[i]);
  committed_add(segment_header_size(count));
  return true;
}

// Called with the lock held, for a segment whose pages are all free.
void unmap_segment(Segment* seg) {
  KindState& ks = g_state.kinds[seg->kind == SegmentKind::kMediumPages];
  uint64_t backed = segment_header_size(seg->page_count);
  for (size_t i = 1; i < seg->page_count; ++i) {
    Page* p = &seg->pages[i];
    HAK_ASSERT(p->use == PageUse::kFree);
    if (p->committed) {
      ks.committed.remove(p);
      backed += p->backed_os_pages * kOsPageSize;
      g_state.committed_free_bytes -= p->backed_os_pages * kOsPageSize;
    } else {
      ks.decommitted.remove(p);
    }
  }
  committed_sub(backed);
  if (seg->seg_prev != nullptr)
    seg->seg_prev->seg_next = seg->seg_next;
  else
    g_state.segments = seg->seg_next;
  if (seg->seg_next != nullptr) seg->seg_next->seg_prev = seg->seg_prev;
  segment_unmap(seg);
}

}  // namespace

Segment* segment_map(SegmentKind kind) {
  auto* seg = static_cast<Segment*>(os::map_aligned(kSegmentSize, kSegmentSize));
  if (seg == nullptr) return nullptr;
  seg->magic = kSegmentMagic;
  seg->kind = kind;
  seg->mapping_size = kSegmentSize;
  add_event(g_counters.segments_mapped);
  // Empty until its first use.
  g_retained_segments[static_cast<size_t>(kind)].fetch_add(1, std::memory_order_relaxed);
  return seg;
}

void segment_unmap(Segment* seg) {
  if (os::unmap(seg, kSegmentSize)) {
    add_event(g_counters.segments_unmapped);
  }
}

bool segment_retain(const Segment* seg) {
  std::atomic<uint64_t>& retained = g_retained_segments[static_cast<size_t>(seg->kind)];
  uint64_t limit = retain_bytes() >> kSegmentShift;
  uint64_t n = retained.load(std::memory_order_relaxed);
  do {
    if (n >= limit) return false;
  } while (!retained.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

void segment_unretain(const Segment* seg) {
  g_retained_segments[static_cast<size_t>(seg->kind)].fetch_sub(1, std::memory_order_relaxed);
}

void committed_add(uint64_t bytes) {
  uint64_t now = g_counters.bytes_committed.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  raise_peak(g_counters.bytes_committed_peak, now);
}

void committed_sub(uint64_t bytes) {
  g_counters.bytes_committed.fetch_sub(bytes, std::memory_order_relaxed);
}

Page* page_alloc(bool medium) {
  SpinLockGuard guard(g_state.lock);
  KindState& ks = g_state.kinds[medium];
  Page* page = ks.committed.pop_back();
  if (page != nullptr) {
    g_state.committed_free_bytes -= page->backed_os_pages * kOsPageSize;
  } else {
    page = ks.decommitted.pop_back();
    if (page == nullptr) {
      if (!map_segment(medium)) return nullptr;
      page = ks.decommitted.pop_back();
    } else if (page->free_since_ns != 0) {  // purged by the allocator at that time
      uint64_t now = os::now_ns();
      purge_regret(now, now - page->free_since_ns);
    }
    page->committed = true;
    page->backed_os_pages = 0;  // counted as its owner carves (account_carved)
  }
  Segment* seg = segment_of(page);  // descriptors live in their segment's page 0
  if (seg->pages_in_use++ == 0) segment_unretain(seg);
  page->use = PageUse::kInUse;
  return page;
}

void page_free(Page* page) {
  Segment* seg = segment_of(page);
  page->heap.store(nullptr, std::memory_order_relaxed);
  page->xthread.store(kOwned, std::memory_order_relaxed);
  page->free = nullptr;
  page->in_partial = false;
  uint64_t now = os::now_ns();
  bool wake;
  {
    SpinLockGuard guard(g_state.lock);
    KindState& ks = g_state.kinds[seg->kind == SegmentKind::kMediumPages];
    page->use = PageUse::kFree;
    page->free_since_ns = now;
    ks.committed.push_back(page);
    g_state.committed_free_bytes += page->backed_os_pages * kOsPageSize;
    if (--seg->pages_in_use == 0 && !segment_retain(seg)) unmap_segment(seg);
    // Under the lock: the thread reads the lists under it after it set its deadline.
    wake = background_sleeps_past(now + purge_delay_in_use_ns(now));  // when it falls due
  }
  if (wake) background_wake_now();
  // Pages come back in bursts: a good moment to return the ones that stayed idle.
  page_purge(now, Purge::kSlowPath);
}

uint64_t purge_delay_in_use_ns(uint64_t now_ns) {
  uint64_t base = purge_delay_ns();
  if (g_delay.base_ns.load(std::memory_order_relaxed) != base) {  // purge_delay_ms was set
    g_delay.base_ns.store(base, std::memory_order_relaxed);
    g_delay.shift.store(0, std::memory_order_relaxed);
  }
  uint32_t shift = g_delay.shift.load(std::memory_order_relaxed);
  if (shift > 0 && now_ns - g_delay.last_change_ns.load(std::memory_order_relaxed) > kCalmNs) {
    g_delay.last_change_ns.store(now_ns, std::memory_order_relaxed);
    g_delay.shift.store(--shift, std::memory_order_relaxed);
  }
  return adaptive_delay_ns(base, shift);
}

void page_keep_budget(uint64_t bytes) {
  g_keep_budget.store(bytes, std::memory_order_relaxed);
}

uint64_t page_purge(uint64_t now_ns, Purge how) {
  bool force = how == Purge::kAll;
  bool own = how == Purge::kSlowPath || how == Purge::kBackground;
  uint64_t delay_ns = own ? purge_delay_in_use_ns(now_ns) : purge_delay_ns();
  if (how != Purge::kSlowPath) {
    g_state.lock.lock();
  } else if (!g_state.lock.try_lock()) {
    return 0;
  }
  uint64_t purged = 0;
  uint64_t base_ns = purge_delay_ns();
  uint64_t budget = own ? g_keep_budget.load(std::memory_order_relaxed) : UINT64_MAX;
  auto due = [&](const Page* p) {
    if (p->use != PageUse::kFree || !p->committed) return false;
    if (force || p->free_since_ns + delay_ns <= now_ns) return true;
    return g_state.committed_free_bytes > budget && p->free_since_ns + base_ns <= now_ns;
  };
  for (KindState& ks : g_state.kinds) {
    unsigned batch = 0;
    while (Page* p = ks.committed.head) {
      if (!due(p)) break;
      if (how == Purge::kSlowPath && ++batch > 256) break;
      // The due neighbours in its segment go in the same call: a burst's pages lie side by
      // side, and one madvise per run instead of per page halves what giving them back costs.
      Segment* seg = segment_of(p);
      Page* first = p;
      Page* last = p;
      while (first - 1 > seg->pages && due(first - 1)) --first;
      while (last + 1 < seg->pages + seg->page_count && due(last + 1)) ++last;
      size_t pages = static_cast<size_t>(last - first) + 1;
      if (!os::decommit(seg->page_start(first), pages * seg->page_size())) break;  // still backed
      uint64_t backed = 0;
      for (Page* q = first; q <= last; ++q) {
        ks.committed.remove(q);
        q->committed = false;
        backed += q->backed_os_pages * kOsPageSize;
        q->backed_os_pages = 0;
        // Only the allocator's own purges can be regretted, not a collect asked for.
        q->free_since_ns = own ? now_ns : 0;
        ks.decommitted.push_back(q);
      }
      committed_sub(backed);
      g_state.committed_free_bytes -= backed;
      purged += backed;
      add_event(g_counters.pages_purged, pages);
      add_event(g_counters.purge_calls);
      batch += static_cast<unsigned>(pages) - 1;
    }
  }
  g_state.lock.unlock();
  return purged;
}

// The committed lists are in order of freeing, so each list's head is due first.
uint64_t page_purge_due_ns() {
  uint64_t delay_ns = purge_delay_in_use_ns(os::now_ns());
  uint64_t due = 0;
  SpinLockGuard guard(g_state.lock);
  if (g_state.committed_free_bytes > g_keep_budget.load(std::memory_order_relaxed)) {
    delay_ns = purge_delay_ns();  // beyond the budget, the heads wait only purge_delay_ms
  }
  for (KindState& ks : g_state.kinds) {
    if (Page* p = ks.committed.head) {
      uint64_t d = p->free_since_ns + delay_ns;
      if (due == 0 || d < due) due = d;
    }
  }
  return due;
}

void page_segments_visit(void (*fn)(Segment*, void*), void* arg) {
  SpinLockGuard guard(g_state.lock);
  for (Segment* seg = g_state.segments; seg != nullptr; seg = seg->seg_next) fn(seg, arg);
}

// ---- fork ---------------------------------------------------------------------------------

void page_allocator_fork_prepare() {
  g_state.lock.lock();
}
void page_allocator_fork_parent() {
  g_state.lock.unlock();
}
void page_allocator_fork_child() {
  g_state.lock.reset_after_fork();
}

}  // namespace hakmem
