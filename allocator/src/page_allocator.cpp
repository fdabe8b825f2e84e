#include "page_allocator.hpp"

#include <new>

#include "options.hpp"
#include "os.hpp"
#include "spin_lock.hpp"

namespace hakmem {

PageAllocatorStats g_page_stats;

namespace {

// An intrusive list of free pages (through Page::next/prev), oldest first.
struct PageList {
  Page* head = nullptr;
  Page* tail = nullptr;

  void push_back(Page* p) {
    p->next = nullptr;
    p->prev = tail;
    if (tail)
      tail->next = p;
    else
      head = p;
    tail = p;
  }
  void remove(Page* p) {
    if (p->prev)
      p->prev->next = p->next;
    else
      head = p->next;
    if (p->next)
      p->next->prev = p->prev;
    else
      tail = p->prev;
    p->next = p->prev = nullptr;
  }
  Page* pop_back() {
    Page* p = tail;
    if (p) remove(p);
    return p;
  }
};

struct KindState {
  PageList committed;    // free and still backed: reused first (warm), purged oldest first
  PageList decommitted;  // free and given back to the OS
  uint32_t empty_segments = 0;
};

struct State {
  SpinLock lock;
  KindState kinds[2];  // small, medium
};

State g_state;

size_t pages_per_segment(bool medium) {
  return medium ? kMediumPagesPerSegment : kSmallPagesPerSegment;
}

void update_peak() {
  uint64_t now = g_page_stats.bytes_committed.load(std::memory_order_relaxed);
  uint64_t peak = g_page_stats.bytes_committed_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_page_stats.bytes_committed_peak.compare_exchange_weak(
                           peak, now, std::memory_order_relaxed)) {
  }
}

// Maps a segment and puts its pages on the decommitted list (fresh mmap memory is not
// backed yet). Called with the lock held.
bool map_segment(bool medium) {
  auto* seg = static_cast<Segment*>(os::map_aligned(kSegmentSize, kSegmentSize));
  if (seg == nullptr) return false;
  size_t count = pages_per_segment(medium);
  seg->magic = kSegmentMagic;
  seg->kind = medium ? SegmentKind::kMediumPages : SegmentKind::kSmallPages;
  seg->page_shift = static_cast<uint8_t>(medium ? kMediumPageShift : kSmallPageShift);
  seg->page_count = static_cast<uint16_t>(count);
  seg->pages_in_use = 0;
  seg->mapping_size = kSegmentSize;
  for (size_t i = 0; i < count; ++i) new (&seg->pages[i]) Page();
  KindState& ks = g_state.kinds[medium];
  // Page 0 holds the header. Push the highest page first so page 1 is handed out first.
  for (size_t i = count - 1; i >= 1; --i) ks.decommitted.push_back(&seg->pages[i]);
  ++ks.empty_segments;
  committed_add(segment_header_size(count));
  g_page_stats.segments_mapped.fetch_add(1, std::memory_order_relaxed);
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
      backed += seg->page_size();
    } else {
      ks.decommitted.remove(p);
    }
  }
  --ks.empty_segments;
  committed_sub(backed);
  g_page_stats.segments_unmapped.fetch_add(1, std::memory_order_relaxed);
  os::unmap(seg, kSegmentSize);
}

uint64_t purge_delay_ns() {
  return static_cast<uint64_t>(option(kOptPurgeDelayMs)) * 1000000;
}

}  // namespace

void committed_add(uint64_t bytes) {
  g_page_stats.bytes_committed.fetch_add(bytes, std::memory_order_relaxed);
  update_peak();
}

void committed_sub(uint64_t bytes) {
  g_page_stats.bytes_committed.fetch_sub(bytes, std::memory_order_relaxed);
}

