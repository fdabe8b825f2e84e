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

}  // namespace hakmem::bench
