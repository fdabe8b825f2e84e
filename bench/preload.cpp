#include "preload.hpp"
#include "hakmem/route_names.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace hakmem::bench {

namespace {

// Set by set_alloc_env: the allocator the exec'd process is meant to run on.
constexpr const char* kMarkerEnv = "HAKMEM_BENCH_PRELOADED";

struct Alloc {
  const char* name;
  const char* library;  // "" for system; hakmem's is found beside this binary
  const char* marker;   // a symbol only this allocator defines
};

constexpr Alloc kAllocs[] = {
    {"hakmem", "libhakmem.so", "hak_malloc"},
    {"system", "", nullptr},
    {"jemalloc", "libjemalloc.so.2", "mallctl"},
    {"mimalloc", "libmimalloc.so.2", "mi_malloc"},
    {"tcmalloc", "libtcmalloc_minimal.so.4", "tc_malloc"},
};

constexpr const char* kHakmemBuildPrefix = "hakmem=";

// hakmem=PATH: hakmem, from another build.
bool names_hakmem_build(const std::string& name) {
  return name.rfind(kHakmemBuildPrefix, 0) == 0;
}

const Alloc* find(const std::string& name) {
  std::string base = names_hakmem_build(name) ? "hakmem" : name;
  for (const Alloc& a : kAllocs) {
    if (base == a.name) return &a;
  }
  return nullptr;
}

// hakmem=PATH: the library at PATH (another build), "" for every other name.
std::string library_override(const std::string& name) {
  return names_hakmem_build(name) ? name.substr(std::strlen(kHakmemBuildPrefix)) : std::string();
}

bool is_hakmem(const Alloc& a) {
  return std::string(a.name) == "hakmem";
}

// The library to preload for `a` ("" for system), or `override` when given; false and why
// when it is missing.
bool library_path(const Alloc& a, std::string* path, std::string* why,
                  const std::string& override = "") {
  path->clear();
  if (!override.empty()) {
    if (access(override.c_str(), R_OK) == 0) {
      *path = override;
      return true;
    }
    if (why != nullptr) *why = "hakmem=" + override + ": no readable library there";
    return false;
  }
  if (*a.library == '\0') return true;
  std::vector<std::filesystem::path> candidates;
  if (is_hakmem(a)) {
    // build/bin/hakmem-bench -> build/lib/libhakmem.so; installed: PREFIX/LIBDIR/libhakmem.so
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
      candidates.push_back(exe.parent_path().parent_path() / "lib" / a.library);
      candidates.push_back(exe.parent_path().parent_path() / HAKMEM_INSTALL_LIBDIR / a.library);
    }
  } else {
    for (const char* dir : {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"})
      candidates.push_back(std::filesystem::path(dir) / a.library);
  }
  for (const auto& c : candidates) {
    if (access(c.c_str(), R_OK) == 0) {
      *path = c.string();
      return true;
    }
  }
  if (why != nullptr) {
    if (is_hakmem(a))
      *why = "hakmem: " + (candidates.empty() ? std::string(a.library) : candidates[0].string()) +
             " is missing (build the hakmem_preload target)";
    else
      *why = std::string(a.name) + " is not installed here (no " + a.library + ")";
  }
  return false;
}

// The file name of the shared object that defines `symbol` in the global scope, "" if none.
std::string defining_object(const char* symbol) {
  void* p = dlsym(RTLD_DEFAULT, symbol);
  Dl_info info;
  if (p == nullptr || dladdr(p, &info) == 0 || info.dli_fname == nullptr) return "";
  return std::filesystem::path(info.dli_fname).filename().string();
}

std::string unknown(const std::string& name) {
  return "unknown allocator '" + name +
         "' (hakmem, system, jemalloc, mimalloc, tcmalloc, or hakmem=PATH for another build's "
         "libhakmem.so)";
}

}  // namespace

std::vector<std::string> alloc_names() {
  std::vector<std::string> names;
  for (const Alloc& a : kAllocs) names.push_back(a.name);
  return names;
}

std::vector<std::string> available_alloc_names(std::vector<std::string>* skipped) {
  std::vector<std::string> names;
  for (const Alloc& a : kAllocs) {
    std::string path, why;
    if (library_path(a, &path, &why))
      names.push_back(a.name);
    else if (skipped != nullptr)
      skipped->push_back(why);
  }
  return names;
}

std::string canonical_route(const std::string& text) {
  hak_route route;
  return hak_route_from_name(text.c_str(), &route) ? hak_route_to_name(route) : "";
}

bool is_hakmem_alloc(const std::string& alloc) {
  return alloc == "hakmem" || names_hakmem_build(alloc);
}

bool set_alloc_env(const std::string& alloc, const std::string& route, std::string* why) {
  const Alloc* a = find(alloc);
  if (a == nullptr) {
    if (why != nullptr) *why = unknown(alloc);
    return false;
  }
  std::string path;
  if (!library_path(*a, &path, why, library_override(alloc))) return false;
  // The allocator alone is preloaded: whatever LD_PRELOAD held before is replaced.
  if (path.empty())
    unsetenv("LD_PRELOAD");
  else
    setenv("LD_PRELOAD", path.c_str(), 1);
  if (!route.empty()) setenv("HAKMEM_ROUTE", route.c_str(), 1);
  setenv(kMarkerEnv, alloc.c_str(), 1);
  return true;
}

bool alloc_env_is(const std::string& alloc) {
  const char* marker = getenv(kMarkerEnv);
  return marker != nullptr && alloc == marker;
}

bool alloc_serves_malloc(const std::string& alloc, std::string* why) {
  const Alloc* a = find(alloc);
  if (a == nullptr) {
    if (why != nullptr) *why = unknown(alloc);
    return false;
  }
  std::string malloc_from = defining_object("malloc");
  std::string override = library_override(alloc);
  std::string expected = !override.empty()     ? std::filesystem::path(override).filename().string()
                         : *a->library != '\0' ? a->library
                                               : "libc.so.6";
  if (malloc_from != expected) {
    if (why != nullptr)
      *why = alloc + " was to serve malloc, but malloc comes from " +
             (malloc_from.empty() ? std::string("nowhere") : malloc_from) +
             " (LD_PRELOAD=" + (getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "") + ")";
    return false;
  }
  if (a->marker != nullptr && defining_object(a->marker) != expected) {
    if (why != nullptr) *why = alloc + " is preloaded but " + a->marker + " is not its own";
    return false;
  }
  return true;
}

const HakmemApi* preloaded_hakmem() {
  static const HakmemApi* api = []() -> const HakmemApi* {
    static HakmemApi h;
    // The library that serves malloc, whatever its file is called (hakmem=PATH may name a
    // copy), must define every entry point below.
    std::string lib = defining_object("malloc");
    if (lib.empty()) return nullptr;
    h.counters_get =
        reinterpret_cast<decltype(h.counters_get)>(dlsym(RTLD_DEFAULT, "hak_counters_get"));
    h.counter_name =
        reinterpret_cast<decltype(h.counter_name)>(dlsym(RTLD_DEFAULT, "hak_counter_name"));
    h.counter_value =
        reinterpret_cast<decltype(h.counter_value)>(dlsym(RTLD_DEFAULT, "hak_counter_value"));
    h.page_reuse_rate =
        reinterpret_cast<decltype(h.page_reuse_rate)>(dlsym(RTLD_DEFAULT, "hak_page_reuse_rate"));
    h.get_route = reinterpret_cast<decltype(h.get_route)>(dlsym(RTLD_DEFAULT, "hak_get_route"));
    h.route_name = reinterpret_cast<decltype(h.route_name)>(dlsym(RTLD_DEFAULT, "hak_route_name"));
    h.option_get = reinterpret_cast<decltype(h.option_get)>(dlsym(RTLD_DEFAULT, "hak_option_get"));
    h.option_set = reinterpret_cast<decltype(h.option_set)>(dlsym(RTLD_DEFAULT, "hak_option_set"));
    // Every entry point must come from the library that serves malloc.
    for (const char* s : {"hak_malloc", "hak_counters_get", "hak_counter_name", "hak_counter_value",
                          "hak_page_reuse_rate", "hak_get_route", "hak_route_name",
                          "hak_option_get", "hak_option_set"}) {
      if (defining_object(s) != lib) return nullptr;
    }
    return &h;
  }();
  return api;
}

}  // namespace hakmem::bench
