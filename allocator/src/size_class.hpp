// Size classes: 16-byte steps to 128 bytes, then four classes per power of two to 128 KiB
// (at most 25% internal waste, 12.5% on average). Fewer classes mean fewer active pages per
// thread, so each page gets more of the thread's frees back while they are still in cache
// (Larson ran faster in less memory than with 16-byte steps to 512 B). Every
// power of two from 16 to 128 KiB is a class, which is what aligned allocation relies on.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "config.hpp"

namespace hakmem {

inline constexpr size_t kStepClasses = 8;  // 16 .. 128 by 16
inline constexpr size_t kClassCount = 48;  // then 160 .. 131072, four per power of two

constexpr size_t class_to_size_slow(size_t cls) {
  if (cls < kStepClasses) return (cls + 1) * 16;
  size_t k = cls - kStepClasses;  // 0..39
  size_t pow = size_t{128} << (k / 4);
  return pow + (k % 4 + 1) * (pow / 4);
}

inline constexpr auto kClassSizes = [] {
  std::array<uint32_t, kClassCount> sizes{};
  for (size_t i = 0; i < kClassCount; ++i) sizes[i] = static_cast<uint32_t>(class_to_size_slow(i));
  return sizes;
}();

static_assert(kClassSizes[kClassCount - 1] == kMaxClassSize);
static_assert(kClassSizes[kStepClasses - 1] == 128 && kClassSizes[kStepClasses] == 160);

HAK_INLINE size_t class_size(size_t cls) {
  return kClassSizes[cls];
}

// size must be <= kMaxClassSize. Size 0 maps to the smallest class.
HAK_INLINE size_t size_to_class(size_t size) {
  if (HAK_LIKELY(size <= 128)) return size == 0 ? 0 : (size - 1) >> 4;
  size_t s = size - 1;
  unsigned bit = 63u - static_cast<unsigned>(__builtin_clzll(s));  // >= 7
  return kStepClasses + (bit - 7) * 4 + ((s >> (bit - 2)) & 3);
}

// Sizes up to kDirectMaxSize reach their class's active page through one table slot per
// 16 bytes (slot = (size + 15) / 16): no class computation on the commonest mallocs.
inline constexpr size_t kDirectMaxSize = 1024;
inline constexpr size_t kDirectSlots = kDirectMaxSize / 16 + 1;
HAK_INLINE size_t direct_slot(size_t size) {
  return (size + 15) >> 4;
}

HAK_INLINE bool class_uses_small_pages(size_t cls) {
  return class_size(cls) <= kMaxSmallPageBlock;
}

}  // namespace hakmem
