// Bytes in an arena block that remember the thread that allocated them, so that the thread that
// frees them (often another one) is counted as such. This is how a value changes hands: the I/O
// thread allocates it while parsing, the store keeps the very same block, and the worker that
// overwrites, deletes or expires it frees it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

#include "arena.h"

namespace hakmem::server {

// The block is offset + size + 1 bytes: room in front (the parser leaves some, so a header can
// be written there in place), the bytes, a NUL.
struct ArenaBytes {
  char* block = nullptr;
  size_t size = 0;
  uint32_t offset = 0;
  uint32_t owner_tag = kUnknownOwner;

  std::string_view view() const { return {block + offset, size}; }
  size_t block_size() const { return offset + size + 1; }
};

// A copy of bytes in a new block allocated by this thread. Throws std::bad_alloc.
inline ArenaBytes arena_bytes_copy(Arena& arena, std::string_view bytes) {
  ArenaBytes b;
  b.block = static_cast<char*>(arena.allocate(bytes.size() + 1));
  if (!bytes.empty()) std::memcpy(b.block, bytes.data(), bytes.size());
  b.block[bytes.size()] = '\0';
  b.size = bytes.size();
  b.owner_tag = this_thread_tag();
  return b;
}

inline void arena_bytes_free(Arena& arena, ArenaBytes& b) noexcept {
  if (b.block != nullptr) arena.deallocate(b.block, b.block_size(), b.owner_tag);
  b = ArenaBytes{};
}

// ArenaBytes with a single owner that frees them unless they are released to another owner.
class OwnedBytes {
 public:
  OwnedBytes() = default;
  OwnedBytes(Arena& arena, ArenaBytes bytes) : arena_(&arena), bytes_(bytes) {}
  OwnedBytes(OwnedBytes&& other) noexcept
      : arena_(other.arena_), bytes_(std::exchange(other.bytes_, ArenaBytes{})) {}
  OwnedBytes& operator=(OwnedBytes&& other) noexcept {
    if (this != &other) {
      reset();
      arena_ = other.arena_;
      bytes_ = std::exchange(other.bytes_, ArenaBytes{});
    }
    return *this;
  }
  ~OwnedBytes() { reset(); }

  std::string_view view() const { return bytes_.view(); }
  const ArenaBytes& bytes() const { return bytes_; }
  Arena* arena() const { return arena_; }
  // Writes prefix into the room in front and makes it part of the bytes; false without room.
  bool prepend(std::string_view prefix) {
    if (bytes_.block == nullptr || prefix.size() > bytes_.offset) return false;
    bytes_.offset -= static_cast<uint32_t>(prefix.size());
    bytes_.size += prefix.size();
    std::memcpy(bytes_.block + bytes_.offset, prefix.data(), prefix.size());
    return true;
  }
  // The new owner frees them (with arena_bytes_free on arena()).
  ArenaBytes release() noexcept { return std::exchange(bytes_, ArenaBytes{}); }
  void reset() noexcept {
    if (arena_ != nullptr) arena_bytes_free(*arena_, bytes_);
  }

 private:
  Arena* arena_ = nullptr;
  ArenaBytes bytes_;
};

}  // namespace hakmem::server
