// What every workload shares: a small deterministic generator, and the tag a block carries in
// its first bytes, written after malloc and checked before free. The tag names the block's
// holder (a slot's address) and size, so a block handed out twice, lost and reused, or
// overwritten shows up as a wrong tag (bad_blocks). Only the first bytes are touched, as in
// the original benchmarks.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace hakmem::bench {

struct Rng {
  uint64_t state;
  uint32_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  }
  // Uniform in [lo, hi].
  uint32_t between(uint32_t lo, uint32_t hi) {
    return lo + static_cast<uint32_t>(next() % (static_cast<uint64_t>(hi) - lo + 1));
  }
};

// Out of memory ends the run with one line (exit 3) rather than a crash on a null block.
inline void* checked_malloc(size_t size) {
  void* p = malloc(size);
  if (p == nullptr) {
    fprintf(stderr, "hakmem-bench: malloc(%zu) failed\n", size);
    _Exit(3);
  }
  return p;
}

inline uint64_t block_tag(const void* holder, uint32_t size) {
  return (static_cast<uint64_t>(size) << 40) ^ reinterpret_cast<uintptr_t>(holder);
}

// Blocks smaller than 8 bytes carry the tag's first bytes only.
inline void tag_block(void* block, const void* holder, uint32_t size) {
  uint64_t tag = block_tag(holder, size);
  memcpy(block, &tag, size < 8 ? size : 8);
}

inline bool block_intact(const void* block, const void* holder, uint32_t size) {
  uint64_t tag = block_tag(holder, size);
  return memcmp(block, &tag, size < 8 ? size : 8) == 0;
}

}  // namespace hakmem::bench
