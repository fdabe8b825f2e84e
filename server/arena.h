// The arena: where the server's objects come from: requests, argument buffers and replies, and
// the memory store's keys, values and table nodes. One small interface so an allocator is swapped
// with a flag; adding a new one is one arena_<name>.cpp plus a line in arena.cpp's registry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hakmem::server {

// Allocator-wide numbers an arena can report (INFO memory, admin); 0/empty when unknown.
struct ArenaReport {
  std::string allocator;         // "hakmem", "system", ...
  std::string route;             // hakmem route name, empty for others
  uint64_t bytes_in_use = 0;     // live bytes according to the allocator itself (process-wide)
  uint64_t bytes_committed = 0;  // bytes the allocator holds from the OS, when it knows
  double page_reuse_rate = -1;   // hakmem only; < 0 when not applicable
  uint64_t remote_frees = 0;     // cross-thread frees the allocator saw (hakmem only)
};

// What the server itself counted through this interface (all arenas, process-wide).
struct ArenaCounters {
  uint64_t allocations = 0;
  uint64_t frees = 0;
  uint64_t cross_thread_frees = 0;  // freed by a thread other than the one that allocated
  uint64_t bytes_in_use = 0;        // requested bytes of live server objects
};

// Small dense id of the calling thread (from 1); stored in objects so a free knows if it crosses
// threads.
uint32_t this_thread_tag();
// Owner of blocks whose allocating thread is not recorded (hash table nodes): their frees are
// counted, but never as cross-thread.
constexpr uint32_t kUnknownOwner = 0;

class Arena {
 public:
  virtual ~Arena() = default;
  virtual const char* name() const = 0;

  // Raw, uncounted entry points (also used by RocksDB's block cache). nullptr on failure.
  virtual void* raw_allocate(size_t size) noexcept = 0;
  virtual void raw_deallocate(void* p) noexcept = 0;
  virtual size_t raw_usable_size(void* p) const noexcept = 0;
  virtual ArenaReport report() const;
  // True when RocksDB's block cache should allocate through this arena as well.
  virtual bool serves_block_cache() const { return false; }

  // Counted entry points for server objects. allocate throws std::bad_alloc on failure.
  void* allocate(size_t size);
  // owner_tag: this_thread_tag() of the allocating thread, or kUnknownOwner.
  void deallocate(void* p, size_t size, uint32_t owner_tag) noexcept;
};

// Counters summed over every thread (cheap per-thread slots, no shared cache line on the hot path).
ArenaCounters arena_counters();

struct ArenaOptions {
  std::string route = "S";  // hakmem only: S, P, CDA or A
};

// Names compiled into this binary, default first.
std::vector<std::string> arena_names();
std::string default_arena_name();
// Throws std::invalid_argument with a one-line message for an unknown name or bad option.
std::unique_ptr<Arena> make_arena(std::string_view name, const ArenaOptions& options);
// Validates a route name (S, P, CDA, A; any case) without needing the allocator.
bool is_valid_route(std::string_view route);

// One factory per implementation (arena_<name>.cpp).
std::unique_ptr<Arena> make_system_arena(const ArenaOptions& options);
#ifdef HAKMEM_SERVER_WITH_HAKMEM
std::unique_ptr<Arena> make_hakmem_arena(const ArenaOptions& options);
#endif
// arena_peers.cpp: jemalloc, mimalloc, tcmalloc; nullptr for another name.
std::vector<std::string> peer_arena_names();
std::unique_ptr<Arena> make_peer_arena(std::string_view name, const ArenaOptions& options);

}  // namespace hakmem::server
