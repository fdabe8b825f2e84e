// RocksDB sets: each member a sub-key, prefix + member -> "" (store_rocksdb.h).
#include <set>

#include "store_rocksdb.h"

namespace hakmem::server {

size_t RocksDbStore::set_add(std::string_view key, std::span<const std::string_view> members) {
  CollectionMeta meta = read_meta(key, KeyType::kSet);
  const std::string p = prefix(key, meta.version);
  rocksdb::WriteBatch batch;
  std::set<std::string_view> added;
  std::string ignored;
  for (std::string_view m : members) {
    std::string subkey = p + std::string(m);
    if (added.contains(m) || get_sub(subkey, &ignored)) continue;
    added.insert(m);
    rocksdb_check(batch.Put(sub_, subkey, ""), "batch");
  }
  meta.size += added.size();
  finish(batch, key, meta);
  return added.size();
}

size_t RocksDbStore::set_rem(std::string_view key, std::span<const std::string_view> members) {
  return remove_named(key, KeyType::kSet, members);
}

bool RocksDbStore::set_has(std::string_view key, std::string_view member) {
  bool exists;
  CollectionMeta meta = read_meta(key, KeyType::kSet, &exists);
  std::string ignored;
  return exists && get_sub(prefix(key, meta.version) + std::string(member), &ignored);
}

void RocksDbStore::set_visit(std::string_view key, const VisitOne& visit) {
  bool exists;
  CollectionMeta meta = read_meta(key, KeyType::kSet, &exists);
  if (!exists) return;
  for_each_sub(prefix(key, meta.version), [&](std::string_view member, std::string_view) {
    visit(member);
    return true;
  });
}

size_t RocksDbStore::set_card(std::string_view key) {
  return read_meta(key, KeyType::kSet).size;
}

std::vector<std::string> RocksDbStore::set_pop(std::string_view key, size_t count) {
  std::vector<std::string> out;
  bool exists;
  CollectionMeta meta = read_meta(key, KeyType::kSet, &exists);
  if (!exists || count == 0) return out;
  const std::string p = prefix(key, meta.version);
  rocksdb::WriteBatch batch;
  for_each_sub(p, [&](std::string_view member, std::string_view) {  // key order, not random
    out.emplace_back(member);
    rocksdb_check(batch.Delete(sub_, p + std::string(member)), "batch");
    return out.size() < count;
  });
  meta.size -= out.size();
  finish(batch, key, meta);
  return out;
}

}  // namespace hakmem::server
