// hakmem: the allocator this project is about. Also serves RocksDB's block cache.
#include <hakmem/hakmem.h>

#include <stdexcept>
#include <string>

#include "arena.h"

namespace hakmem::server {
namespace {

class HakmemArena final : public Arena {
 public:
  const char* name() const override { return "hakmem"; }
  void* raw_allocate(size_t size) noexcept override { return hak_malloc(size); }
  void raw_deallocate(void* p) noexcept override { hak_free(p); }
  size_t raw_usable_size(void* p) const noexcept override { return hak_usable_size(p); }
  bool serves_block_cache() const override { return true; }

  ArenaReport report() const override {
    ArenaReport r;
    r.allocator = name();
    r.route = hak_route_name(hak_get_route());
    hak_counters c{};
    hak_counters_get(&c);
    r.bytes_in_use = c.bytes_in_use;
    r.bytes_committed = c.bytes_committed;
    r.page_reuse_rate = hak_page_reuse_rate(&c);
    r.remote_frees = c.frees_remote;
    return r;
  }
};

}  // namespace

std::unique_ptr<Arena> make_hakmem_arena(const ArenaOptions& options) {
  hak_route route{};
  if (hak_route_parse(options.route.c_str(), &route) != 0 || hak_set_route(route) != 0) {
    throw std::invalid_argument("unknown route '" + options.route + "' (expected S, P, CDA or A)");
  }
  return std::make_unique<HakmemArena>();
}

}  // namespace hakmem::server
