// Compile-time constants and the small macros every allocator file uses.
#pragma once

#include <cstddef>
#include <cstdint>

#define HAK_LIKELY(x) __builtin_expect(!!(x), 1)
#define HAK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HAK_NOINLINE __attribute__((noinline))
#define HAK_INLINE inline __attribute__((always_inline))

// Internal asserts are on in non-Release builds (and the sanitizer builds); they cost nothing
// in Release. They never allocate: a failed assert writes one line and aborts.
#if !defined(NDEBUG) || defined(HAKMEM_DEBUG)
#define HAK_ASSERT(cond) \
  (HAK_LIKELY(cond) ? (void)0 : ::hakmem::assert_fail(#cond, __FILE__, __LINE__))
#else
#define HAK_ASSERT(cond) ((void)0)
#endif

namespace hakmem {

[[noreturn]] void assert_fail(const char* cond, const char* file, int line);

// A segment is an aligned OS reservation; masking any interior pointer finds its header.
inline constexpr size_t kSegmentShift = 22;  // 4 MiB
inline constexpr size_t kSegmentSize = size_t{1} << kSegmentShift;
inline constexpr uintptr_t kSegmentMask = kSegmentSize - 1;

// Small pages keep tiny objects dense; medium pages give mid classes at least 16 blocks.
inline constexpr size_t kSmallPageShift = 16;   // 64 KiB
inline constexpr size_t kMediumPageShift = 19;  // 512 KiB
inline constexpr size_t kMaxSmallPageBlock = 8192;
// Above: large objects (large.cpp). Classes go this far so that the objects servers hand
// between threads most (buffers of tens of KiB) take the heap's cross-thread path, not a lock.
inline constexpr size_t kMaxClassSize = 131072;

// Large objects take spans of 64 KiB slots in shared segments (slot 0 holds the header), so
// one mapping holds many of them; only objects past kMaxSpanSize get a mapping of their own.
inline constexpr size_t kSlotShift = 16;
inline constexpr size_t kSlotSize = size_t{1} << kSlotShift;
inline constexpr size_t kSlotsPerSegment = kSegmentSize >> kSlotShift;  // 64: one mask word
inline constexpr size_t kMaxSpanSize = (kSlotsPerSegment - 1) * kSlotSize;

// Heaps with an index take part in the ready masks. Heaps are pooled, so this bounds the
// threads alive at once, not the threads ever made, and it is Linux's PID_MAX_LIMIT: no
// process can have more threads alive, so every heap gets an index. The masks and the heap
// table are sized for it in zeroed static memory (57 MiB of address space, none of it backed
// until used): only the words of heaps that exist are ever touched, and the searches scan
// only those.
inline constexpr uint32_t kMaxIndexedHeaps = uint32_t{1} << 22;
inline constexpr uint32_t kNoHeapIndex = ~uint32_t{0};

inline constexpr size_t kOsPageSize = 4096;

constexpr size_t align_up(size_t n, size_t a) {
  return (n + a - 1) & ~(a - 1);
}

}  // namespace hakmem
