#include "large.hpp"

#include <new>

#include "background_sleep.hpp"
#include "counters.hpp"
#include "options.hpp"
#include "os.hpp"
#include "page_allocator.hpp"
#include "spin_lock.hpp"

namespace hakmem {

namespace {

constexpr uint64_t kAllSlots = ~uint64_t{0};
constexpr uint64_t kHeaderSlot = 1;

struct SpanState {
  SpinLock lock;
  Segment* with_room = nullptr;  // span segments with at least one free slot, warmest first
  std::atomic<uint64_t> purge_due_ns{0};  // no free slot expires before this (0: none)
};
SpanState g_spans;

uint64_t run_mask(size_t first, size_t count) {
  return (count >= 64 ? kAllSlots : ((uint64_t{1} << count) - 1)) << first;
}

void list_push(Segment* seg) {
  seg->span_prev = nullptr;
  seg->span_next = g_spans.with_room;
  if (g_spans.with_room) g_spans.with_room->span_prev = seg;
  g_spans.with_room = seg;
}

void list_remove(Segment* seg) {
  if (seg->span_prev)
    seg->span_prev->span_next = seg->span_next;
  else
    g_spans.with_room = seg->span_next;
  if (seg->span_next) seg->span_next->span_prev = seg->span_prev;
  seg->span_next = seg->span_prev = nullptr;
}

// First slot of a free run of `count` slots starting at a multiple of `step`, or 0.
size_t find_run(const Segment* seg, size_t count, size_t step) {
  uint64_t free = ~seg->slots_used;
  for (size_t first = step; first + count <= kSlotsPerSegment; first += step) {
    uint64_t mask = run_mask(first, count);
    if ((free & mask) == mask) return first;
  }
  return 0;
}

Segment* map_span_segment() {
  Segment* seg = segment_map(SegmentKind::kSpans);
  if (seg == nullptr) return nullptr;
  seg->page_shift = static_cast<uint8_t>(kSlotShift);
  seg->page_count = static_cast<uint16_t>(kSlotsPerSegment);
  for (size_t i = 0; i < kSlotsPerSegment; ++i) new (&seg->pages[i]) Page();
  seg->slots_used = kHeaderSlot;
  seg->slots_committed = kHeaderSlot;
  committed_add(segment_header_size(kSlotsPerSegment));
  list_push(seg);
  return seg;
}

uint64_t committed_bytes(uint64_t slots) {
  return static_cast<uint64_t>(__builtin_popcountll(slots & ~kHeaderSlot)) << kSlotShift;
}

// Lock held; the segment's slots are all free.
void unmap_span_segment(Segment* seg) {
  list_remove(seg);
  committed_sub(committed_bytes(seg->slots_committed) + segment_header_size(kSlotsPerSegment));
  segment_unmap(seg);
}

// `count` slots starting at a multiple of `step` (alignment); step + count <= 64.
void* span_alloc(size_t count, size_t step, bool* dirty) {
  SpinLockGuard guard(g_spans.lock);
  Segment* seg = g_spans.with_room;
  size_t first = 0;
  for (; seg != nullptr; seg = seg->span_next) {
    if ((first = find_run(seg, count, step)) != 0) break;
  }
  bool reused = seg != nullptr;
  if (seg == nullptr) {
    seg = map_span_segment();
    if (seg == nullptr) return nullptr;
    first = find_run(seg, count, step);
  }
  HAK_ASSERT(first != 0);
  if (seg->slots_used == kHeaderSlot) segment_unretain(seg);
  uint64_t mask = run_mask(first, count);
  seg->slots_used |= mask;
  *dirty = (seg->slots_committed & mask) != 0;
  committed_add(committed_bytes(mask & ~seg->slots_committed));
  seg->slots_committed |= mask;
  if (seg->slots_used == kAllSlots) list_remove(seg);
  Page* head = &seg->pages[first];
  head->reserved = static_cast<uint32_t>(count);
  head->xthread.store(kLargeObject, std::memory_order_relaxed);
  if (reused) add_event(g_counters.large_reused);
  return seg->page_start(head);
}

// Returns whether the background thread is to be woken (after the lock is released).
bool span_free(Segment* seg, void* p, uint64_t now) {
  Page* head = seg->page_of(p);
  size_t first = static_cast<size_t>(head - seg->pages);
  SpinLockGuard guard(g_spans.lock);
  size_t count = head->reserved;
  uint64_t mask = run_mask(first, count);
  HAK_ASSERT((seg->slots_used & mask) == mask);
  head->xthread.store(kOwned, std::memory_order_relaxed);
  for (size_t i = first; i < first + count; ++i) seg->pages[i].free_since_ns = now;
  if (seg->slots_used == kAllSlots) list_push(seg);
  seg->slots_used &= ~mask;
  bool wake = false;
  if (g_spans.purge_due_ns.load(std::memory_order_relaxed) == 0) {
    uint64_t due = now + purge_delay_in_use_ns(now);
    g_spans.purge_due_ns.store(due, std::memory_order_relaxed);
    wake = background_sleeps_past(due);  // under the lock, as page_free
  }
  if (seg->slots_used == kHeaderSlot && !segment_retain(seg)) unmap_span_segment(seg);
  return wake;
}

// ---- huge objects: a mapping each ----------------------------------------------------------

void* huge_alloc(size_t size, size_t alignment) {
  // The object sits `offset` bytes after a segment-aligned header, with 0 < offset <=
  // kSegmentSize so that segment_of() finds the header from the object pointer, and past
  // pages[0], the descriptor every free of the object looks at (see kLargeObject).
  constexpr size_t kHeader = sizeof(Segment);
  size_t offset =
      alignment <= kHeader ? kHeader : (alignment < kSegmentSize ? alignment : kSegmentSize);
  if (size > (SIZE_MAX >> 2)) return nullptr;
  size_t mapping = align_up(offset + size, kOsPageSize);
  char* base;
  if (alignment > kSegmentSize) {
    // The object must be alignment-aligned and one segment after its header.
    auto* raw = static_cast<char*>(os::map_aligned(mapping + alignment, alignment));
    if (raw == nullptr) return nullptr;
    base = raw + alignment - kSegmentSize;
    if (!os::unmap(raw, alignment - kSegmentSize) || !os::unmap(base + mapping, kSegmentSize)) {
      os::unmap(raw, mapping + alignment);
      return nullptr;
    }
  } else {
    base = static_cast<char*>(os::map_aligned(mapping, kSegmentSize));
    if (base == nullptr) return nullptr;
  }
  auto* seg = reinterpret_cast<Segment*>(base);
  seg->magic = kSegmentMagic;
  seg->kind = SegmentKind::kHuge;
  seg->page_shift = 63;  // page_of() lands on pages[0] for any object pointer
  seg->page_count = 0;
  new (&seg->pages[0]) Page();
  seg->pages[0].xthread.store(kLargeObject, std::memory_order_relaxed);
  seg->mapping_size = mapping;
  seg->huge_block = base + offset;
  committed_add(mapping);
  return seg->huge_block;
}

}  // namespace

void* large_alloc(size_t size, size_t alignment, bool* dirty) {
  *dirty = false;
  if (size <= kMaxSpanSize && alignment < kSegmentSize) {
    size_t count = (size + kSlotSize - 1) >> kSlotShift;
    size_t step = alignment > kSlotSize ? alignment >> kSlotShift : 1;
    if (step + count <= kSlotsPerSegment) return span_alloc(count, step, dirty);
  }
  return huge_alloc(size, alignment);
}

void large_free(Segment* segment, void* p) {
  if (segment->kind == SegmentKind::kSpans) {
    uint64_t now = os::now_ns();
    if (span_free(segment, p, now)) background_wake_now();
    large_purge(now, Purge::kSlowPath);  // spans come back in bursts, as pages do
    return;
  }
  HAK_ASSERT(segment->kind == SegmentKind::kHuge);
  committed_sub(segment->mapping_size);
  os::unmap(segment, segment->mapping_size);
}

size_t large_usable_size(const Segment* segment, const void* p) {
  if (segment->kind == SegmentKind::kSpans) {
    return static_cast<size_t>(const_cast<Segment*>(segment)->page_of(p)->reserved) << kSlotShift;
  }
  return reinterpret_cast<const char*>(segment) + segment->mapping_size -
         static_cast<const char*>(p);
}

uint64_t large_purge(uint64_t now_ns, Purge how) {
  bool force = how == Purge::kAll;
  bool own = how == Purge::kSlowPath || how == Purge::kBackground;
  uint64_t delay_ns = own ? purge_delay_in_use_ns(now_ns) : purge_delay_ns();
  // Most calls come from slow paths: nothing is due, or another thread is at it.
  uint64_t due = g_spans.purge_due_ns.load(std::memory_order_relaxed);
  // (purge_due_ns follows the delay in use, which is never below purge_delay_ms.)
  if (own && (due == 0 || now_ns < due)) return 0;
  if (how != Purge::kSlowPath) {
    g_spans.lock.lock();
  } else if (!g_spans.lock.try_lock()) {
    return 0;
  }
  uint64_t next_due = 0;
  uint64_t purged = 0;
  for (Segment* seg = g_spans.with_room; seg != nullptr; seg = seg->span_next) {
    uint64_t idle = seg->slots_committed & ~seg->slots_used;
    for (size_t i = 1; i < kSlotsPerSegment; ++i) {
      if ((idle >> i & 1) == 0) continue;
      uint64_t due = seg->pages[i].free_since_ns + delay_ns;
      if (!force && due > now_ns) {
        if (next_due == 0 || due < next_due) next_due = due;
        continue;
      }
      // The idle run from i on, all due: one madvise.
      size_t end = i + 1;
      while (end < kSlotsPerSegment && (idle >> end & 1) != 0 &&
             (force || seg->pages[end].free_since_ns + delay_ns <= now_ns)) {
        ++end;
      }
      if (os::decommit(seg->page_start(&seg->pages[i]), (end - i) << kSlotShift)) {
        uint64_t mask = run_mask(i, end - i);
        seg->slots_committed &= ~mask;
        committed_sub(committed_bytes(mask));
        purged += committed_bytes(mask);
        add_event(g_counters.large_slots_purged, end - i);
      }
      i = end - 1;
    }
  }
  g_spans.purge_due_ns.store(next_due, std::memory_order_relaxed);
  g_spans.lock.unlock();
  return purged;
}

uint64_t large_purge_due_ns() {
  SpinLockGuard guard(g_spans.lock);
  return g_spans.purge_due_ns.load(std::memory_order_relaxed);
}

void large_fork_prepare() {
  g_spans.lock.lock();
}
void large_fork_parent() {
  g_spans.lock.unlock();
}
void large_fork_child() {
  g_spans.lock.reset_after_fork();
}

}  // namespace hakmem
