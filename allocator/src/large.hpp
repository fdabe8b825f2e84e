// Large objects: everything above the largest size class. They have no owner (any thread
// frees them directly), so one lock guards them; they are rare next to class allocations.
//
// Up to kMaxSpanSize an object takes a span of contiguous 64 KiB slots in a shared span
// segment: freed spans are reused before anything is mapped, their memory is decommitted
// only after the purge delay, and one mapping holds up to 63 objects, so the process stays
// far from the kernel's mapping limit however many large objects are alive. Past that size
// an object is a huge segment of its own (mapping it costs little next to touching it).
#pragma once

#include <cstddef>
#include <cstdint>

#include "page_allocator.hpp"
#include "segment.hpp"

namespace hakmem {

// nullptr when the OS refuses memory. *dirty is false when the memory reads as zero.
void* large_alloc(size_t size, size_t alignment, bool* dirty);
// p is the object's address; segment is segment_of(p) and is_large_segment(segment).
void large_free(Segment* segment, void* p);
size_t large_usable_size(const Segment* segment, const void* p);
// Decommits free slots idle for the purge delay (see Purge); returns the bytes decommitted.
uint64_t large_purge(uint64_t now_ns, Purge how);
// When the next free slot's delay runs out (0: none is waiting).
uint64_t large_purge_due_ns();

void large_fork_prepare();
void large_fork_parent();
void large_fork_child();

}  // namespace hakmem
