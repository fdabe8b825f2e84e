#include "allocator_background.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#ifdef HAKMEM_SERVER_WITH_HAKMEM
#include <hakmem/hakmem.h>
#endif

#include "memory_report.h"

namespace hakmem::server {
namespace {

std::string g_state = "none";

bool env_mentions(const char* var, const char* word) {
  const char* v = std::getenv(var);
  return v != nullptr && std::strstr(v, word) != nullptr;
}

using OptionSetFn = int (*)(const char*, int64_t, char*, size_t);
using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);

// Returns the state for a hakmem instance reached through `set`.
std::string set_hakmem(OptionSetFn set, const AllocatorBackgroundRequest& r) {
  if (!r.explicit_flag && std::getenv("HAKMEM_BACKGROUND") != nullptr) return "environment";
  char err[128] = "";
  return set("background", r.on ? 1 : 0, err, sizeof err) == 0 ? (r.on ? "on" : "off") : "none";
}

}  // namespace

std::string apply_allocator_background(const AllocatorBackgroundRequest& r) {
  std::string state = "none";
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
      if (!r.explicit_flag && (env_mentions("MALLOC_CONF", "background_thread") ||
                               env_mentions("JE_MALLOC_CONF", "background_thread"))) {
        state = "environment";
      } else {
        bool on = r.on;
        if (mallctl("background_thread", nullptr, nullptr, &on, sizeof on) == 0) {
          state = r.on ? "on" : "off";
        }
      }
    }
  }
  g_state = state;
  return state;
}

const std::string& allocator_background_state() {
  return g_state;
}

}  // namespace hakmem::server
