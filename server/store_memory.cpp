// In-memory store: a sharded hash map. Nothing survives a restart.
#include <array>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "store.h"

namespace hakmem::server {
namespace {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class MemoryStore final : public Store {
 public:
  const char* name() const override { return "memory"; }

  bool get(std::string_view key, std::string* value) override {
    Shard& shard = shard_for(key);
    std::shared_lock lock(shard.mutex);
    auto it = shard.map.find(key);
    if (it == shard.map.end()) return false;
    value->assign(it->second);
    return true;
  }

  void put(std::string_view key, std::string_view value) override {
    Shard& shard = shard_for(key);
    std::unique_lock lock(shard.mutex);
    auto it = shard.map.find(key);
    if (it == shard.map.end()) {
      shard.map.emplace(std::string(key), std::string(value));
    } else {
      it->second.assign(value);
    }
  }

  void remove(std::string_view key) override {
    Shard& shard = shard_for(key);
    std::unique_lock lock(shard.mutex);
    auto it = shard.map.find(key);
    if (it != shard.map.end()) shard.map.erase(it);
  }

  void put_many(const std::vector<std::pair<std::string_view, std::string_view>>& kvs) override {
    // Take every shard involved, in index order, so readers never see half of the batch.
    std::array<bool, kShards> involved{};
    for (const auto& kv : kvs) involved[shard_index(kv.first)] = true;
    std::vector<std::unique_lock<std::shared_mutex>> locks;
    for (size_t i = 0; i < kShards; ++i) {
      if (involved[i]) locks.emplace_back(shards_[i].mutex);
    }
    for (const auto& [key, value] : kvs) {
      auto& map = shards_[shard_index(key)].map;
      auto it = map.find(key);
      if (it == map.end()) {
        map.emplace(std::string(key), std::string(value));
      } else {
        it->second.assign(value);
      }
    }
  }

  void for_each_value(const std::function<void(std::string_view)>& visit) override {
    for (Shard& shard : shards_) {
      std::shared_lock lock(shard.mutex);
      for (const auto& kv : shard.map) visit(kv.second);
    }
  }

  void clear() override {
    for (Shard& shard : shards_) {
      std::unique_lock lock(shard.mutex);
      shard.map.clear();
    }
  }

  void flush() override {}

  std::vector<std::pair<std::string, std::string>> info() const override {
    return {{"store", "memory"}, {"durable", "0"}};
  }

 private:
  static constexpr size_t kShards = 64;
  struct Shard {
    std::shared_mutex mutex;
    std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> map;
  };

  static size_t shard_index(std::string_view key) { return StringHash{}(key) % kShards; }
  Shard& shard_for(std::string_view key) { return shards_[shard_index(key)]; }

  std::array<Shard, kShards> shards_;
};

}  // namespace

std::unique_ptr<Store> make_memory_store() {
  return std::make_unique<MemoryStore>();
}

}  // namespace hakmem::server
