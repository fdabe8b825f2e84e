// Stored value layout: one flag byte, then (if the value expires) 8 bytes of big-endian unix
// milliseconds, then the body. Wall-clock time so TTLs mean the same after a restart. The flag's
// bit 0 says whether the expiry follows, bits 4..6 the key's type; a string's body is its bytes,
// a collection's body belongs to the store (the memory store: a pointer to the container;
// RocksDB: the collection's metadata, see store_rocksdb.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hakmem::server {

constexpr char kNoExpiry = 0;
constexpr char kHasExpiry = 1;

enum class KeyType : uint8_t { kString = 0, kList = 1, kHash = 2, kSet = 3, kZSet = 4, kNone = 15 };

inline const char* key_type_name(KeyType type) {
  switch (type) {
    case KeyType::kString:
      return "string";
    case KeyType::kList:
      return "list";
    case KeyType::kHash:
      return "hash";
    case KeyType::kSet:
      return "set";
    case KeyType::kZSet:
      return "zset";
    case KeyType::kNone:
      break;
  }
  return "none";
}

inline int64_t unix_millis_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The longest header: the flag byte and the expiry.
constexpr size_t kMaxValueHeader = 9;

// Writes the header for expire_at_ms (0: never expires) into out and returns its length.
inline size_t encode_value_header(char* out, int64_t expire_at_ms,
                                  KeyType type = KeyType::kString) {
  const char kind = static_cast<char>(static_cast<uint8_t>(type) << 4);
  if (expire_at_ms == 0) {
    out[0] = static_cast<char>(kNoExpiry | kind);
    return 1;
  }
  out[0] = static_cast<char>(kHasExpiry | kind);
  for (int i = 1; i <= 8; ++i) {
    out[i] = static_cast<char>((static_cast<uint64_t>(expire_at_ms) >> (64 - 8 * i)) & 0xff);
  }
  return kMaxValueHeader;
}

// expire_at_ms == 0: never expires.
inline void encode_value(std::string* out, std::string_view value, int64_t expire_at_ms,
                         KeyType type = KeyType::kString) {
  char header[kMaxValueHeader];
  const size_t length = encode_value_header(header, expire_at_ms, type);
  out->clear();
  out->reserve(length + value.size());
  out->append(header, length);
  out->append(value);
}

struct DecodedValue {
  std::string_view value;  // the body
  int64_t expire_at_ms = 0;
  KeyType type = KeyType::kNone;
  bool valid = false;  // false for bytes that were not written by encode_value
  bool expired(int64_t now_ms) const { return expire_at_ms != 0 && expire_at_ms <= now_ms; }
};

inline DecodedValue decode_value(std::string_view stored) {
  DecodedValue d;
  if (stored.empty()) return d;
  const auto flag = static_cast<uint8_t>(stored[0]);
  if ((flag & 0x8e) != 0 || (flag >> 4) > static_cast<uint8_t>(KeyType::kZSet)) return d;
  d.type = static_cast<KeyType>(flag >> 4);
  if ((flag & 1) == 0) {
    d.value = stored.substr(1);
    d.valid = true;
  } else if (stored.size() >= 9) {
    uint64_t at = 0;
    for (int i = 1; i <= 8; ++i) at = (at << 8) | static_cast<unsigned char>(stored[i]);
    d.expire_at_ms = static_cast<int64_t>(at);
    d.value = stored.substr(9);
    d.valid = true;
  }
  return d;
}

}  // namespace hakmem::server
