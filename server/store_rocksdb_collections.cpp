// RocksDB's lists, hashes, sets and sorted sets as sub-keys (layout in store_rocksdb.h), and
// RENAME, which moves a collection's elements to the new key's prefix.
#include <bit>
#include <cstring>
#include <map>
#include <set>

#include "store_rocksdb.h"

namespace hakmem::server {
namespace {

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}
std::string_view view(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}

void put_u64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t get_u64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

// Scores sort as their bytes: flip the sign bit of positives, every bit of negatives.
std::string sortable_score(double score) {
  if (score == 0) score = 0;  // -0 and 0 are one score
  auto bits = std::bit_cast<uint64_t>(score);
  bits = (bits >> 63) ? ~bits : bits ^ (uint64_t{1} << 63);
  std::string out;
  put_u64(&out, bits);
  return out;
}
double score_from_sortable(std::string_view in) {
  uint64_t bits = get_u64(in);
  bits = (bits >> 63) ? bits ^ (uint64_t{1} << 63) : ~bits;
  return std::bit_cast<double>(bits);
}
std::string raw_score(double score) {
  std::string out;
  put_u64(&out, std::bit_cast<uint64_t>(score));
  return out;
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

// Lists.

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

// Hashes.

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
  bool exists;
  CollectionMeta meta = read_meta(key, KeyType::kHash, &exists);
  if (!exists) return 0;
  const std::string p = prefix(key, meta.version);
  rocksdb::WriteBatch batch;
  std::set<std::string_view> removed;
  std::string ignored;
  for (std::string_view field : fields) {
    std::string subkey = p + std::string(field);
    if (removed.contains(field) || !get_sub(subkey, &ignored)) continue;
    removed.insert(field);
    rocksdb_check(batch.Delete(sub_, subkey), "batch");
  }
  meta.size -= removed.size();
  finish(batch, key, meta);
  return removed.size();
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

// Sets.

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
  bool exists;
  CollectionMeta meta = read_meta(key, KeyType::kSet, &exists);
  if (!exists) return 0;
  const std::string p = prefix(key, meta.version);
  rocksdb::WriteBatch batch;
  std::set<std::string_view> removed;
  std::string ignored;
  for (std::string_view m : members) {
    std::string subkey = p + std::string(m);
    if (removed.contains(m) || !get_sub(subkey, &ignored)) continue;
    removed.insert(m);
    rocksdb_check(batch.Delete(sub_, subkey), "batch");
  }
  meta.size -= removed.size();
  finish(batch, key, meta);
  return removed.size();
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

// Sorted sets.

size_t RocksDbStore::zset_add(std::string_view key, std::span<const MemberScore> members) {
  CollectionMeta meta = read_meta(key, KeyType::kZSet);
  const std::string p = prefix(key, meta.version);
  std::map<std::string_view, double> last;  // a member given twice: the last score wins
  for (const auto& [member, score] : members) last[member] = score;
  rocksdb::WriteBatch batch;
  size_t added = 0;
  std::string old;
  for (const auto& [member, score] : last) {
    std::string by_member = p + "m" + std::string(member);
    if (get_sub(by_member, &old) && old.size() == 8) {
      double previous = std::bit_cast<double>(get_u64(old));
      rocksdb_check(batch.Delete(sub_, p + "s" + sortable_score(previous) + std::string(member)),
                    "batch");
    } else {
      ++added;
    }
    rocksdb_check(batch.Put(sub_, by_member, raw_score(score)), "batch");
    rocksdb_check(batch.Put(sub_, p + "s" + sortable_score(score) + std::string(member), ""),
                  "batch");
  }
  meta.size += added;
  finish(batch, key, meta);
  return added;
}

std::optional<double> RocksDbStore::zset_score(std::string_view key, std::string_view member) {
  bool exists;
  CollectionMeta meta = read_meta(key, KeyType::kZSet, &exists);
  std::string raw;
  if (!exists || !get_sub(prefix(key, meta.version) + "m" + std::string(member), &raw) ||
      raw.size() != 8) {
    return std::nullopt;
  }
  return std::bit_cast<double>(get_u64(raw));
}

size_t RocksDbStore::zset_rem(std::string_view key, std::span<const std::string_view> members) {
  bool exists;
  CollectionMeta meta = read_meta(key, KeyType::kZSet, &exists);
  if (!exists) return 0;
  const std::string p = prefix(key, meta.version);
  rocksdb::WriteBatch batch;
  std::set<std::string_view> removed;
  std::string raw;
  for (std::string_view member : members) {
    std::string by_member = p + "m" + std::string(member);
    if (removed.contains(member) || !get_sub(by_member, &raw) || raw.size() != 8) continue;
    removed.insert(member);
    double score = std::bit_cast<double>(get_u64(raw));
    rocksdb_check(batch.Delete(sub_, by_member), "batch");
    rocksdb_check(batch.Delete(sub_, p + "s" + sortable_score(score) + std::string(member)),
                  "batch");
  }
  meta.size -= removed.size();
  finish(batch, key, meta);
  return removed.size();
}

void RocksDbStore::zset_visit(std::string_view key, size_t start, size_t stop,
                              const VisitScored& visit) {
  bool exists;
  CollectionMeta meta = read_meta(key, KeyType::kZSet, &exists);
  if (!exists) return;
  size_t rank = 0;
  for_each_sub(prefix(key, meta.version) + "s", [&](std::string_view entry, std::string_view) {
    if (rank++ < start) return true;
    visit(entry.substr(8), score_from_sortable(entry));
    return rank <= stop;
  });
}

std::optional<size_t> RocksDbStore::zset_rank(std::string_view key, std::string_view member) {
  auto score = zset_score(key, member);
  if (!score) return std::nullopt;
  CollectionMeta meta = read_meta(key, KeyType::kZSet);
  const std::string target = sortable_score(*score) + std::string(member);
  size_t rank = 0;
  for_each_sub(prefix(key, meta.version) + "s", [&](std::string_view entry, std::string_view) {
    if (entry == target) return false;
    ++rank;
    return true;
  });
  return rank;
}

size_t RocksDbStore::zset_card(std::string_view key) {
  return read_meta(key, KeyType::kZSet).size;
}

}  // namespace hakmem::server
