// In-memory store: a sharded hash map whose keys, values and table nodes all live in the arena.
// A value set by SET or MSET is the very buffer the I/O thread parsed it into; whichever worker
// overwrites, deletes or expires it frees it: long-lived objects allocated on one thread and
// freed on another, the pattern hakmem is built for. Nothing survives a restart.
#include <array>
#include <memory_resource>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "store.h"

namespace hakmem::server {
namespace {

// The table's nodes and bucket arrays. They do not record the thread that allocated them, so
// their frees are counted but never as cross-thread (kUnknownOwner).
class ArenaResource final : public std::pmr::memory_resource {
 public:
  explicit ArenaResource(Arena& arena) : arena_(arena) {}

 private:
  void* do_allocate(size_t bytes, size_t alignment) override {
    if (alignment > alignof(std::max_align_t)) throw std::bad_alloc();
    void* p = arena_.allocate(bytes);
    if (reinterpret_cast<uintptr_t>(p) % alignment != 0) {
      arena_.deallocate(p, bytes, kUnknownOwner);
      throw std::bad_alloc();
    }
    return p;
  }
  void do_deallocate(void* p, size_t bytes, size_t) override {
    arena_.deallocate(p, bytes, kUnknownOwner);
  }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  Arena& arena_;
};

std::string_view as_view(std::string_view s) {
  return s;
}
std::string_view as_view(const ArenaBytes& b) {
  return b.view();
}

struct KeyHash {
  using is_transparent = void;
  template <typename K>
  size_t operator()(const K& key) const {
    return std::hash<std::string_view>{}(as_view(key));
  }
};

struct KeyEqual {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return as_view(a) == as_view(b);
  }
};

using Table = std::pmr::unordered_map<ArenaBytes, ArenaBytes, KeyHash, KeyEqual>;

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(std::shared_ptr<Arena> arena)
      : arena_(std::move(arena)), resource_(*arena_) {
    for (auto& shard : shards_) shard = std::make_unique<Shard>(&resource_);
  }

  ~MemoryStore() override {
    for (auto& shard : shards_) free_all(shard->map);
  }

  const char* name() const override { return "memory"; }

  bool get(std::string_view key, std::string* value) override {
    Shard& shard = shard_for(key);
    std::shared_lock lock(shard.mutex);
    auto it = shard.map.find(key);
    if (it == shard.map.end()) return false;
    value->assign(it->second.view());
    return true;
  }

  void put(std::string_view key, std::string_view value) override {
    put_owned(key, OwnedBytes(*arena_, arena_bytes_copy(*arena_, value)));
  }

  void put_owned(std::string_view key, OwnedBytes value) override {
    adopt(value);
    Shard& shard = shard_for(key);
    ArenaBytes old;
    {
      std::unique_lock lock(shard.mutex);
      old = install(shard, key, value);
    }
    arena_bytes_free(*arena_, old);  // outside the lock: readers of the shard need not wait
  }

  void remove(std::string_view key) override {
    Shard& shard = shard_for(key);
    ArenaBytes old_key, old_value;
    {
      std::unique_lock lock(shard.mutex);
      auto it = shard.map.find(key);
      if (it == shard.map.end()) return;
      old_key = it->first;
      old_value = it->second;
      shard.bytes -= old_key.block_size() + old_value.block_size();
      shard.map.erase(it);
    }
    arena_bytes_free(*arena_, old_key);
    arena_bytes_free(*arena_, old_value);
  }

  void put_many(std::vector<std::pair<std::string_view, OwnedBytes>> kvs) override {
    for (auto& kv : kvs) adopt(kv.second);
    // Take every shard involved, in index order, so readers never see half of the batch.
    std::array<bool, kShards> involved{};
    for (const auto& kv : kvs) involved[shard_index(kv.first)] = true;
    std::vector<ArenaBytes> displaced;
    {
      std::vector<std::unique_lock<std::shared_mutex>> locks;
      for (size_t i = 0; i < kShards; ++i) {
        if (involved[i]) locks.emplace_back(shards_[i]->mutex);
      }
      for (auto& [key, value] : kvs) {
        ArenaBytes old = install(*shards_[shard_index(key)], key, value);
        if (old.block != nullptr) displaced.push_back(old);
      }
    }
    for (ArenaBytes& old : displaced) arena_bytes_free(*arena_, old);
  }

  void for_each_value(const std::function<void(std::string_view)>& visit) override {
    for (auto& shard : shards_) {
      std::shared_lock lock(shard->mutex);
      for (const auto& kv : shard->map) visit(kv.second.view());
    }
  }

  void clear() override {
    for (auto& shard : shards_) {
      Table taken(&resource_);
      {
        std::unique_lock lock(shard->mutex);
        taken.swap(shard->map);
        shard->bytes = 0;
      }
      free_all(taken);
    }
  }

  void flush() override {}

  std::vector<std::pair<std::string, std::string>> info() const override {
    size_t keys = 0, bytes = 0;
    for (const auto& shard : shards_) {
      std::shared_lock lock(shard->mutex);
      keys += shard->map.size();
      bytes += shard->bytes;
    }
    return {{"store", "memory"},
            {"durable", "0"},
            {"memory_store_keys", std::to_string(keys)},
            {"memory_store_bytes", std::to_string(bytes)},  // key and value blocks, no nodes
            {"memory_store_allocator", arena_->name()}};
  }

 private:
  static constexpr size_t kShards = 64;
  struct Shard {
    explicit Shard(std::pmr::memory_resource* resource) : map(resource) {}
    std::shared_mutex mutex;
    Table map;
    size_t bytes = 0;  // block sizes of keys and values, under mutex
  };

  static size_t shard_index(std::string_view key) { return KeyHash{}(key) % kShards; }
  Shard& shard_for(std::string_view key) { return *shards_[shard_index(key)]; }

  // A value from another arena object is copied into ours, so every block is freed where it
  // came from.
  void adopt(OwnedBytes& value) {
    if (value.arena() != arena_.get()) {
      value = OwnedBytes(*arena_, arena_bytes_copy(*arena_, value.view()));
    }
  }

  // Stores value under key (the shard is locked) and returns the value it replaced, if any.
  // value keeps its block if this throws (std::bad_alloc for the key or the node).
  ArenaBytes install(Shard& shard, std::string_view key, OwnedBytes& value) {
    auto it = shard.map.find(key);
    if (it != shard.map.end()) {
      ArenaBytes old = it->second;
      it->second = value.release();
      shard.bytes += it->second.block_size();
      shard.bytes -= old.block_size();
      return old;
    }
    ArenaBytes copy = arena_bytes_copy(*arena_, key);
    try {
      shard.map.emplace(copy, value.bytes());
    } catch (...) {
      arena_bytes_free(*arena_, copy);
      throw;
    }
    shard.bytes += copy.block_size() + value.bytes().block_size();
    value.release();
    return {};
  }

  void free_all(Table& table) {
    for (auto& kv : table) {
      ArenaBytes key = kv.first;
      arena_bytes_free(*arena_, key);
      arena_bytes_free(*arena_, kv.second);
    }
    table.clear();
  }

  std::shared_ptr<Arena> arena_;  // first: outlives the table and its resource
  ArenaResource resource_;
  std::array<std::unique_ptr<Shard>, kShards> shards_;
};

}  // namespace

std::unique_ptr<Store> make_memory_store(std::shared_ptr<Arena> arena) {
  return std::make_unique<MemoryStore>(std::move(arena));
}

}  // namespace hakmem::server