Page* page_alloc(bool medium) {
  SpinLockGuard guard(g_state.lock);
  KindState& ks = g_state.kinds[medium];
  Page* page = ks.committed.pop_back();
  if (page == nullptr) {
    page = ks.decommitted.pop_back();
    if (page == nullptr) {
      if (!map_segment(medium)) return nullptr;
      page = ks.decommitted.pop_back();
    }
    page->committed = true;
    committed_add(segment_of(page)->page_size());
  }
  Segment* seg = segment_of(page);  // descriptors live in their segment's page 0
  if (seg->pages_in_use++ == 0) --ks.empty_segments;
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
  {
    SpinLockGuard guard(g_state.lock);
    KindState& ks = g_state.kinds[seg->kind == SegmentKind::kMediumPages];
    page->use = PageUse::kFree;
    page->free_since_ns = now;
    ks.committed.push_back(page);
    if (--seg->pages_in_use == 0 && ++ks.empty_segments > kEmptySegmentCache) unmap_segment(seg);
  }
  // Pages come back in bursts: a good moment to return the ones that stayed idle.
  page_purge(now, purge_delay_ns(), false);
}

void page_purge(uint64_t now_ns, uint64_t delay_ns, bool force) {
  // Not forced: a slow path calls this, so skip rather than wait behind another purger.
  if (force) {
    g_state.lock.lock();
  } else if (!g_state.lock.try_lock()) {
    return;
  }
  for (KindState& ks : g_state.kinds) {
    unsigned batch = 0;
    while (Page* p = ks.committed.head) {
      if (!force && (p->free_since_ns + delay_ns > now_ns || ++batch > 256)) break;
      ks.committed.remove(p);
      Segment* seg = segment_of(p);
      os::decommit(seg->page_start(p), seg->page_size());
      p->committed = false;
      ks.decommitted.push_back(p);
      committed_sub(seg->page_size());
      g_page_stats.pages_purged.fetch_add(1, std::memory_order_relaxed);
    }
  }
  g_state.lock.unlock();
}

// ---- large objects --------------------------------------------------------------------

void* large_alloc(size_t size, size_t alignment) {
  // The object sits `offset` bytes after a segment-aligned header, with 0 < offset <=
  // kSegmentSize so that segment_of() finds the header from the object pointer, and past
  // pages[0], the descriptor every free of the object looks at (see kLargeObject).
  constexpr size_t kHeader = sizeof(Segment);
  size_t offset =
      alignment <= kHeader ? kHeader : (alignment < kSegmentSize ? alignment : kSegmentSize);
  if (size > (SIZE_MAX >> 2)) return nullptr;
  size_t mapping = align_up(offset + size, kOsPageSize);
  size_t map_alignment = alignment > kSegmentSize ? alignment : kSegmentSize;
  char* base;
  if (alignment > kSegmentSize) {
    // The object must be alignment-aligned and one segment after its header.
    auto* raw = static_cast<char*>(os::map_aligned(mapping + map_alignment, map_alignment));
    if (raw == nullptr) return nullptr;
    base = raw + map_alignment - kSegmentSize;
    os::unmap(raw, map_alignment - kSegmentSize);
    size_t tail = mapping + map_alignment - (map_alignment - kSegmentSize) - mapping;
    if (tail > 0) os::unmap(base + mapping, tail);
  } else {
    base = static_cast<char*>(os::map_aligned(mapping, kSegmentSize));
    if (base == nullptr) return nullptr;
  }
  auto* seg = reinterpret_cast<Segment*>(base);
  seg->magic = kSegmentMagic;
  seg->kind = SegmentKind::kLarge;
  seg->page_shift = 63;  // page_of() lands on pages[0] for any object pointer
  seg->page_count = 0;
  new (&seg->pages[0]) Page();
  seg->pages[0].xthread.store(kLargeObject, std::memory_order_relaxed);
  seg->mapping_size = mapping;
  seg->large_block = base + offset;
  committed_add(mapping);
  return seg->large_block;
}

void large_free(Segment* segment) {
  HAK_ASSERT(segment->kind == SegmentKind::kLarge);
  committed_sub(segment->mapping_size);
  os::unmap(segment, segment->mapping_size);
}

size_t large_usable_size(const Segment* segment, const void* p) {
  return reinterpret_cast<const char*>(segment) + segment->mapping_size -
         static_cast<const char*>(p);
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
