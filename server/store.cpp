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

namespace hakmem::server {

std::vector<std::string> Store::list_range(std::string_view key, size_t start, size_t stop) {
  std::vector<std::string> out;
  list_visit(key, start, stop, [&](std::string_view v) { out.emplace_back(v); });
  return out;
}

std::vector<std::pair<std::string, std::string>> Store::hash_all(std::string_view key) {
  std::vector<std::pair<std::string, std::string>> out;
  hash_visit(key, [&](std::string_view f, std::string_view v) { out.emplace_back(f, v); });
  return out;
}

std::vector<std::string> Store::set_members(std::string_view key) {
  std::vector<std::string> out;
  set_visit(key, [&](std::string_view m) { out.emplace_back(m); });
  return out;
}

std::vector<std::pair<std::string, double>> Store::zset_range(std::string_view key, size_t start,
                                                              size_t stop) {
  std::vector<std::pair<std::string, double>> out;
  zset_visit(key, start, stop, [&](std::string_view m, double s) { out.emplace_back(m, s); });
  return out;
}

}  // namespace hakmem::server
