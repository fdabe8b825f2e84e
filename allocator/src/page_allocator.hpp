// The global page allocator: hands out empty pages from segments, takes empty pages back,
// returns idle ones to the OS (purge) and unmaps empty segments beyond a small cache.
// It is only reached from slow paths, so one lock guards it.
#pragma once

#include <atomic>
#include <cstdint>

#include "page.hpp"
#include "segment.hpp"

namespace hakmem {

// Global gauges, updated under the lock and read by counter snapshots.
struct PageAllocatorStats {
  std::atomic<uint64_t> bytes_committed{0};
  std::atomic<uint64_t> bytes_committed_peak{0};
  std::atomic<uint64_t> segments_mapped{0};
  std::atomic<uint64_t> segments_unmapped{0};
  std::atomic<uint64_t> pages_purged{0};
};
extern PageAllocatorStats g_page_stats;

// An empty page of the given kind, committed, not yet formatted; nullptr when the OS is out
// of memory. The caller becomes its owner.
Page* page_alloc(bool medium);
// The owner gives back an empty page (every block returned).
void page_free(Page* page);
// Decommits free pages idle for at least delay_ns (all free pages when force).
void page_purge(uint64_t now_ns, uint64_t delay_ns, bool force);

// Large objects: one mapping each, returned to the OS on free.
void* large_alloc(size_t size, size_t alignment);
void large_free(Segment* segment);
size_t large_usable_size(const Segment* segment, const void* p);

// Gauge helpers shared with large objects.
void committed_add(uint64_t bytes);
void committed_sub(uint64_t bytes);

void page_allocator_fork_prepare();
void page_allocator_fork_parent();
void page_allocator_fork_child();

}  // namespace hakmem
