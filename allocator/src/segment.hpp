// Segments: aligned OS reservations carved into pages of one size (small or medium), into
// spans of 64 KiB slots for large objects, or holding one huge object. Masking a pointer finds the
// segment; a shift finds the page, so there is no per-object header and no lookup table.
#pragma once

#include <atomic>
#include <cstdint>

#include "config.hpp"
#include "page.hpp"

namespace hakmem {

enum class SegmentKind : uint8_t { kSmallPages = 0, kMediumPages = 1, kSpans = 2, kHuge = 3 };
inline constexpr uint32_t kSegmentMagic = 0x48414b4d;                               // "HAKM"
inline constexpr size_t kSmallPagesPerSegment = kSegmentSize >> kSmallPageShift;    // 64
inline constexpr size_t kMediumPagesPerSegment = kSegmentSize >> kMediumPageShift;  // 8

struct Segment {
  // Read on every free: kept apart from the fields the page allocator writes.
  uint32_t magic;
  SegmentKind kind;
  uint8_t page_shift;
  uint16_t page_count;  // including page 0, which holds this header
  size_t mapping_size;  // bytes mapped from this header on
  void* huge_block;     // huge segments: the object
  // Page allocator bookkeeping (under its lock).
  alignas(64) uint32_t pages_in_use;
  // Span segments (under the large-object lock): one bit per slot, slot 0 being the header.
  uint64_t slots_used;
  uint64_t slots_committed;  // backed: used, or freed and not purged yet
  Segment* span_next;        // list of span segments with a free slot
  Segment* span_prev;
  // Page segments: the page allocator's list of them, for sweeps (under its lock).
  Segment* seg_next;
  Segment* seg_prev;
  // Pages (one bit each) that took remote frees while detached, below notify_threshold:
  // the sweep looks at these only (ownership.cpp). A stale bit is harmless.
  std::atomic<uint64_t> below_threshold;
  Page pages[1];  // page_count entries for page segments

  HAK_INLINE Page* page_of(const void* p) {
    size_t index =
        (reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(this)) >> page_shift;
    return &pages[index];
  }
  HAK_INLINE uint8_t* page_start(const Page* page) {
    return reinterpret_cast<uint8_t*>(this) + (static_cast<size_t>(page - pages) << page_shift);
  }
  HAK_INLINE size_t page_size() const { return size_t{1} << page_shift; }
};

// The object pointer is never the segment start (page 0 holds the header; large objects sit
// after theirs), so p - 1 always lands in p's own segment, even for a block of a large object
// that starts exactly one segment after its header.
HAK_INLINE Segment* segment_of(const void* p) {
  return reinterpret_cast<Segment*>((reinterpret_cast<uintptr_t>(p) - 1) & ~kSegmentMask);
}

// Bytes of page 0 that the header and its page descriptors really use (and commit).
HAK_INLINE size_t segment_header_size(size_t page_count) {
  return align_up(sizeof(Segment) + (page_count - 1) * sizeof(Page), kOsPageSize);
}

HAK_INLINE bool is_large_segment(const Segment* segment) {
  return segment->kind >= SegmentKind::kSpans;
}

}  // namespace hakmem
