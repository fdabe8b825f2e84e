// Stored value layout: one flag byte, then (if the value expires) 8 bytes of big-endian unix
// milliseconds, then the user's bytes. Wall-clock time so TTLs mean the same after a restart.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hakmem::server {

constexpr char kNoExpiry = 0;
constexpr char kHasExpiry = 1;

inline int64_t unix_millis_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The longest header: the flag byte and the expiry.
constexpr size_t kMaxValueHeader = 9;

// Writes the header for expire_at_ms (0: never expires) into out and returns its length.
inline size_t encode_value_header(char* out, int64_t expire_at_ms) {
  if (expire_at_ms == 0) {
    out[0] = kNoExpiry;
    return 1;
  }
  out[0] = kHasExpiry;
  for (int i = 1; i <= 8; ++i) {
    out[i] = static_cast<char>((static_cast<uint64_t>(expire_at_ms) >> (64 - 8 * i)) & 0xff);
  }
  return kMaxValueHeader;
}

// expire_at_ms == 0: never expires.
inline void encode_value(std::string* out, std::string_view value, int64_t expire_at_ms) {
  char header[kMaxValueHeader];
  const size_t length = encode_value_header(header, expire_at_ms);
  out->clear();
  out->reserve(length + value.size());
  out->append(header, length);
  out->append(value);
}

struct DecodedValue {
  std::string_view value;
  int64_t expire_at_ms = 0;
  bool valid = false;  // false for bytes that were not written by encode_value
  bool expired(int64_t now_ms) const { return expire_at_ms != 0 && expire_at_ms <= now_ms; }
};

inline DecodedValue decode_value(std::string_view stored) {
  DecodedValue d;
  if (stored.empty()) return d;
  if (stored[0] == kNoExpiry) {
    d.value = stored.substr(1);
    d.valid = true;
  } else if (stored[0] == kHasExpiry && stored.size() >= 9) {
    uint64_t at = 0;
    for (int i = 1; i <= 8; ++i) at = (at << 8) | static_cast<unsigned char>(stored[i]);
    d.expire_at_ms = static_cast<int64_t>(at);
    d.value = stored.substr(9);
    d.valid = true;
  }
  return d;
}

}  // namespace hakmem::server
