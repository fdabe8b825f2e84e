// The C library's malloc: the baseline every other arena is compared with.
#include <malloc.h>

#include <cstdlib>

#include "arena.h"

namespace hakmem::server {
namespace {

class SystemArena final : public Arena {
 public:
  const char* name() const override { return "system"; }
  void* raw_allocate(size_t size) noexcept override { return std::malloc(size); }
  void raw_deallocate(void* p) noexcept override { std::free(p); }
  size_t raw_usable_size(void* p) const noexcept override { return malloc_usable_size(p); }

  ArenaReport report() const override {
    ArenaReport r;
    r.allocator = name();
    struct mallinfo2 info = mallinfo2();
    r.bytes_in_use = info.uordblks + info.hblkhd;  // small chunks in use + mmapped chunks
    r.bytes_committed = info.arena + info.hblkhd;
    return r;
  }
};

}  // namespace

std::unique_ptr<Arena> make_system_arena(const ArenaOptions&) {
  return std::make_unique<SystemArena>();
}

}  // namespace hakmem::server
