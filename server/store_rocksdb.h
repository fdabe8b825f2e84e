// RocksDB store: WAL on, fsync policy always / everysec / no, optional block cache allocator.
// Internal to server/: store_rocksdb.cpp (opening, strings, keyspace),
// store_rocksdb_collections.cpp (the sub-key layout below, RENAME) and one file per collection
// type: store_rocksdb_lists.cpp, _hashes.cpp, _sets.cpp, _zsets.cpp.
//
// Collections are laid out as Kvrocks does: the key itself (default column family) holds the
// metadata, the value header of value_codec.h followed by version, size, head and tail (8 bytes
// big-endian each); every element is a sub-key in the "sub" column family, prefixed by the key's
// length, the key and the version. Deleting a collection deletes its metadata and the sub-key
// range of its version; a new collection gets a new version, so no stale element can show.
//   list:  prefix + index (head..tail-1, starting at 2^63 so both ends can grow) -> element
//   hash:  prefix + field -> value          set: prefix + member -> ""
//   zset:  prefix + 'm' + member -> score   prefix + 's' + sortable score + member -> ""
// Every command writes one WriteBatch, under the key's lock.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "store.h"
#include "value_codec.h"

namespace hakmem::server {

void rocksdb_check(const rocksdb::Status& status, const char* what);

struct CollectionMeta {
  KeyType type = KeyType::kNone;
  int64_t expire_at = 0;
  uint64_t version = 0, size = 0;
  uint64_t head = uint64_t{1} << 63, tail = uint64_t{1} << 63;  // lists
};

class RocksDbStore final : public Store {
 public:
  explicit RocksDbStore(const StoreOptions& options);
  ~RocksDbStore() override;

  const char* name() const override { return "rocksdb"; }
  bool get(std::string_view key, std::string* value) override;
  void put(std::string_view key, std::string_view value) override;
  void remove(std::string_view key) override;
  void put_many(std::vector<std::pair<std::string_view, OwnedBytes>> kvs) override;
  void for_each(const std::function<void(std::string_view, std::string_view)>& visit) override;
  uint64_t scan(uint64_t cursor, size_t count,
                const std::function<void(std::string_view, std::string_view)>& visit) override;
  bool set_expire(std::string_view key, int64_t expire_at_ms) override;
  void rename(std::string_view from, std::string_view to) override;
  void clear() override;
  void flush() override;
  std::vector<std::pair<std::string, std::string>> info() const override;

  size_t list_push(std::string_view key, bool front,
                   std::span<const std::string_view> values) override;
  std::vector<std::string> list_pop(std::string_view key, bool front, size_t count) override;
  size_t list_len(std::string_view key) override;
  void list_replace(std::string_view key, const std::vector<std::string>& values) override;
  size_t hash_set(std::string_view key, std::span<const FieldValue> pairs) override;
  std::optional<std::string> hash_get(std::string_view key, std::string_view field) override;
  size_t hash_del(std::string_view key, std::span<const std::string_view> fields) override;
  size_t hash_len(std::string_view key) override;
  size_t set_add(std::string_view key, std::span<const std::string_view> members) override;
  size_t set_rem(std::string_view key, std::span<const std::string_view> members) override;
  bool set_has(std::string_view key, std::string_view member) override;
  size_t set_card(std::string_view key) override;
  std::vector<std::string> set_pop(std::string_view key, size_t count) override;
  size_t zset_add(std::string_view key, std::span<const MemberScore> members) override;
  std::optional<double> zset_score(std::string_view key, std::string_view member) override;
  size_t zset_rem(std::string_view key, std::span<const std::string_view> members) override;
  std::optional<size_t> zset_rank(std::string_view key, std::string_view member) override;
  size_t zset_card(std::string_view key) override;
  void list_visit(std::string_view key, size_t start, size_t stop, const VisitOne& visit) override;
  void hash_visit(std::string_view key, const VisitPair& visit) override;
  void set_visit(std::string_view key, const VisitOne& visit) override;
  void zset_visit(std::string_view key, size_t start, size_t stop,
                  const VisitScored& visit) override;

 private:
  // The key's metadata when it holds a collection of `type`; a new one (not yet written, size
  // 0, a fresh version) otherwise.
  CollectionMeta read_meta(std::string_view key, KeyType type, bool* exists = nullptr);
  static std::string encode_meta(const CollectionMeta& meta);
  static bool decode_meta(std::string_view stored, CollectionMeta* meta);
  static std::string prefix(std::string_view key, uint64_t version);
  // Writes the metadata (or, at size 0, deletes the key and its elements) into batch.
  void finish(rocksdb::WriteBatch& batch, std::string_view key, const CollectionMeta& meta);
  void delete_elements(rocksdb::WriteBatch& batch, std::string_view key, uint64_t version);
  void write(rocksdb::WriteBatch& batch);
  bool get_sub(const std::string& subkey, std::string* value);
  // HDEL and SREM: deletes the named elements of the key's `type` collection that exist (each
  // counted once); returns how many.
  size_t remove_named(std::string_view key, KeyType type, std::span<const std::string_view> names);
  // Visits the elements under prefix in order; visit returns false to stop.
  void for_each_sub(
      const std::string& prefix,
      const std::function<bool(std::string_view suffix, std::string_view value)>& visit,
      std::string_view from_suffix = {});
  void sync_loop();

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* keys_ = nullptr;  // the default family
  rocksdb::ColumnFamilyHandle* sub_ = nullptr;
  rocksdb::ReadOptions read_options_;
  rocksdb::WriteOptions write_options_;
  std::string cache_allocator_name_ = "system";
  std::atomic<uint64_t> next_version_;
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> wal_syncs_{0};
  std::mutex sync_mutex_;
  std::condition_variable sync_cv_;
  bool stopping_ = false;
  std::thread syncer_;

  // SCAN cursors: a number stands for the key to resume at (RocksDB keys are ordered but do not
  // fit a 64-bit cursor). The oldest are forgotten; an unknown cursor starts over.
  std::mutex cursor_mutex_;
  std::unordered_map<uint64_t, std::string> cursors_;
  std::deque<uint64_t> cursor_order_;
  uint64_t next_cursor_ = 1;
};

}  // namespace hakmem::server
