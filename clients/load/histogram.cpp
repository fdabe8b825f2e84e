#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace hakmem::load {

namespace {
constexpr uint64_t kLinearLimit = uint64_t{1} << (Histogram::kSubBits + 1);  // 256
constexpr uint64_t kSubCount = uint64_t{1} << Histogram::kSubBits;           // 128
constexpr uint64_t kMaxValue = (uint64_t{1} << Histogram::kMaxBits) - 1;
}  // namespace

int Histogram::bucket_count() {
  return index_of(kMaxValue) + 1;
}

int Histogram::index_of(uint64_t value) {
  if (value < kLinearLimit) return static_cast<int>(value);
  const int msb = 63 - std::countl_zero(value);
  const int shift = msb - kSubBits;  // >= 1
  const uint64_t sub = (value >> shift) - kSubCount;
  return static_cast<int>(kLinearLimit + (shift - 1) * kSubCount + sub);
}

uint64_t Histogram::lowest_of(int index) {
  const auto i = static_cast<uint64_t>(index);
  if (i < kLinearLimit) return i;
  const uint64_t shift = (i - kLinearLimit) / kSubCount + 1;
  const uint64_t sub = (i - kLinearLimit) % kSubCount + kSubCount;
  return sub << shift;
}

uint64_t Histogram::highest_of(int index) {
  const auto i = static_cast<uint64_t>(index);
  if (i < kLinearLimit) return i;
  const uint64_t shift = (i - kLinearLimit) / kSubCount + 1;
  return lowest_of(index) + (uint64_t{1} << shift) - 1;
}

Histogram::Histogram() : counts_(static_cast<size_t>(bucket_count()), 0) {}

void Histogram::record(uint64_t value, uint64_t count) {
  if (count == 0) return;
  if (value > kMaxValue) {
    value = kMaxValue;
    clamped_ += count;
  }
  counts_[static_cast<size_t>(index_of(value))] += count;
  total_ += count;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  const double v = static_cast<double>(value);
  sum_ += v * static_cast<double>(count);
  sum_sq_ += v * v * static_cast<double>(count);
}

void Histogram::merge(const Histogram& other) {
  if (other.total_ == 0) return;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  clamped_ += other.clamped_;
  sum_ += other.sum_;
  sum_sq_ += other.sum_sq_;
}

void Histogram::reset() {
  if (total_ == 0 && clamped_ == 0) return;  // nothing to clear (most per-command rows)
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  clamped_ = 0;
  sum_ = 0;
  sum_sq_ = 0;
}

double Histogram::mean() const {
  return total_ ? sum_ / static_cast<double>(total_) : 0.0;
}

double Histogram::stddev() const {
  if (total_ == 0) return 0.0;
  const double m = mean();
  return std::sqrt(std::max(0.0, sum_sq_ / static_cast<double>(total_) - m * m));
}

uint64_t Histogram::value_at_percentile(double percentile) const {
  if (total_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // Rank of the wanted value (1-based); percentile 0 means the minimum.
  auto rank = static_cast<uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(total_)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const int idx = static_cast<int>(i);
      return std::clamp(highest_of(idx), min_, max_);
    }
  }
  return max_;
}

}  // namespace hakmem::load
