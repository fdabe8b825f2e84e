// The C API: size dispatch (size classes vs. large mappings), errno conventions, realloc and
// aligned allocation on top of the heap's fast paths.
#include <atomic>
#include <cerrno>
#include <cstring>

#include "hakmem/hakmem.h"
#include "large.hpp"
#include "options.hpp"
#include "os.hpp"
#include "ownership.hpp"
#include "page_allocator.hpp"

namespace hakmem {
Heap g_fallback_heap;
}  // namespace hakmem

using namespace hakmem;

namespace {

// *dirty (when given) is set when the memory may hold old contents.
HAK_NOINLINE void* alloc_large(size_t size, size_t alignment, bool* dirty = nullptr) {
  Heap* heap = this_heap();
  bool was_used = false;
  void* p = size <= PTRDIFF_MAX ? large_alloc(size, alignment, &was_used) : nullptr;
  if (p == nullptr || heap == nullptr) {
    if (p != nullptr) large_free(segment_of(p), p);
    errno = ENOMEM;
    return nullptr;
  }
  if (dirty != nullptr) *dirty = was_used;
  heap->counters.add(kCtr_large_allocs);
  heap->counters.add(kCtr_large_alloc_bytes, large_usable_size(segment_of(p), p));
  // Sampling sums every heap's counters: affordable next to a lock, but not on each one.
  static std::atomic<uint32_t> large_allocs{0};
  if ((large_allocs.fetch_add(1, std::memory_order_relaxed) & 63) == 0) sample_in_use();
  return p;
}

// The calling thread's heap serves it through `alloc` (by class or, up to 1 KiB, by size).
template <void* (Heap::*alloc)(size_t)>
HAK_INLINE void* alloc_on_heap(size_t arg) {
  Heap* heap = this_heap();
  void* p = HAK_LIKELY(heap != nullptr) ? (heap->*alloc)(arg) : nullptr;
  if (HAK_UNLIKELY(p == nullptr)) errno = ENOMEM;
  return p;
}

HAK_INLINE void* alloc_class(size_t cls) {
  return alloc_on_heap<&Heap::alloc>(cls);
}

}  // namespace

extern "C" {

void* hak_malloc(size_t size) {
  if (HAK_LIKELY(size <= kDirectMaxSize)) return alloc_on_heap<&Heap::alloc_direct>(size);
  if (HAK_LIKELY(size <= kMaxClassSize)) return alloc_class(size_to_class(size));
  return alloc_large(size, 16);
}

void hak_free(void* p) {
  if (HAK_UNLIKELY(p == nullptr)) return;
  Segment* segment = segment_of(p);
  HAK_ASSERT(segment->magic == kSegmentMagic);
  Page* page = segment->page_of(p);  // large objects: pages[0], in state kLargeObject
  free_block(page, static_cast<Block*>(p));
}

void* hak_calloc(size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  if (total > kMaxClassSize) {
    // Fresh or decommitted slots already read as zero; only reused ones need clearing.
    bool dirty = false;
    void* p = alloc_large(total, 16, &dirty);
    if (p != nullptr && dirty) memset(p, 0, total);
    return p;
  }
  void* p = hak_malloc(total);
  if (p != nullptr) memset(p, 0, total);
  return p;
}

size_t hak_usable_size(const void* p) {
  if (p == nullptr) return 0;
  Segment* segment = segment_of(p);
  if (is_large_segment(segment)) return large_usable_size(segment, p);
  return segment->page_of(p)->block_size;
}

void* hak_realloc(void* p, size_t size) {
  if (p == nullptr) return hak_malloc(size);
  if (size == 0) {
    hak_free(p);
    return nullptr;
  }
  size_t usable = hak_usable_size(p);
  // Stay in place while the block fits and is not more than twice too big.
  if (size <= usable && size >= usable / 2) return p;
  void* q = hak_malloc(size);
  if (q == nullptr) return nullptr;
  memcpy(q, p, size < usable ? size : usable);
  hak_free(p);
  return q;
}

void* hak_aligned_alloc(size_t alignment, size_t size) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    errno = EINVAL;
    return nullptr;
  }
  if (alignment <= 16) return hak_malloc(size);
  if (size > PTRDIFF_MAX) {
    errno = ENOMEM;
    return nullptr;
  }
  if (alignment <= kMaxClassSize) {
    // Pages start page-aligned, so every block of a class whose size is a multiple of the
    // alignment is aligned; powers of two are always classes.
    size_t want = align_up(size == 0 ? 1 : size, alignment);
    if (want <= kMaxClassSize) {
      size_t cls = size_to_class(want);
      if (class_size(cls) % alignment != 0) {
        size_t pow2 = size_t{1} << (64 - __builtin_clzll(want - 1));
        if (pow2 > kMaxClassSize) return alloc_large(size, alignment);
        cls = size_to_class(pow2);
      }
      return alloc_class(cls);
    }
  }
  return alloc_large(size, alignment);
}

void hak_collect(int force) {
  if (Heap* heap = t_heap) {
    heap->flush_remote();
    sweep_below_threshold(heap);
  }
  uint64_t now = os::now_ns();
  Purge how = force != 0 ? Purge::kAll : Purge::kExpired;
  page_purge(now, how);
  large_purge(now, how);
}

}  // extern "C"
