// Key/value storage behind the commands. Stores keep opaque bytes; expiry is encoded into the
// value by value_codec.h so every store supports TTLs the same way and they survive restarts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "arena_bytes.h"

namespace hakmem::server {

// A failed read or write (e.g. the disk is full); the command replies with -ERR.
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual const char* name() const = 0;

  // All methods are thread-safe. Atomicity across keys is up to the caller (KeyLocks).
  virtual bool get(std::string_view key, std::string* value) = 0;
  virtual void put(std::string_view key, std::string_view value) = 0;
  // Like put, for a value already in an arena block: a store that keeps values in the arena
  // keeps this block (no copy), the others copy it and free it.
  virtual void put_owned(std::string_view key, OwnedBytes value) { put(key, value.view()); }
  // Removes the key whatever its type (a collection with everything in it).
  virtual void remove(std::string_view key) = 0;
  // Applied atomically: readers see all of the writes or none. Later pairs win over earlier ones.
  virtual void put_many(std::vector<std::pair<std::string_view, OwnedBytes>> kvs) = 0;
  // Visits every stored key and value (expired ones included; the caller decides).
  virtual void for_each(
      const std::function<void(std::string_view key, std::string_view value)>& visit) = 0;
  void for_each_value(const std::function<void(std::string_view value)>& visit) {
    for_each([&](std::string_view, std::string_view value) { visit(value); });
  }
  // SCAN: visits about `count` keys (maybe more) from cursor (0: the start) and returns the next
  // cursor (0: done). Every key present for the whole scan is visited at least once.
  virtual uint64_t scan(
      uint64_t cursor, size_t count,
      const std::function<void(std::string_view key, std::string_view value)>& visit) = 0;
  // Rewrites the key's expiry (0: none), whatever its type; false if the key is absent.
  virtual bool set_expire(std::string_view key, int64_t expire_at_ms) = 0;
  // Moves the value of from (which exists) to to, replacing what to held.
  virtual void rename(std::string_view from, std::string_view to) = 0;

  // Collections. The caller holds the key's lock (KeyLocks) and has checked that the key is
  // absent or of the type the method is for (see value_codec.h); writes create an absent key
  // (without expiry) and a collection that becomes empty is removed. Indexes are clamped.
  virtual size_t list_push(std::string_view key, bool front,
                           std::span<const std::string_view> values) = 0;  // the new length
  virtual std::vector<std::string> list_pop(std::string_view key, bool front, size_t count) = 0;
  virtual size_t list_len(std::string_view key) = 0;
  // Elements start..stop (inclusive, 0-based, stop < length).
  std::vector<std::string> list_range(std::string_view key, size_t start, size_t stop);
  // Replaces the whole list (LREM, LTRIM); empty removes the key.
  virtual void list_replace(std::string_view key, const std::vector<std::string>& values) = 0;

  using FieldValue = std::pair<std::string_view, std::string_view>;
  virtual size_t hash_set(std::string_view key, std::span<const FieldValue> pairs) = 0;  // added
  virtual std::optional<std::string> hash_get(std::string_view key, std::string_view field) = 0;
  virtual size_t hash_del(std::string_view key, std::span<const std::string_view> fields) = 0;
  std::vector<std::pair<std::string, std::string>> hash_all(std::string_view key);
  virtual size_t hash_len(std::string_view key) = 0;

  virtual size_t set_add(std::string_view key, std::span<const std::string_view> members) = 0;
  virtual size_t set_rem(std::string_view key, std::span<const std::string_view> members) = 0;
  virtual bool set_has(std::string_view key, std::string_view member) = 0;
  std::vector<std::string> set_members(std::string_view key);
  virtual size_t set_card(std::string_view key) = 0;
  virtual std::vector<std::string> set_pop(std::string_view key, size_t count) = 0;

  using MemberScore = std::pair<std::string_view, double>;
  // Sets each member's score; returns how many were new.
  virtual size_t zset_add(std::string_view key, std::span<const MemberScore> members) = 0;
  virtual std::optional<double> zset_score(std::string_view key, std::string_view member) = 0;
  virtual size_t zset_rem(std::string_view key, std::span<const std::string_view> members) = 0;
  // By rank (score, then member, ascending), start..stop inclusive, stop < card.
  std::vector<std::pair<std::string, double>> zset_range(std::string_view key, size_t start,
                                                         size_t stop);
  virtual std::optional<size_t> zset_rank(std::string_view key, std::string_view member) = 0;
  virtual size_t zset_card(std::string_view key) = 0;

  // The reads above without a copy: each visits what its vector form returns, in the same order,
  // with views valid during the call only. The caller's key lock keeps the collection unchanged,
  // so a reply can size itself in one visit and be written in a second
  // (resp_writer.h's reserve_reply) without copying a collection that may be larger than any reply
  // allowed.
  using VisitOne = std::function<void(std::string_view)>;
  using VisitPair = std::function<void(std::string_view field, std::string_view value)>;
  using VisitScored = std::function<void(std::string_view member, double score)>;
  virtual void list_visit(std::string_view key, size_t start, size_t stop,
                          const VisitOne& visit) = 0;
  virtual void hash_visit(std::string_view key, const VisitPair& visit) = 0;
  virtual void set_visit(std::string_view key, const VisitOne& visit) = 0;
  virtual void zset_visit(std::string_view key, size_t start, size_t stop,
                          const VisitScored& visit) = 0;

  virtual void clear() = 0;
  // Makes everything written so far durable (shutdown, and fsync=everysec's timer).
  virtual void flush() = 0;
  // Extra `key:value` lines for INFO persistence.
  virtual std::vector<std::pair<std::string, std::string>> info() const = 0;
};

enum class FsyncPolicy { kAlways, kEverySec, kNo };

struct StoreOptions {
  std::string kind = "rocksdb";  // rocksdb | memory
  std::string data_dir = "./data";
  FsyncPolicy fsync = FsyncPolicy::kEverySec;
  size_t block_cache_bytes = 64u << 20;
  std::shared_ptr<Arena> block_cache_arena;  // RocksDB block cache allocates here when set
  std::shared_ptr<Arena> arena;  // the memory store's keys, values and table (required by it)
};

// Throws std::runtime_error with a one-line message when the store cannot be opened.
std::unique_ptr<Store> make_store(const StoreOptions& options);
// Keys, values and the table's nodes are allocated from arena, which must outlive the store.
std::unique_ptr<Store> make_memory_store(std::shared_ptr<Arena> arena);
std::unique_ptr<Store> make_rocksdb_store(const StoreOptions& options);

const char* fsync_policy_name(FsyncPolicy policy);
bool parse_fsync_policy(std::string_view text, FsyncPolicy* out);

}  // namespace hakmem::server
