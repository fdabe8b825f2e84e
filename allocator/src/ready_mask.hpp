// Per size class, one bit per indexed heap whose pending queue is (probably) non-empty, plus
// one bit per heap whose thread has exited. Adopters and orphan claimers find a victim with a
// few word scans instead of visiting every thread. A stale set bit is harmless (the finder
// sees an empty queue and clears it); a missing bit is prevented by re-checking the queue
// after every clear (seq_cst on both sides).
#pragma once

#include <atomic>
#include <cstdint>

#include "config.hpp"
#include "size_class.hpp"

namespace hakmem {

inline constexpr uint32_t kMaskWords = kMaxIndexedHeaps / 64;

struct ReadyMasks {
  std::atomic<uint64_t> ready[kClassCount][kMaskWords];
  std::atomic<uint64_t> dead[kMaskWords];
  std::atomic<int64_t> adoptable[kClassCount];  // pages in pending queues, per class
  std::atomic<int64_t> emptied[kClassCount];    // the queues' `emptied` hints summed, per class

  void set_ready(size_t cls, uint32_t heap) {
    if (heap == kNoHeapIndex) return;
    ready[cls][heap / 64].fetch_or(uint64_t{1} << (heap % 64), std::memory_order_seq_cst);
  }
  void clear_ready(size_t cls, uint32_t heap) {
    if (heap == kNoHeapIndex) return;
    ready[cls][heap / 64].fetch_and(~(uint64_t{1} << (heap % 64)), std::memory_order_seq_cst);
  }
  void set_dead(uint32_t heap, bool is_dead) {
    if (heap == kNoHeapIndex) return;
    uint64_t bit = uint64_t{1} << (heap % 64);
    if (is_dead)
      dead[heap / 64].fetch_or(bit, std::memory_order_seq_cst);
    else
      dead[heap / 64].fetch_and(~bit, std::memory_order_seq_cst);
  }
};

extern ReadyMasks g_masks;

}  // namespace hakmem
