// std::pmr adapter: lets any pmr container allocate from hakmem.
#pragma once

#include <memory_resource>
#include <new>

#include "hakmem/hakmem.h"

namespace hakmem {

class MemoryResource final : public std::pmr::memory_resource {
 private:
  void* do_allocate(size_t bytes, size_t alignment) override {
    void* p = hak_aligned_alloc(alignment, bytes);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  void do_deallocate(void* p, size_t, size_t) override { hak_free(p); }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return dynamic_cast<const MemoryResource*>(&other) != nullptr;
  }
};

// One process-wide instance (stateless, so any two compare equal).
inline MemoryResource* memory_resource() {
  static MemoryResource resource;
  return &resource;
}

}  // namespace hakmem
