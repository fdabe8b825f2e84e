// In-memory store: a sharded hash map whose keys, values, table nodes and collections all live
// in the arena. A value set by SET or MSET is the very buffer the I/O thread parsed it into;
// whichever worker overwrites, deletes or expires it frees it: long-lived objects allocated on
// one thread and freed on another, the pattern hakmem is built for. Nothing survives a restart.
// Internal to server/: store_memory.cpp (the table, strings, keyspace) and
// store_memory_collections.cpp (lists, hashes, sets, sorted sets).
#pragma once

#include <array>
#include <memory_resource>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "memory_collections.h"
#include "store.h"

namespace hakmem::server {

// The table's nodes and bucket arrays and the collections. They do not record the thread that
// allocated them, so their frees are counted but never as cross-thread (kUnknownOwner).
class ArenaResource final : public std::pmr::memory_resource {
 public:
  explicit ArenaResource(Arena& arena) : arena_(arena) {}

 private:
  void* do_allocate(size_t bytes, size_t alignment) override;
  void do_deallocate(void* p, size_t bytes, size_t) override {
    arena_.deallocate(p, bytes, kUnknownOwner);
  }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  Arena& arena_;
};

struct BytesHash {
  using is_transparent = void;
  size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  size_t operator()(const ArenaBytes& key) const { return (*this)(key.view()); }
};

struct BytesEqual {
  using is_transparent = void;
  static std::string_view v(std::string_view s) { return s; }
  static std::string_view v(const ArenaBytes& b) { return b.view(); }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return v(a) == v(b);
  }
};

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(std::shared_ptr<Arena> arena);
  ~MemoryStore() override;

  const char* name() const override { return "memory"; }
  bool get(std::string_view key, std::string* value) override;
  void put(std::string_view key, std::string_view value) override;
  void put_owned(std::string_view key, OwnedBytes value) override;
  void remove(std::string_view key) override;
  void put_many(std::vector<std::pair<std::string_view, OwnedBytes>> kvs) override;
  void for_each(const std::function<void(std::string_view, std::string_view)>& visit) override;
  uint64_t scan(uint64_t cursor, size_t count,
                const std::function<void(std::string_view, std::string_view)>& visit) override;
  bool set_expire(std::string_view key, int64_t expire_at_ms) override;
  void rename(std::string_view from, std::string_view to) override;
  void clear() override;
  void flush() override {}
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
  using Table = std::pmr::unordered_map<ArenaBytes, ArenaBytes, BytesHash, BytesEqual>;
  static constexpr size_t kShards = 64;
  struct Shard {
    explicit Shard(std::pmr::memory_resource* resource) : map(resource) {}
    std::shared_mutex mutex;
    Table map;
    size_t bytes = 0;  // block sizes of keys and values, under mutex
  };

  static size_t shard_index(std::string_view key) { return BytesHash{}(key) % kShards; }
  Shard& shard_for(std::string_view key) { return *shards_[shard_index(key)]; }
  void adopt(OwnedBytes& value);
  ArenaBytes install(Shard& shard, std::string_view key, OwnedBytes& value);
  // Frees a value block and, for a collection, its container.
  void free_value(ArenaBytes& value);
  void free_all(Table& table);

  // The key's container when it holds a T; null otherwise. The caller holds the key's lock, so
  // the container stays while it uses it (only holders of that lock remove the key).
  template <typename T>
  T* find(std::string_view key);
  template <typename T>
  T* find_or_create(std::string_view key);
  // Removes the key if its collection became empty.
  template <typename T>
  void remove_if_empty(std::string_view key, const T& container);

  std::shared_ptr<Arena> arena_;  // first: outlives the table and its resource
  ArenaResource resource_;
  std::array<std::unique_ptr<Shard>, kShards> shards_;
};

}  // namespace hakmem::server
