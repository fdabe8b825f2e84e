// The global page allocator: hands out empty pages from segments, takes empty pages back,
// returns idle ones to the OS (purge) and unmaps empty segments beyond the retain limit.
// It is only reached from slow paths, so one lock guards it.
#pragma once

#include <atomic>
#include <cstdint>

#include "page.hpp"
#include "segment.hpp"

namespace hakmem {

// An empty page of the given kind, not yet formatted (its memory counts as committed as it is
// carved: account_carved); nullptr when the OS is out of memory. The caller becomes its owner.
Page* page_alloc(bool medium);
// The owner gives back an empty page (every block returned).
void page_free(Page* page);
// How much a purge may do. kSlowPath: a thread on a slow path is waiting, so skip when
// another thread purges and stop after a batch. kBackground: the background thread's, the
// allocator's own like kSlowPath (the delay in use, a purge that can be regretted) but every
// due page, waiting for the lock. kExpired: every page idle past purge_delay_ms itself
// (hak_collect). kAll: every free page.
enum class Purge { kSlowPath, kBackground, kExpired, kAll };
// Returns the bytes decommitted.
uint64_t page_purge(uint64_t now_ns, Purge how);
// The allocator's own purges keep free pages committed for the adaptive delay only while
// their backed bytes are within `bytes` (the live set's recent swing, set by the refill's
// purge check); beyond it the oldest wait only purge_delay_ms. UINT64_MAX (the start): no bound.
void page_keep_budget(uint64_t bytes);
// purge_delay_ms, raised while purged pages are soon faulted in again (page_allocator.cpp).
uint64_t purge_delay_in_use_ns(uint64_t now_ns);
// Memory given back `since_ns` ago is needed again: if that is within the delay in use, the
// delay is raised (at most once per delay).
void purge_regret(uint64_t now_ns, uint64_t since_ns);
// When the oldest committed free page's delay in use runs out (0: none is waiting).
uint64_t page_purge_due_ns();

// Calls fn(segment, arg) for every page segment mapped now, with the page allocator's lock
// held (so none is unmapped meanwhile); fn must not call the page allocator.
void page_segments_visit(void (*fn)(Segment*, void*), void* arg);

// ---- shared with large objects (large.cpp) ----

// A fresh segment of `kind` (magic, kind and mapping size set), counted in segments_mapped
// and, until its first use calls segment_unretain, as an empty retained one; nullptr when
// the OS refuses. segment_unmap gives it back, counted in segments_unmapped.
Segment* segment_map(SegmentKind kind);
void segment_unmap(Segment* segment);
// Empty segments stay mapped, their memory decommitted after the purge delay like any free
// page, up to the retain limit: mapping and unmapping address space on every wave of frees
// costs more than any fast path saves. The limit holds for each kind of segment.
// segment_retain: a segment just became empty; true means keep it. segment_unretain: a kept
// one is in use again.
bool segment_retain(const Segment* seg);
void segment_unretain(const Segment* seg);

void committed_add(uint64_t bytes);
void committed_sub(uint64_t bytes);

// The owner carved blocks up to page->capacity: the OS pages they reach beyond those already
// backed count as committed from now on. A page's memory is backed as it is touched, so an
// active page carved a quarter of the way counts a quarter of its size, as RSS does.
inline void account_carved(Page* page) {
  size_t end =
      (static_cast<size_t>(page->capacity) * page->block_size + kOsPageSize - 1) / kOsPageSize;
  if (end <= page->backed_os_pages) return;
  committed_add((end - page->backed_os_pages) * kOsPageSize);
  page->backed_os_pages = static_cast<uint8_t>(end);
}

void page_allocator_fork_prepare();
void page_allocator_fork_parent();
void page_allocator_fork_child();

}  // namespace hakmem
