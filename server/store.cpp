#include "store.h"

namespace hakmem::server {

const char* fsync_policy_name(FsyncPolicy policy) {
  switch (policy) {
    case FsyncPolicy::kAlways:
      return "always";
    case FsyncPolicy::kEverySec:
      return "everysec";
    case FsyncPolicy::kNo:
      return "no";
  }
  return "?";
}

bool parse_fsync_policy(std::string_view text, FsyncPolicy* out) {
  if (text == "always")
    *out = FsyncPolicy::kAlways;
  else if (text == "everysec")
    *out = FsyncPolicy::kEverySec;
  else if (text == "no")
    *out = FsyncPolicy::kNo;
  else
    return false;
  return true;
}

std::unique_ptr<Store> make_store(const StoreOptions& options) {
  if (options.kind == "memory") {
    if (!options.arena) throw std::runtime_error("the memory store needs an arena");
    return make_memory_store(options.arena);
  }
  if (options.kind == "rocksdb") return make_rocksdb_store(options);
  throw std::runtime_error("unknown store '" + options.kind + "' (expected rocksdb or memory)");
}

}  // namespace hakmem::server
