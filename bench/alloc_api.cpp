#include "alloc_api.hpp"

#include <cstdlib>

#include "hakmem/hakmem.h"

namespace hakmem::bench {

namespace {
const AllocApi kAllocs[] = {
    {"hakmem", hak_malloc, hak_free},
    {"system", std::malloc, std::free},
};
}  // namespace

const AllocApi* find_alloc(const std::string& name, std::string* why) {
  for (const AllocApi& a : kAllocs) {
    if (a.name == name) return &a;
  }
  if (why) *why = "unknown allocator '" + name + "'";
  return nullptr;
}

std::vector<std::string> alloc_names() {
  std::vector<std::string> names;
  for (const AllocApi& a : kAllocs) names.push_back(a.name);
  return names;
}

}  // namespace hakmem::bench
