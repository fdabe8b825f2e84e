// The allocators a benchmark can drive, behind two function pointers so the workload code is
// the same for each.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace hakmem::bench {

struct AllocApi {
  std::string name;
  void* (*malloc)(size_t);
  void (*free)(void*);
};

// nullptr (and a reason in *why) when `name` is unknown or not installed here.
const AllocApi* find_alloc(const std::string& name, std::string* why);
std::vector<std::string> alloc_names();
// For a peer that cannot be dlopen'ed (jemalloc), the library to LD_PRELOAD instead, else "".
std::string preload_library(const std::string& name);
// The allocators that load here; a note per missing peer goes to *skipped.
std::vector<std::string> available_alloc_names(std::vector<std::string>* skipped);

}  // namespace hakmem::bench
