// RocksDB sorted sets: each member at two sub-keys, by member (-> its score) and by sortable
// score + member, the second in score order (store_rocksdb.h).
#include <bit>
#include <map>
#include <set>

#include "store_rocksdb.h"
#include "store_rocksdb_bytes.h"

namespace hakmem::server {

using rocksdb_bytes::get_u64;
using rocksdb_bytes::put_u64;

namespace {

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
