// Byte helpers for the RocksDB store's files: rocksdb::Slice of a string_view, and the
// 8-byte big-endian integers of the sub-key layout (store_rocksdb.h), which sort as numbers.
#pragma once

#include <rocksdb/slice.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace hakmem::server::rocksdb_bytes {

inline rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

inline void put_u64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline uint64_t get_u64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

}  // namespace hakmem::server::rocksdb_bytes
