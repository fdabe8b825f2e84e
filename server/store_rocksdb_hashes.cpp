// RocksDB hashes: each field a sub-key, prefix + field -> value (store_rocksdb.h).
#include <set>

#include "store_rocksdb.h"
#include "store_rocksdb_bytes.h"

namespace hakmem::server {

using rocksdb_bytes::slice;

size_t RocksDbStore::hash_set(std::string_view key, std::span<const FieldValue> pairs) {
  CollectionMeta meta = read_meta(key, KeyType::kHash);
  const std::string p = prefix(key, meta.version);
  rocksdb::WriteBatch batch;
  std::set<std::string_view> added;  // a field given twice is new once
  std::string ignored;
  for (const auto& [field, value] : pairs) {
    std::string subkey = p + std::string(field);
    if (!added.contains(field) && !get_sub(subkey, &ignored)) added.insert(field);
    rocksdb_check(batch.Put(sub_, subkey, slice(value)), "batch");
  }
  meta.size += added.size();
  finish(batch, key, meta);
  return added.size();
}

std::optional<std::string> RocksDbStore::hash_get(std::string_view key, std::string_view field) {
  bool exists;
  CollectionMeta meta = read_meta(key, KeyType::kHash, &exists);
  std::string value;
  if (!exists || !get_sub(prefix(key, meta.version) + std::string(field), &value)) {
    return std::nullopt;
  }
  return value;
}

size_t RocksDbStore::hash_del(std::string_view key, std::span<const std::string_view> fields) {
  return remove_named(key, KeyType::kHash, fields);
}

void RocksDbStore::hash_visit(std::string_view key, const VisitPair& visit) {
  bool exists;
  CollectionMeta meta = read_meta(key, KeyType::kHash, &exists);
  if (!exists) return;
  for_each_sub(prefix(key, meta.version), [&](std::string_view field, std::string_view value) {
    visit(field, value);
    return true;
  });
}

size_t RocksDbStore::hash_len(std::string_view key) {
  return read_meta(key, KeyType::kHash).size;
}

}  // namespace hakmem::server
