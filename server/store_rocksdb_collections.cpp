// The sub-key layout every RocksDB collection shares (store_rocksdb.h): prefixes, metadata,
// one WriteBatch per command, element reads, scans and removal by name (HDEL, SREM); and RENAME,
// which moves a collection's elements to the new key's prefix. The types:
// store_rocksdb_{lists,hashes,sets,zsets}.cpp.

#include <set>

#include "store_rocksdb.h"
#include "store_rocksdb_bytes.h"

namespace hakmem::server {

using rocksdb_bytes::get_u64;
using rocksdb_bytes::put_u64;
using rocksdb_bytes::slice;

namespace {

std::string_view view(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}

}  // namespace

std::string RocksDbStore::prefix(std::string_view key, uint64_t version) {
  std::string p;
  p.reserve(12 + key.size());
  const auto n = static_cast<uint32_t>(key.size());
  for (int i = 3; i >= 0; --i) p.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  p.append(key);
  put_u64(&p, version);
  return p;
}

std::string RocksDbStore::encode_meta(const CollectionMeta& meta) {
  std::string body;
  put_u64(&body, meta.version);
  put_u64(&body, meta.size);
  put_u64(&body, meta.head);
  put_u64(&body, meta.tail);
  std::string out;
  encode_value(&out, body, meta.expire_at, meta.type);
  return out;
}

bool RocksDbStore::decode_meta(std::string_view stored, CollectionMeta* meta) {
  DecodedValue d = decode_value(stored);
  if (!d.valid || d.type == KeyType::kString || d.value.size() != 32) return false;
  meta->type = d.type;
  meta->expire_at = d.expire_at_ms;
  meta->version = get_u64(d.value);
  meta->size = get_u64(d.value.substr(8));
  meta->head = get_u64(d.value.substr(16));
  meta->tail = get_u64(d.value.substr(24));
  return true;
}

CollectionMeta RocksDbStore::read_meta(std::string_view key, KeyType type, bool* exists) {
  std::string stored;
  CollectionMeta meta;
  if (get(key, &stored) && decode_meta(stored, &meta) && meta.type == type) {
    if (exists) *exists = true;
    return meta;
  }
  if (exists) *exists = false;
  CollectionMeta fresh;
  fresh.type = type;
  fresh.version = next_version_.fetch_add(1, std::memory_order_relaxed);
  return fresh;
}

void RocksDbStore::delete_elements(rocksdb::WriteBatch& batch, std::string_view key,
                                   uint64_t version) {
  rocksdb_check(batch.DeleteRange(sub_, prefix(key, version), prefix(key, version + 1)), "batch");
}

void RocksDbStore::finish(rocksdb::WriteBatch& batch, std::string_view key,
                          const CollectionMeta& meta) {
  if (meta.size == 0) {
    delete_elements(batch, key, meta.version);
    rocksdb_check(batch.Delete(keys_, slice(key)), "batch");
  } else {
    rocksdb_check(batch.Put(keys_, slice(key), encode_meta(meta)), "batch");
  }
  write(batch);
}

bool RocksDbStore::get_sub(const std::string& subkey, std::string* value) {
  rocksdb::Status s = db_->Get(read_options_, sub_, subkey, value);
  if (s.IsNotFound()) return false;
  rocksdb_check(s, "get");
  return true;
}

size_t RocksDbStore::remove_named(std::string_view key, KeyType type,
                                  std::span<const std::string_view> names) {
  bool exists;
  CollectionMeta meta = read_meta(key, type, &exists);
  if (!exists) return 0;
  const std::string p = prefix(key, meta.version);
  rocksdb::WriteBatch batch;
  std::set<std::string_view> removed;
  std::string ignored;
  for (std::string_view name : names) {
    std::string subkey = p + std::string(name);
    if (removed.contains(name) || !get_sub(subkey, &ignored)) continue;
    removed.insert(name);
    rocksdb_check(batch.Delete(sub_, subkey), "batch");
  }
  meta.size -= removed.size();
  finish(batch, key, meta);
  return removed.size();
}

void RocksDbStore::for_each_sub(
    const std::string& p, const std::function<bool(std::string_view, std::string_view)>& visit,
    std::string_view from_suffix) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_, sub_));
  for (it->Seek(p + std::string(from_suffix)); it->Valid() && it->key().starts_with(p);
       it->Next()) {
    if (!visit(view(it->key()).substr(p.size()), view(it->value()))) break;
  }
  rocksdb_check(it->status(), "scan");
}

void RocksDbStore::rename(std::string_view from, std::string_view to) {
  if (from == to) return;
  std::string stored;
  if (!get(from, &stored)) return;
  rocksdb::WriteBatch batch;
  std::string old_to;
  CollectionMeta displaced;
  if (get(to, &old_to) && decode_meta(old_to, &displaced)) {
    delete_elements(batch, to, displaced.version);
  }
  CollectionMeta meta;
  if (decode_meta(stored, &meta)) {  // the elements move to the new key's prefix
    const std::string old_prefix = prefix(from, meta.version);
    const uint64_t version = next_version_.fetch_add(1, std::memory_order_relaxed);
    const std::string new_prefix = prefix(to, version);
    for_each_sub(old_prefix, [&](std::string_view suffix, std::string_view value) {
      rocksdb_check(batch.Put(sub_, new_prefix + std::string(suffix), slice(value)), "batch");
      return true;
    });
    delete_elements(batch, from, meta.version);
    meta.version = version;
    stored = encode_meta(meta);
  }
  rocksdb_check(batch.Delete(keys_, slice(from)), "batch");
  rocksdb_check(batch.Put(keys_, slice(to), stored), "batch");
  write(batch);
}

}  // namespace hakmem::server
