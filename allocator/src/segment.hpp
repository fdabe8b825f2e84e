// Segments: aligned OS reservations carved into pages of one size (small or medium), or
// holding one large object. Masking a pointer finds the segment; a shift finds the page, so
// there is no per-object header and no lookup table.
#pragma once

#include <cstdint>

#include "config.hpp"
#include "page.hpp"

namespace hakmem {

enum class SegmentKind : uint8_t { kSmallPages = 0, kMediumPages = 1, kLarge = 2 };
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
  void* large_block;    // large segments: the object
  // Page allocator bookkeeping (under its lock).
  alignas(64) uint32_t pages_in_use;
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

}  // namespace hakmem
