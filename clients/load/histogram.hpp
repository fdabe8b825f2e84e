// HDR-style log-linear latency histogram (HdrHistogram_c is not packaged on Debian).
//
// Values are integers (the load generator records nanoseconds). Values below 2^(kSubBits+1) get
// one bucket each; above, every power of two [2^e, 2^(e+1)) is split into 2^kSubBits equal
// buckets, so a bucket's width is at most 1/2^kSubBits = 1/128 of its values: < 0.8% relative
// error, reported as the bucket's highest value (never under-reporting latency). The range
// covers up to 2^kMaxBits ns (~18 minutes); larger values are clamped and counted.
#pragma once

#include <cstdint>
#include <vector>

namespace hakmem::load {

class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr int kMaxBits = 40;

  Histogram();

  void record(uint64_t value, uint64_t count = 1);
  void merge(const Histogram& other);
  void reset();

  uint64_t count() const { return total_; }
  uint64_t min() const { return total_ ? min_ : 0; }
  uint64_t max() const { return max_; }  // exact
  double mean() const;
  double stddev() const;
  uint64_t clamped() const { return clamped_; }

  // Smallest recorded value v such that at least `percentile`% of the values are <= v, within
  // one bucket (reported as the bucket's highest equivalent value, capped at the exact max).
  uint64_t value_at_percentile(double percentile) const;

  // Bucket geometry, public for iteration (report) and tests.
  static int bucket_count();
  static int index_of(uint64_t value);
  static uint64_t lowest_of(int index);
  static uint64_t highest_of(int index);  // inclusive
  uint64_t count_at(int index) const { return counts_[index]; }

 private:
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  uint64_t clamped_ = 0;
  double sum_ = 0;     // for the mean
  double sum_sq_ = 0;  // for the standard deviation
};

}  // namespace hakmem::load
