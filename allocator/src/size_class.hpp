// Size classes: tiny (<= 1 KiB) in 16-byte steps to 512 and 64-byte steps to 1 KiB, mid
// (1-32 KiB) four classes per power of two. Every power of two from 16 to 32 KiB is a class,
// which is what aligned allocation relies on.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "config.hpp"

namespace hakmem {

inline constexpr size_t kTinyStepClasses = 32;  // 16 .. 512 by 16
inline constexpr size_t kTinyClasses = 40;      // then 576 .. 1024 by 64
inline constexpr size_t kClassCount = 60;       // then 1280 .. 32768, four per power of two

constexpr size_t class_to_size_slow(size_t cls) {
  if (cls < kTinyStepClasses) return (cls + 1) * 16;
  if (cls < kTinyClasses) return 512 + (cls - kTinyStepClasses + 1) * 64;
  size_t k = cls - kTinyClasses;  // 0..19
  size_t pow = size_t{1024} << (k / 4);
  return pow + (k % 4 + 1) * (pow / 4);
}

inline constexpr auto kClassSizes = [] {
  std::array<uint32_t, kClassCount> sizes{};
  for (size_t i = 0; i < kClassCount; ++i) sizes[i] = static_cast<uint32_t>(class_to_size_slow(i));
  return sizes;
}();

static_assert(kClassSizes[kClassCount - 1] == kMaxClassSize);
static_assert(kClassSizes[kTinyClasses - 1] == 1024);

HAK_INLINE size_t class_size(size_t cls) {
  return kClassSizes[cls];
}

// size must be <= kMaxClassSize. Size 0 maps to the smallest class.
HAK_INLINE size_t size_to_class(size_t size) {
  if (HAK_LIKELY(size <= 512)) return size == 0 ? 0 : (size - 1) >> 4;
  if (size <= 1024) return kTinyStepClasses + ((size - 513) >> 6);
  size_t s = size - 1;
  unsigned bit = 63u - static_cast<unsigned>(__builtin_clzll(s));  // >= 10
  return kTinyClasses + (bit - 10) * 4 + ((s >> (bit - 2)) & 3);
}

HAK_INLINE bool class_uses_small_pages(size_t cls) {
  return class_size(cls) <= kMaxSmallPageBlock;
}

}  // namespace hakmem
