#include "arena.h"
#include "hakmem/route_names.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <mutex>
#include <new>
#include <stdexcept>

namespace hakmem::server {
namespace {

// One slot per thread, written only by its thread (load+store, no read-modify-write), read by
// anyone summing. Slots live forever so counts of exited threads are kept.
struct alignas(64) ThreadSlot {
  std::atomic<uint64_t> allocations{0};
  std::atomic<uint64_t> frees{0};
  std::atomic<uint64_t> cross_thread_frees{0};
  std::atomic<uint64_t> bytes_allocated{0};
  std::atomic<uint64_t> bytes_freed{0};
  uint32_t tag = 0;
};

std::mutex slots_mutex;
std::deque<ThreadSlot>& slots() {
  static std::deque<ThreadSlot>* all = new std::deque<ThreadSlot>();  // never destroyed
  return *all;
}

ThreadSlot& my_slot() {
  thread_local ThreadSlot* slot = [] {
    std::lock_guard lock(slots_mutex);
    auto& all = slots();
    all.emplace_back();
    all.back().tag = static_cast<uint32_t>(all.size());
    return &all.back();
  }();
  return *slot;
}

void bump(std::atomic<uint64_t>& counter, uint64_t by) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

}  // namespace

uint32_t this_thread_tag() {
  return my_slot().tag;
}

ArenaReport Arena::report() const {
  ArenaReport r;
  r.allocator = name();
  return r;
}

void* Arena::allocate(size_t size) {
  void* p = raw_allocate(size);
  if (p == nullptr) throw std::bad_alloc();
  ThreadSlot& slot = my_slot();
  bump(slot.allocations, 1);
  bump(slot.bytes_allocated, size);
  return p;
}

void Arena::deallocate(void* p, size_t size, uint32_t owner_tag) noexcept {
  if (p == nullptr) return;
  raw_deallocate(p);
  ThreadSlot& slot = my_slot();
  bump(slot.frees, 1);
  bump(slot.bytes_freed, size);
  if (owner_tag != kUnknownOwner && owner_tag != slot.tag) bump(slot.cross_thread_frees, 1);
}

ArenaCounters arena_counters() {
  ArenaCounters c;
  uint64_t allocated = 0, freed = 0;
  std::lock_guard lock(slots_mutex);
  for (const ThreadSlot& s : slots()) {
    c.allocations += s.allocations.load(std::memory_order_relaxed);
    c.frees += s.frees.load(std::memory_order_relaxed);
    c.cross_thread_frees += s.cross_thread_frees.load(std::memory_order_relaxed);
    allocated += s.bytes_allocated.load(std::memory_order_relaxed);
    freed += s.bytes_freed.load(std::memory_order_relaxed);
  }
  // Slots are read one by one, so a free may be seen before its allocation.
  c.bytes_in_use = allocated > freed ? allocated - freed : 0;
  return c;
}

std::vector<std::string> arena_names() {
#ifdef HAKMEM_SERVER_WITH_HAKMEM
  std::vector<std::string> names{"hakmem", "system"};
#else
  std::vector<std::string> names{"system"};
#endif
  for (auto& peer : peer_arena_names()) names.push_back(peer);
  return names;
}

std::string default_arena_name() {
  return arena_names().front();
}

bool is_valid_route(std::string_view route) {
  hak_route parsed;
  return hak_route_from_name(std::string(route).c_str(), &parsed) != 0;
}

std::unique_ptr<Arena> make_arena(std::string_view name, const ArenaOptions& options) {
  if (!is_valid_route(options.route)) {
    throw std::invalid_argument("unknown route '" + options.route + "' (expected S, P, CDA or A)");
  }
  if (name == "system") return make_system_arena(options);
#ifdef HAKMEM_SERVER_WITH_HAKMEM
  if (name == "hakmem") return make_hakmem_arena(options);
#endif
  if (auto peer = make_peer_arena(name, options)) return peer;
  std::string known;
  for (const auto& n : arena_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown arena '" + std::string(name) + "' (built with: " + known +
                              ")");
}

}  // namespace hakmem::server
