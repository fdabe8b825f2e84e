// RocksDB lists: elements at sub-keys prefix + index, head..tail-1 (store_rocksdb.h).

#include "store_rocksdb.h"
#include "store_rocksdb_bytes.h"

namespace hakmem::server {

using rocksdb_bytes::put_u64;
using rocksdb_bytes::slice;

size_t RocksDbStore::list_push(std::string_view key, bool front,
                               std::span<const std::string_view> values) {
  CollectionMeta meta = read_meta(key, KeyType::kList);
  const std::string p = prefix(key, meta.version);
  rocksdb::WriteBatch batch;
  for (std::string_view v : values) {
    std::string subkey = p;
    put_u64(&subkey, front ? --meta.head : meta.tail++);
    rocksdb_check(batch.Put(sub_, subkey, slice(v)), "batch");
  }
  meta.size += values.size();
  finish(batch, key, meta);
  return meta.size;
}

std::vector<std::string> RocksDbStore::list_pop(std::string_view key, bool front, size_t count) {
  std::vector<std::string> out;
  bool exists;
  CollectionMeta meta = read_meta(key, KeyType::kList, &exists);
  if (!exists) return out;
  count = std::min<uint64_t>(count, meta.size);
  // Point reads and deletes: range tombstones at the head of a busy list slow every read.
  const std::string p = prefix(key, meta.version);
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < count; ++i) {
    std::string subkey = p;
    put_u64(&subkey, front ? meta.head + i : meta.tail - 1 - i);
    std::string value;
    if (get_sub(subkey, &value)) out.push_back(std::move(value));
    rocksdb_check(batch.Delete(sub_, subkey), "batch");
  }
  if (front) {
    meta.head += count;
  } else {
    meta.tail -= count;
  }
  meta.size -= count;
  finish(batch, key, meta);
  return out;
}

size_t RocksDbStore::list_len(std::string_view key) {
  return read_meta(key, KeyType::kList).size;
}

void RocksDbStore::list_visit(std::string_view key, size_t start, size_t stop,
                              const VisitOne& visit) {
  bool exists;
  CollectionMeta meta = read_meta(key, KeyType::kList, &exists);
  if (!exists || start >= meta.size) return;
  std::string from;
  put_u64(&from, meta.head + start);
  size_t visited = 0;
  for_each_sub(
      prefix(key, meta.version),
      [&](std::string_view, std::string_view value) {
        visit(value);
        return ++visited < stop - start + 1;
      },
      from);
}

void RocksDbStore::list_replace(std::string_view key, const std::vector<std::string>& values) {
  bool exists;
  CollectionMeta old = read_meta(key, KeyType::kList, &exists);
  rocksdb::WriteBatch batch;
  if (exists) delete_elements(batch, key, old.version);
  CollectionMeta meta;
  meta.type = KeyType::kList;
  meta.expire_at = old.expire_at;
  meta.version = next_version_.fetch_add(1, std::memory_order_relaxed);
  const std::string p = prefix(key, meta.version);
  for (const std::string& v : values) {
    std::string subkey = p;
    put_u64(&subkey, meta.tail++);
    rocksdb_check(batch.Put(sub_, subkey, v), "batch");
  }
  meta.size = values.size();
  finish(batch, key, meta);
}

}  // namespace hakmem::server
