// How far the live set swung lately: the highest minus the lowest of the bytes in use sampled
// over the current and the previous half second. The adaptive purge delay keeps free pages
// committed for demand that comes back (xmalloc-test's live set swings by 30 MiB every few
// hundred milliseconds); a live set that stays level (Larson's) has no such demand, and the
// free pages its page churn leaves are then only memory. The swing says how many to keep.
#pragma once

#include <cstdint>

namespace hakmem {

struct DemandSwing {
  static constexpr uint64_t kBucketNs = 500000000;
  uint64_t bucket_start_ns = 0;
  uint64_t cur_min = UINT64_MAX, cur_max = 0;
  uint64_t prev_min = UINT64_MAX, prev_max = 0;

  // Records a sample and returns the swing over the two buckets.
  uint64_t sample(uint64_t now_ns, uint64_t in_use) {
    if (now_ns - bucket_start_ns >= kBucketNs) {
      prev_min = cur_min;
      prev_max = cur_max;
      cur_min = UINT64_MAX;
      cur_max = 0;
      bucket_start_ns = now_ns;
    }
    if (in_use < cur_min) cur_min = in_use;
    if (in_use > cur_max) cur_max = in_use;
    uint64_t lo = cur_min < prev_min ? cur_min : prev_min;
    uint64_t hi = cur_max > prev_max ? cur_max : prev_max;
    return hi - lo;
  }
};

}  // namespace hakmem
