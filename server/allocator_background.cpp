#include "allocator_background.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#ifdef HAKMEM_SERVER_WITH_HAKMEM
#include <hakmem/hakmem.h>
#endif

#include "memory_report.h"

namespace hakmem::server {
namespace {

// A literal: written once at start, read by INFO on other threads.
std::atomic<const char*> g_state{"none"};

// Without the flag, the environment's choice (if it made one) stands.
bool env_chose(const AllocatorBackgroundRequest& r, const char* var, const char* word) {
  const char* v = std::getenv(var);
  return !r.explicit_flag && v != nullptr && std::strstr(v, word) != nullptr;
}

const char* on_off(bool on) {
  return on ? "on" : "off";
}

using OptionSetFn = int (*)(const char*, int64_t, char*, size_t);
using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);

// Returns the state for a hakmem instance reached through `set`.
const char* set_hakmem(OptionSetFn set, const AllocatorBackgroundRequest& r) {
  if (env_chose(r, "HAKMEM_BACKGROUND", "")) return "environment";
  char err[128] = "";
  return set("background", r.on ? 1 : 0, err, sizeof err) == 0 ? on_off(r.on) : "none";
}

const char* set_jemalloc(MallctlFn mallctl, const AllocatorBackgroundRequest& r) {
  if (env_chose(r, "MALLOC_CONF", "background_thread") ||
      env_chose(r, "JE_MALLOC_CONF", "background_thread")) {
    return "environment";
  }
  bool on = r.on;
  return mallctl("background_thread", nullptr, nullptr, &on, sizeof on) == 0 ? on_off(r.on)
                                                                             : "none";
}

}  // namespace

const char* apply_allocator_background(const AllocatorBackgroundRequest& r) {
  const char* state = "none";
#ifdef HAKMEM_SERVER_WITH_HAKMEM
  if (r.arena_is_hakmem) state = set_hakmem(&hak_option_set, r);
#endif
  if (void* lib = process_malloc_library()) {
    if (auto set = reinterpret_cast<OptionSetFn>(dlsym(lib, "hak_option_set"))) {
#ifdef HAKMEM_SERVER_WITH_HAKMEM
      if (set == &hak_option_set) set = nullptr;  // the arena's instance, handled above
#endif
      if (set != nullptr) state = set_hakmem(set, r);
    } else if (auto mallctl = reinterpret_cast<MallctlFn>(dlsym(lib, "mallctl"))) {
      state = set_jemalloc(mallctl, r);
    }
  }
  g_state.store(state, std::memory_order_release);
  return state;
}

const char* allocator_background_state() {
  return g_state.load(std::memory_order_acquire);
}

}  // namespace hakmem::server
