// The memory store's collections: std::pmr containers whose nodes and strings come from the
// server's arena, like the store's own table. A collection's stored value is its header
// (value_codec.h) followed by a pointer to one of these.
#pragma once

#include <cstring>
#include <deque>
#include <memory_resource>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "value_codec.h"

namespace hakmem::server {

using PString = std::pmr::string;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct StringEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

struct ListValue {
  explicit ListValue(std::pmr::memory_resource* r) : items(r) {}
  std::pmr::deque<PString> items;
};

struct HashValue {
  explicit HashValue(std::pmr::memory_resource* r) : fields(r) {}
  std::pmr::unordered_map<PString, PString, StringHash, StringEqual> fields;
};

struct SetValue {
  explicit SetValue(std::pmr::memory_resource* r) : members(r) {}
  std::pmr::unordered_set<PString, StringHash, StringEqual> members;
};

// Ordered by (score, member), as Redis orders a sorted set.
struct ScoreLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    if (a.first != b.first) return a.first < b.first;
    return std::string_view(a.second) < std::string_view(b.second);
  }
};

struct ZSetValue {
  explicit ZSetValue(std::pmr::memory_resource* r) : scores(r), order(r) {}
  std::pmr::unordered_map<PString, double, StringHash, StringEqual> scores;
  std::pmr::set<std::pair<double, PString>, ScoreLess> order;
};

template <typename T>
constexpr KeyType kTypeOf = KeyType::kNone;
template <>
constexpr KeyType kTypeOf<ListValue> = KeyType::kList;
template <>
constexpr KeyType kTypeOf<HashValue> = KeyType::kHash;
template <>
constexpr KeyType kTypeOf<SetValue> = KeyType::kSet;
template <>
constexpr KeyType kTypeOf<ZSetValue> = KeyType::kZSet;

inline void* collection_pointer(std::string_view body) {
  void* p = nullptr;
  if (body.size() == sizeof(p)) std::memcpy(&p, body.data(), sizeof(p));
  return p;
}

// Destroys the container a collection's stored value points to (nothing for a string).
inline void destroy_collection(std::pmr::memory_resource* resource, std::string_view stored) {
  DecodedValue d = decode_value(stored);
  if (!d.valid || d.type == KeyType::kString) return;
  void* p = collection_pointer(d.value);
  if (p == nullptr) return;
  std::pmr::polymorphic_allocator<> alloc(resource);
  switch (d.type) {
    case KeyType::kList:
      return alloc.delete_object(static_cast<ListValue*>(p));
    case KeyType::kHash:
      return alloc.delete_object(static_cast<HashValue*>(p));
    case KeyType::kSet:
      return alloc.delete_object(static_cast<SetValue*>(p));
    case KeyType::kZSet:
      return alloc.delete_object(static_cast<ZSetValue*>(p));
    default:
      return;
  }
}

}  // namespace hakmem::server
