// The memory store's lists, hashes, sets and sorted sets (store_memory.h). Every method runs
// under the key's lock (KeyLocks), which is what keeps the container alive and unshared while it
// is used; the shard's lock only guards the table itself.
#include <algorithm>
#include <iterator>
#include <mutex>

#include "store_memory.h"

namespace hakmem::server {

template <typename T>
T* MemoryStore::find(std::string_view key) {
  Shard& shard = shard_for(key);
  std::shared_lock lock(shard.mutex);
  auto it = shard.map.find(key);
  if (it == shard.map.end()) return nullptr;
  DecodedValue d = decode_value(it->second.view());
  if (!d.valid || d.type != kTypeOf<T>) return nullptr;
  return static_cast<T*>(collection_pointer(d.value));
}

template <typename T>
T* MemoryStore::find_or_create(std::string_view key) {
  if (T* existing = find<T>(key)) return existing;
  std::pmr::polymorphic_allocator<> alloc(&resource_);
  T* created = alloc.new_object<T>(&resource_);
  char value[kMaxValueHeader + sizeof(void*)];
  size_t length = encode_value_header(value, 0, kTypeOf<T>);
  std::memcpy(value + length, &created, sizeof(created));
  try {
    put(key, std::string_view(value, length + sizeof(created)));  // replaces no live value
  } catch (...) {
    alloc.delete_object(created);
    throw;
  }
  return created;
}

template <typename T>
void MemoryStore::remove_if_empty(std::string_view key, const T& container) {
  bool empty;
  if constexpr (std::is_same_v<T, ListValue>) {
    empty = container.items.empty();
  } else if constexpr (std::is_same_v<T, HashValue>) {
    empty = container.fields.empty();
  } else if constexpr (std::is_same_v<T, SetValue>) {
    empty = container.members.empty();
  } else {
    empty = container.scores.empty();
  }
  if (empty) remove(key);  // destroys the container
}

// Lists.

size_t MemoryStore::list_push(std::string_view key, bool front,
                              std::span<const std::string_view> values) {
  ListValue* list = find_or_create<ListValue>(key);
  for (std::string_view v : values) {
    front ? list->items.emplace_front(v) : list->items.emplace_back(v);
  }
  return list->items.size();
}

std::vector<std::string> MemoryStore::list_pop(std::string_view key, bool front, size_t count) {
  std::vector<std::string> out;
  ListValue* list = find<ListValue>(key);
  if (list == nullptr) return out;
  while (out.size() < count && !list->items.empty()) {
    if (front) {
      out.emplace_back(list->items.front());
      list->items.pop_front();
    } else {
      out.emplace_back(list->items.back());
      list->items.pop_back();
    }
  }
  remove_if_empty(key, *list);
  return out;
}

size_t MemoryStore::list_len(std::string_view key) {
  ListValue* list = find<ListValue>(key);
  return list == nullptr ? 0 : list->items.size();
}

void MemoryStore::list_visit(std::string_view key, size_t start, size_t stop,
                             const VisitOne& visit) {
  ListValue* list = find<ListValue>(key);
  if (list == nullptr) return;
  for (size_t i = start; i <= stop && i < list->items.size(); ++i) visit(list->items[i]);
}

void MemoryStore::list_replace(std::string_view key, const std::vector<std::string>& values) {
  if (values.empty()) return remove(key);
  ListValue* list = find_or_create<ListValue>(key);
  list->items.clear();
  for (const std::string& v : values) list->items.emplace_back(v);
}

// Hashes.

size_t MemoryStore::hash_set(std::string_view key, std::span<const FieldValue> pairs) {
  HashValue* hash = find_or_create<HashValue>(key);
  size_t added = 0;
  for (const auto& [field, value] : pairs) {
    auto it = hash->fields.find(field);
    if (it != hash->fields.end()) {
      it->second.assign(value);
    } else {
      hash->fields.emplace(field, value);
      ++added;
    }
  }
  return added;
}

std::optional<std::string> MemoryStore::hash_get(std::string_view key, std::string_view field) {
  HashValue* hash = find<HashValue>(key);
  if (hash == nullptr) return std::nullopt;
  auto it = hash->fields.find(field);
  if (it == hash->fields.end()) return std::nullopt;
  return std::string(it->second);
}

size_t MemoryStore::hash_del(std::string_view key, std::span<const std::string_view> fields) {
  HashValue* hash = find<HashValue>(key);
  if (hash == nullptr) return 0;
  size_t removed = 0;
  for (std::string_view field : fields) {
    auto it = hash->fields.find(field);
    if (it != hash->fields.end()) {
      hash->fields.erase(it);
      ++removed;
    }
  }
  remove_if_empty(key, *hash);
  return removed;
}

void MemoryStore::hash_visit(std::string_view key, const VisitPair& visit) {
  HashValue* hash = find<HashValue>(key);
  if (hash == nullptr) return;
  for (const auto& [field, value] : hash->fields) visit(field, value);
}

size_t MemoryStore::hash_len(std::string_view key) {
  HashValue* hash = find<HashValue>(key);
  return hash == nullptr ? 0 : hash->fields.size();
}

// Sets.

size_t MemoryStore::set_add(std::string_view key, std::span<const std::string_view> members) {
  SetValue* set = find_or_create<SetValue>(key);
  size_t added = 0;
  for (std::string_view m : members) {
    if (set->members.find(m) == set->members.end()) {
      set->members.emplace(m);
      ++added;
    }
  }
  return added;
}

size_t MemoryStore::set_rem(std::string_view key, std::span<const std::string_view> members) {
  SetValue* set = find<SetValue>(key);
  if (set == nullptr) return 0;
  size_t removed = 0;
  for (std::string_view m : members) {
    auto it = set->members.find(m);
    if (it != set->members.end()) {
      set->members.erase(it);
      ++removed;
    }
  }
  remove_if_empty(key, *set);
  return removed;
}

bool MemoryStore::set_has(std::string_view key, std::string_view member) {
  SetValue* set = find<SetValue>(key);
  return set != nullptr && set->members.find(member) != set->members.end();
}

void MemoryStore::set_visit(std::string_view key, const VisitOne& visit) {
  SetValue* set = find<SetValue>(key);
  if (set == nullptr) return;
  for (const auto& m : set->members) visit(m);
}

size_t MemoryStore::set_card(std::string_view key) {
  SetValue* set = find<SetValue>(key);
  return set == nullptr ? 0 : set->members.size();
}

std::vector<std::string> MemoryStore::set_pop(std::string_view key, size_t count) {
  std::vector<std::string> out;
  SetValue* set = find<SetValue>(key);
  if (set == nullptr) return out;
  while (out.size() < count && !set->members.empty()) {
    auto it = set->members.begin();  // the table's order: arbitrary, not random
    out.emplace_back(*it);
    set->members.erase(it);
  }
  remove_if_empty(key, *set);
  return out;
}

// Sorted sets.

size_t MemoryStore::zset_add(std::string_view key, std::span<const MemberScore> members) {
  ZSetValue* zset = find_or_create<ZSetValue>(key);
  size_t added = 0;
  for (const auto& [member, score] : members) {
    auto it = zset->scores.find(member);
    if (it != zset->scores.end()) {
      if (it->second == score) continue;
      zset->order.erase(zset->order.find(std::pair<double, std::string_view>(it->second, member)));
      it->second = score;
    } else {
      zset->scores.emplace(member, score);
      ++added;
    }
    zset->order.emplace(score, member);
  }
  return added;
}

std::optional<double> MemoryStore::zset_score(std::string_view key, std::string_view member) {
  ZSetValue* zset = find<ZSetValue>(key);
  if (zset == nullptr) return std::nullopt;
  auto it = zset->scores.find(member);
  if (it == zset->scores.end()) return std::nullopt;
  return it->second;
}

size_t MemoryStore::zset_rem(std::string_view key, std::span<const std::string_view> members) {
  ZSetValue* zset = find<ZSetValue>(key);
  if (zset == nullptr) return 0;
  size_t removed = 0;
  for (std::string_view member : members) {
    auto it = zset->scores.find(member);
    if (it == zset->scores.end()) continue;
    zset->order.erase(zset->order.find(std::pair<double, std::string_view>(it->second, member)));
    zset->scores.erase(it);
    ++removed;
  }
  remove_if_empty(key, *zset);
  return removed;
}

// std::set has no rank: walking to it is O(rank).
void MemoryStore::zset_visit(std::string_view key, size_t start, size_t stop,
                             const VisitScored& visit) {
  ZSetValue* zset = find<ZSetValue>(key);
  if (zset == nullptr || start >= zset->order.size()) return;
  auto it = std::next(zset->order.begin(), static_cast<ptrdiff_t>(start));
  for (size_t i = start; i <= stop && it != zset->order.end(); ++i, ++it) {
    visit(it->second, it->first);
  }
}

std::optional<size_t> MemoryStore::zset_rank(std::string_view key, std::string_view member) {
  ZSetValue* zset = find<ZSetValue>(key);
  if (zset == nullptr) return std::nullopt;
  auto score = zset->scores.find(member);
  if (score == zset->scores.end()) return std::nullopt;
  auto it = zset->order.find(std::pair<double, std::string_view>(score->second, member));
  return static_cast<size_t>(std::distance(zset->order.begin(), it));
}

size_t MemoryStore::zset_card(std::string_view key) {
  ZSetValue* zset = find<ZSetValue>(key);
  return zset == nullptr ? 0 : zset->scores.size();
}

}  // namespace hakmem::server
