// The C allocation functions of glibc, served by hakmem. hakmem is in place from the first
// allocation of the process (LD_PRELOAD puts this library ahead of libc), so there is no
// "real" malloc to fall back to and no dlsym: every pointer free() sees is ours.
//
// glibc behaviour kept: errno on failure, free(NULL) a no-op, realloc(p, 0) frees and returns
// NULL, posix_memalign reports through its return value and leaves errno alone, memalign
// rounds an alignment that is not a power of two up to the next one (glibc 2.36), while
// aligned_alloc rejects it with EINVAL (C17, glibc >= 2.38, hak_aligned_alloc).
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "export.hpp"
#include "hakmem/hakmem.h"

namespace {

inline bool is_power_of_two(size_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

// hakmem serves any power-of-two alignment; hak_malloc already gives 16 bytes.
inline void* memalign_glibc(size_t alignment, size_t size) {
  if (alignment <= 16) return hak_malloc(size);
  if (alignment > SIZE_MAX / 2 + 1) {
    errno = EINVAL;
    return nullptr;
  }
  if (!is_power_of_two(alignment)) alignment = size_t{1} << (64 - __builtin_clzll(alignment));
  return hak_aligned_alloc(alignment, size);
}

// From the auxiliary vector: no allocation, safe before libc is initialised.
inline size_t page_size() {
  return static_cast<size_t>(getpagesize());
}

}  // namespace

extern "C" {

HAK_EXPORT void* malloc(size_t size) noexcept {
  return hak_malloc(size);
}

HAK_EXPORT void free(void* p) noexcept {
  hak_free(p);
}

HAK_EXPORT void* calloc(size_t count, size_t size) noexcept {
  return hak_calloc(count, size);
}

HAK_EXPORT void* realloc(void* p, size_t size) noexcept {
  return hak_realloc(p, size);
}

HAK_EXPORT void* reallocarray(void* p, size_t count, size_t size) noexcept {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return hak_realloc(p, total);
}

HAK_EXPORT int posix_memalign(void** out, size_t alignment, size_t size) noexcept {
  if (alignment == 0 || alignment % sizeof(void*) != 0 ||
      !is_power_of_two(alignment / sizeof(void*))) {
    return EINVAL;
  }
  int saved = errno;
  void* p = hak_aligned_alloc(alignment, size);
  errno = saved;
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

HAK_EXPORT void* aligned_alloc(size_t alignment, size_t size) noexcept {
  return hak_aligned_alloc(alignment, size);
}

HAK_EXPORT void* memalign(size_t alignment, size_t size) noexcept {
  return memalign_glibc(alignment, size);
}

HAK_EXPORT void* valloc(size_t size) noexcept {
  return hak_aligned_alloc(page_size(), size);
}

HAK_EXPORT void* pvalloc(size_t size) noexcept {
  size_t page = page_size();
  size_t rounded;
  if (__builtin_add_overflow(size, page - 1, &rounded)) {
    errno = ENOMEM;
    return nullptr;
  }
  rounded &= ~(page - 1);
  return hak_aligned_alloc(page, rounded == 0 ? page : rounded);
}

HAK_EXPORT size_t malloc_usable_size(void* p) noexcept {
  return hak_usable_size(p);
}

// Removed from glibc's API in 2.26 but still exported (as a compatibility symbol) for old
// binaries: it must not reach glibc's free with a hakmem pointer.
HAK_EXPORT void cfree(void* p) noexcept {
  hak_free(p);
}

// C23: the size and alignment are hints; hakmem finds both from the pointer.
HAK_EXPORT void free_sized(void* p, size_t) noexcept {
  hak_free(p);
}
HAK_EXPORT void free_aligned_sized(void* p, size_t, size_t) noexcept {
  hak_free(p);
}

// glibc exports its implementation under these names too; a program or library that calls
// them directly must still get hakmem, or its pointers would reach hak_free.
HAK_EXPORT void* __libc_malloc(size_t size) noexcept {
  return hak_malloc(size);
}
HAK_EXPORT void __libc_free(void* p) noexcept {
  hak_free(p);
}
HAK_EXPORT void* __libc_calloc(size_t count, size_t size) noexcept {
  return hak_calloc(count, size);
}
HAK_EXPORT void* __libc_realloc(void* p, size_t size) noexcept {
  return hak_realloc(p, size);
}
HAK_EXPORT void* __libc_memalign(size_t alignment, size_t size) noexcept {
  return memalign_glibc(alignment, size);
}
HAK_EXPORT void* __libc_valloc(size_t size) noexcept {
  return valloc(size);
}
HAK_EXPORT void* __libc_pvalloc(size_t size) noexcept {
  return pvalloc(size);
}

}  // extern "C"
