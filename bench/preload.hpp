// Which allocator serves this process's malloc. Every allocator is measured as a user runs it:
// in its own process, preloaded with LD_PRELOAD (hakmem as build/lib/libhakmem.so, the peers
// as Debian's shared libraries), with the workload calling plain malloc and free; "system" is
// glibc with nothing preloaded. hakmem-bench does not link hakmem: its counters and route are
// read from the preloaded libhakmem.so, the instance that serves malloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hakmem/hakmem.h"

namespace hakmem::bench {

// hakmem, system, jemalloc, mimalloc, tcmalloc. Wherever an allocator is named, hakmem=PATH
// also names hakmem built elsewhere (PATH: that build's libhakmem.so), so that two builds can
// be compared side by side under the same conditions.
std::vector<std::string> alloc_names();
// hakmem, or hakmem=PATH.
bool is_hakmem_alloc(const std::string& alloc);
// The allocators whose library is present here; a note per missing one goes to *skipped.
std::vector<std::string> available_alloc_names(std::vector<std::string>* skipped);
// "S", "P", "CDA" or "A" from any case; "" for anything else.
std::string canonical_route(const std::string& text);

// Prepares this process's environment so that exec'ing this binary runs on `alloc`:
// LD_PRELOAD (removed for system), HAKMEM_ROUTE when `route` is not empty, and a marker the
// exec'd process checks. false and a one-line reason when `alloc` is unknown or missing.
bool set_alloc_env(const std::string& alloc, const std::string& route, std::string* why);
// True in a process set up by set_alloc_env for `alloc`.
bool alloc_env_is(const std::string& alloc);
// Checks that `alloc` really serves malloc here (its marker symbol is present and malloc is
// defined by its library); false and a one-line reason otherwise.
bool alloc_serves_malloc(const std::string& alloc, std::string* why);

// The hak_* API of the preloaded libhakmem.so.
struct HakmemApi {
  void (*counters_get)(hak_counters*);
  const char* (*counter_name)(size_t);
  uint64_t (*counter_value)(const hak_counters*, size_t);
  double (*page_reuse_rate)(const hak_counters*);
  hak_route (*get_route)();
  const char* (*route_name)(hak_route);
  int (*option_get)(const char*, int64_t*);
  int (*option_set)(const char*, int64_t, char*, size_t);
};
// nullptr unless libhakmem.so serves malloc in this process.
const HakmemApi* preloaded_hakmem();

}  // namespace hakmem::bench
