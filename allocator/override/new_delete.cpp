// Every replaceable form of operator new and delete (plain, array, nothrow, sized, aligned),
// served by hakmem. Failure follows the standard: call the new_handler until it gives up,
// then throw std::bad_alloc (nothrow forms return nullptr instead).
#include <cstddef>
#include <new>

#include "export.hpp"
#include "hakmem/hakmem.h"

namespace {

inline void* try_alloc(std::size_t size, std::size_t alignment) {
  return alignment == 0 ? hak_malloc(size) : hak_aligned_alloc(alignment, size);
}

[[gnu::noinline]] void* alloc_retry(std::size_t size, std::size_t alignment) {
  for (;;) {
    if (void* p = try_alloc(size, alignment)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

[[gnu::noinline]] void* alloc_retry_nothrow(std::size_t size, std::size_t alignment) noexcept {
  try {
    return alloc_retry(size, alignment);
  } catch (...) {
    return nullptr;
  }
}

inline void* alloc(std::size_t size) {
  void* p = hak_malloc(size);
  return __builtin_expect(p != nullptr, 1) ? p : alloc_retry(size, 0);
}

inline void* alloc_nothrow(std::size_t size) noexcept {
  void* p = hak_malloc(size);
  return __builtin_expect(p != nullptr, 1) ? p : alloc_retry_nothrow(size, 0);
}

inline void* alloc_aligned(std::size_t size, std::align_val_t al) {
  auto alignment = static_cast<std::size_t>(al);
  void* p = hak_aligned_alloc(alignment, size);
  return __builtin_expect(p != nullptr, 1) ? p : alloc_retry(size, alignment);
}

inline void* alloc_aligned_nothrow(std::size_t size, std::align_val_t al) noexcept {
  auto alignment = static_cast<std::size_t>(al);
  void* p = hak_aligned_alloc(alignment, size);
  return __builtin_expect(p != nullptr, 1) ? p : alloc_retry_nothrow(size, alignment);
}

}  // namespace

using std::align_val_t;
using std::nothrow_t;
using std::size_t;

HAK_EXPORT void* operator new(size_t n) {
  return alloc(n);
}
HAK_EXPORT void* operator new[](size_t n) {
  return alloc(n);
}
HAK_EXPORT void* operator new(size_t n, const nothrow_t&) noexcept {
  return alloc_nothrow(n);
}
HAK_EXPORT void* operator new[](size_t n, const nothrow_t&) noexcept {
  return alloc_nothrow(n);
}
HAK_EXPORT void* operator new(size_t n, align_val_t al) {
  return alloc_aligned(n, al);
}
HAK_EXPORT void* operator new[](size_t n, align_val_t al) {
  return alloc_aligned(n, al);
}
HAK_EXPORT void* operator new(size_t n, align_val_t al, const nothrow_t&) noexcept {
  return alloc_aligned_nothrow(n, al);
}
HAK_EXPORT void* operator new[](size_t n, align_val_t al, const nothrow_t&) noexcept {
  return alloc_aligned_nothrow(n, al);
}

// hakmem finds a block's size and alignment from its address: the hints are not needed.
HAK_EXPORT void operator delete(void* p) noexcept {
  hak_free(p);
}
HAK_EXPORT void operator delete[](void* p) noexcept {
  hak_free(p);
}
HAK_EXPORT void operator delete(void* p, const nothrow_t&) noexcept {
  hak_free(p);
}
HAK_EXPORT void operator delete[](void* p, const nothrow_t&) noexcept {
  hak_free(p);
}
HAK_EXPORT void operator delete(void* p, size_t) noexcept {
  hak_free(p);
}
HAK_EXPORT void operator delete[](void* p, size_t) noexcept {
  hak_free(p);
}
HAK_EXPORT void operator delete(void* p, align_val_t) noexcept {
  hak_free(p);
}
HAK_EXPORT void operator delete[](void* p, align_val_t) noexcept {
  hak_free(p);
}
HAK_EXPORT void operator delete(void* p, align_val_t, const nothrow_t&) noexcept {
  hak_free(p);
}
HAK_EXPORT void operator delete[](void* p, align_val_t, const nothrow_t&) noexcept {
  hak_free(p);
}
HAK_EXPORT void operator delete(void* p, size_t, align_val_t) noexcept {
  hak_free(p);
}
HAK_EXPORT void operator delete[](void* p, size_t, align_val_t) noexcept {
  hak_free(p);
}
