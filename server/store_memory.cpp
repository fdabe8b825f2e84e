#include "store_memory.h"

#include <algorithm>
#include <mutex>
#include <new>

namespace hakmem::server {

void* ArenaResource::do_allocate(size_t bytes, size_t alignment) {
  if (alignment > alignof(std::max_align_t)) throw std::bad_alloc();
  void* p = arena_.allocate(bytes);
  if (reinterpret_cast<uintptr_t>(p) % alignment != 0) {
    arena_.deallocate(p, bytes, kUnknownOwner);
    throw std::bad_alloc();
  }
  return p;
}

MemoryStore::MemoryStore(std::shared_ptr<Arena> arena)
    : arena_(std::move(arena)), resource_(*arena_) {
  for (auto& shard : shards_) shard = std::make_unique<Shard>(&resource_);
}

MemoryStore::~MemoryStore() {
  for (auto& shard : shards_) free_all(shard->map);
}

bool MemoryStore::get(std::string_view key, std::string* value) {
  Shard& shard = shard_for(key);
  std::shared_lock lock(shard.mutex);
  auto it = shard.map.find(key);
  if (it == shard.map.end()) return false;
  value->assign(it->second.view());
  return true;
}

void MemoryStore::put(std::string_view key, std::string_view value) {
  put_owned(key, OwnedBytes(*arena_, arena_bytes_copy(*arena_, value)));
}

void MemoryStore::put_owned(std::string_view key, OwnedBytes value) {
  adopt(value);
  Shard& shard = shard_for(key);
  ArenaBytes old;
  {
    std::unique_lock lock(shard.mutex);
    old = install(shard, key, value);
  }
  free_value(old);  // outside the lock: readers of the shard need not wait
}

void MemoryStore::remove(std::string_view key) {
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
  free_value(old_value);
}

void MemoryStore::put_many(std::vector<std::pair<std::string_view, OwnedBytes>> kvs) {
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
  for (ArenaBytes& old : displaced) free_value(old);
}

void MemoryStore::for_each(const std::function<void(std::string_view, std::string_view)>& visit) {
  for (auto& shard : shards_) {
    std::shared_lock lock(shard->mutex);
    for (const auto& kv : shard->map) visit(kv.first.view(), kv.second.view());
  }
}

// The cursor is the shard (top 7 bits) and a position in the order of the keys' hashes (the
// other 57 bits): that order does not change when the table grows, so a key that stays is seen.
// A call returns at least count keys and at least a sixteenth of the shard, so a whole scan
// costs about 16 passes over the table whatever COUNT is.
uint64_t MemoryStore::scan(uint64_t cursor, size_t count,
                           const std::function<void(std::string_view, std::string_view)>& visit) {
  constexpr int kPosBits = 57;
  constexpr uint64_t kPosMask = (uint64_t{1} << kPosBits) - 1;
  size_t shard_no = cursor >> kPosBits;
  uint64_t pos = cursor & kPosMask;
  size_t visited = 0;
  for (; shard_no < kShards && visited < count; ++shard_no, pos = 0) {
    Shard& shard = *shards_[shard_no];
    std::shared_lock lock(shard.mutex);
    std::vector<std::pair<uint64_t, const Table::value_type*>> after;
    for (const auto& kv : shard.map) {
      uint64_t h = BytesHash{}(kv.first) >> (64 - kPosBits);
      if (h >= pos) after.emplace_back(h, &kv);
    }
    const size_t take = std::max({count - visited, shard.map.size() / 16, size_t{1}});
    if (after.size() <= take) {
      for (const auto& e : after) visit(e.second->first.view(), e.second->second.view());
      visited += after.size();
      continue;
    }
    std::nth_element(after.begin(), after.begin() + take - 1, after.end());
    const uint64_t last = after[take - 1].first;
    // Keys that share the last hash go together, so the next position skips none of them.
    for (const auto& e : after) {
      if (e.first <= last) visit(e.second->first.view(), e.second->second.view());
    }
    if (last < kPosMask) return (uint64_t{shard_no} << kPosBits) | (last + 1);
  }
  return shard_no >= kShards ? 0 : uint64_t{shard_no} << kPosBits;
}

bool MemoryStore::set_expire(std::string_view key, int64_t expire_at_ms) {
  Shard& shard = shard_for(key);
  ArenaBytes old;
  {
    std::unique_lock lock(shard.mutex);
    auto it = shard.map.find(key);
    if (it == shard.map.end()) return false;
    DecodedValue d = decode_value(it->second.view());
    if (!d.valid) return false;
    thread_local std::string encoded;
    encode_value(&encoded, d.value, expire_at_ms, d.type);
    ArenaBytes fresh = arena_bytes_copy(*arena_, encoded);
    old = it->second;
    it->second = fresh;
    shard.bytes += fresh.block_size();
    shard.bytes -= old.block_size();
  }
  arena_bytes_free(*arena_, old);  // only the block: a collection's container moved over
  return true;
}

void MemoryStore::rename(std::string_view from, std::string_view to) {
  if (from == to) return;
  const size_t a = shard_index(from), b = shard_index(to);
  ArenaBytes old_key, displaced;
  {
    std::unique_lock<std::shared_mutex> first(shards_[std::min(a, b)]->mutex);
    std::unique_lock<std::shared_mutex> second;
    if (a != b) second = std::unique_lock<std::shared_mutex>(shards_[std::max(a, b)]->mutex);
    Shard& source = *shards_[a];
    auto it = source.map.find(from);
    if (it == source.map.end()) return;
    OwnedBytes value(*arena_, it->second);
    old_key = it->first;
    source.bytes -= old_key.block_size() + it->second.block_size();
    source.map.erase(it);
    displaced = install(*shards_[b], to, value);
  }
  arena_bytes_free(*arena_, old_key);
  free_value(displaced);
}

void MemoryStore::clear() {
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

std::vector<std::pair<std::string, std::string>> MemoryStore::info() const {
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

// A value from another arena object is copied into ours, so every block is freed where it came
// from.
void MemoryStore::adopt(OwnedBytes& value) {
  if (value.arena() != arena_.get()) {
    value = OwnedBytes(*arena_, arena_bytes_copy(*arena_, value.view()));
  }
}

// Stores value under key (the shard is locked) and returns the value it replaced, if any.
// value keeps its block if this throws (std::bad_alloc for the key or the node).
ArenaBytes MemoryStore::install(Shard& shard, std::string_view key, OwnedBytes& value) {
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

void MemoryStore::free_value(ArenaBytes& value) {
  if (value.block == nullptr) return;
  destroy_collection(&resource_, value.view());
  arena_bytes_free(*arena_, value);
}

void MemoryStore::free_all(Table& table) {
  for (auto& kv : table) {
    ArenaBytes key = kv.first;
    ArenaBytes value = kv.second;
    arena_bytes_free(*arena_, key);
    free_value(value);
  }
  table.clear();
}

std::unique_ptr<Store> make_memory_store(std::shared_ptr<Arena> arena) {
  return std::make_unique<MemoryStore>(std::move(arena));
}

}  // namespace hakmem::server
