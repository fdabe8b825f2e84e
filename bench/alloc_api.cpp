#include "alloc_api.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include "hakmem/hakmem.h"

namespace hakmem::bench {

namespace {

void* system_malloc(size_t n) {
  return std::malloc(n);
}
void system_free(void* p) {
  std::free(p);
}

// Peers are loaded with dlopen(RTLD_LOCAL) and called through their own entry points, so
// none of them replaces the process's malloc (and each run is its own process anyway).
struct Peer {
  const char* name;
  const char* soname;
  const char* malloc_symbol;
  const char* free_symbol;
};

// jemalloc's initial-exec TLS cannot be dlopen'ed ("cannot allocate memory in static TLS
// block"), so a jemalloc run re-executes itself with jemalloc preloaded (see main.cpp) and
// then calls the process's malloc, which is jemalloc's.
constexpr Peer kPeers[] = {
    {"jemalloc", "libjemalloc.so.2", "malloc", "free"},
    {"mimalloc", "libmimalloc.so.2", "mi_malloc", "mi_free"},
    {"tcmalloc", "libtcmalloc_minimal.so.4", "tc_malloc", "tc_free"},
};

std::vector<AllocApi>& loaded() {
  static std::vector<AllocApi> apis;
  return apis;
}

const AllocApi* load_peer(const Peer& peer, std::string* why) {
  if (const char* pre = getenv("HAKMEM_BENCH_PRELOADED");
      pre != nullptr && peer.name == std::string(pre)) {
    // Make sure the preload really took: jemalloc exports mallctl, glibc does not.
    if (dlsym(RTLD_DEFAULT, "mallctl") == nullptr) {
      if (why) *why = std::string(peer.name) + " was to be preloaded but is not in this process";
      return nullptr;
    }
    static const AllocApi preloaded{peer.name, system_malloc, system_free};
    return &preloaded;
  }
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  for (const AllocApi& a : loaded()) {
    if (a.name == peer.name) return &a;
  }
  void* handle = dlopen(peer.soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    if (why) *why = std::string(peer.name) + " is not installed here (" + dlerror() + ")";
    return nullptr;
  }
  auto m = reinterpret_cast<void* (*)(size_t)>(dlsym(handle, peer.malloc_symbol));
  auto f = reinterpret_cast<void (*)(void*)>(dlsym(handle, peer.free_symbol));
  if (m == nullptr || f == nullptr) {
    if (why) *why = std::string(peer.name) + ": " + peer.soname + " lacks " + peer.malloc_symbol;
    return nullptr;
  }
  loaded().reserve(8);  // pointers handed out stay valid
  loaded().push_back({peer.name, m, f});
  return &loaded().back();
}

const AllocApi kHakmem{"hakmem", hak_malloc, hak_free};
const AllocApi kSystem{"system", system_malloc, system_free};

}  // namespace

const AllocApi* find_alloc(const std::string& name, std::string* why) {
  if (name == kHakmem.name) return &kHakmem;
  if (name == kSystem.name) return &kSystem;
  for (const Peer& p : kPeers) {
    if (name == p.name) return load_peer(p, why);
  }
  if (why) *why = "unknown allocator '" + name + "' (hakmem, system, jemalloc, mimalloc, tcmalloc)";
  return nullptr;
}

std::string preload_library(const std::string& name) {
  if (name != "jemalloc" || getenv("HAKMEM_BENCH_PRELOADED") != nullptr) return "";
  void* handle = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL);
  if (handle != nullptr) {
    dlclose(handle);
    return "";
  }
  for (const char* dir :
       {"/usr/lib/x86_64-linux-gnu/", "/usr/lib/aarch64-linux-gnu/", "/usr/lib/"}) {
    std::string path = std::string(dir) + "libjemalloc.so.2";
    if (access(path.c_str(), R_OK) == 0) return path;
  }
  return "";
}

std::vector<std::string> alloc_names() {
  std::vector<std::string> names{"hakmem", "system"};
  for (const Peer& p : kPeers) names.push_back(p.name);
  return names;
}

std::vector<std::string> available_alloc_names(std::vector<std::string>* skipped) {
  std::vector<std::string> names;
  for (const auto& n : alloc_names()) {
    std::string why;
    if (!preload_library(n).empty() || find_alloc(n, &why) != nullptr)
      names.push_back(n);
    else if (skipped)
      skipped->push_back(why);
  }
  return names;
}

}  // namespace hakmem::bench
