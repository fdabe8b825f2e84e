// Peer allocators (jemalloc, mimalloc, tcmalloc) for side-by-side comparisons with hakmem.
//
// mimalloc and tcmalloc are dlopen'ed with RTLD_LOCAL and called through their own entry
// points (mi_malloc, tc_malloc), so neither replaces the process's malloc and RocksDB keeps
// using glibc, as it does under the system and hakmem arenas. jemalloc cannot be dlopen'ed
// (its initial-exec TLS does not fit the static TLS block), so `--arena jemalloc` means "the
// process's malloc, which must be jemalloc": start the server with
// LD_PRELOAD=libjemalloc.so.2; dlsym(RTLD_DEFAULT, "mallctl") verifies it. (jemalloc then also
// serves RocksDB and everything else in the process.) A peer that is missing is a start-up
// error naming it, never a silent fallback.
#include <dlfcn.h>
#include <malloc.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "arena.h"

namespace hakmem::server {
namespace {

using MallocFn = void* (*)(size_t);
using FreeFn = void (*)(void*);
using SizeFn = size_t (*)(void*);
using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);
using TcPropertyFn = int (*)(const char*, size_t*);
using MiProcessInfoFn = void (*)(size_t*, size_t*, size_t*, size_t*, size_t*, size_t*, size_t*,
                                 size_t*);

struct PeerFns {
  MallocFn malloc = nullptr;
  FreeFn free = nullptr;
  SizeFn usable_size = nullptr;
};

class PeerArena final : public Arena {
 public:
  PeerArena(const char* name, PeerFns fns, void* handle) : name_(name), fns_(fns), handle_(handle) {}

  const char* name() const override { return name_; }
  void* raw_allocate(size_t size) noexcept override { return fns_.malloc(size); }
  void raw_deallocate(void* p) noexcept override { fns_.free(p); }
  size_t raw_usable_size(void* p) const noexcept override { return fns_.usable_size(p); }

  ArenaReport report() const override {
    ArenaReport r;
    r.allocator = name_;
    const std::string name = name_;
    if (name == "jemalloc") jemalloc_report(&r);
    else if (name == "tcmalloc") tcmalloc_report(&r);
    else if (name == "mimalloc") mimalloc_report(&r);
    return r;
  }

 private:
  // jemalloc's statistics are refreshed by writing "epoch".
  static void jemalloc_report(ArenaReport* r) {
    auto mallctl = reinterpret_cast<MallctlFn>(dlsym(RTLD_DEFAULT, "mallctl"));
    if (mallctl == nullptr) return;
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    mallctl("epoch", &epoch, &len, &epoch, len);
    size_t value = 0;
    len = sizeof value;
    if (mallctl("stats.allocated", &value, &len, nullptr, 0) == 0) r->bytes_in_use = value;
    len = sizeof value;
    if (mallctl("stats.resident", &value, &len, nullptr, 0) == 0) r->bytes_committed = value;
  }

  void tcmalloc_report(ArenaReport* r) const {
    auto get = reinterpret_cast<TcPropertyFn>(dlsym(handle_, "MallocExtension_GetNumericProperty"));
    if (get == nullptr) return;
    size_t value = 0;
    if (get("generic.current_allocated_bytes", &value)) r->bytes_in_use = value;
    if (get("generic.heap_size", &value)) r->bytes_committed = value;
  }

  // mimalloc has no cheap "bytes in use"; it reports what it has committed.
  void mimalloc_report(ArenaReport* r) const {
    auto info = reinterpret_cast<MiProcessInfoFn>(dlsym(handle_, "mi_process_info"));
    if (info == nullptr) return;
    size_t elapsed, user, sys, rss, peak_rss, commit = 0, peak_commit, faults;
    info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
    r->bytes_committed = commit;
  }

  const char* name_;
  PeerFns fns_;
  void* handle_;  // dlopen handle (never closed: blocks may outlive the arena), or null
};

std::unique_ptr<Arena> make_jemalloc() {
  if (dlsym(RTLD_DEFAULT, "mallctl") == nullptr) {
    throw std::invalid_argument(
        "--arena jemalloc needs jemalloc as the process's malloc: start with "
        "LD_PRELOAD=libjemalloc.so.2 (jemalloc cannot be dlopen'ed)");
  }
  PeerFns fns{std::malloc, std::free, malloc_usable_size};
  return std::make_unique<PeerArena>("jemalloc", fns, nullptr);
}

std::unique_ptr<Arena> make_dlopened(const char* name, const char* soname, const char* m,
                                     const char* f, const char* size) {
  void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    throw std::invalid_argument(std::string(name) + " is not installed here (" + dlerror() + ")");
  }
  PeerFns fns{reinterpret_cast<MallocFn>(dlsym(handle, m)), reinterpret_cast<FreeFn>(dlsym(handle, f)),
              reinterpret_cast<SizeFn>(dlsym(handle, size))};
  if (fns.malloc == nullptr || fns.free == nullptr || fns.usable_size == nullptr) {
    throw std::invalid_argument(std::string(soname) + " lacks " + m + "/" + f + "/" + size);
  }
  return std::make_unique<PeerArena>(name, fns, handle);
}

}  // namespace

std::vector<std::string> peer_arena_names() {
  return {"jemalloc", "mimalloc", "tcmalloc"};
}

std::unique_ptr<Arena> make_peer_arena(std::string_view name, const ArenaOptions&) {
  if (name == "jemalloc") return make_jemalloc();
  if (name == "mimalloc") {
    return make_dlopened("mimalloc", "libmimalloc.so.2", "mi_malloc", "mi_free", "mi_usable_size");
  }
  if (name == "tcmalloc") {
    return make_dlopened("tcmalloc", "libtcmalloc_minimal.so.4", "tc_malloc", "tc_free",
                         "tc_malloc_size");
  }
  return nullptr;
}

}  // namespace hakmem::server
