#include "histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <vector>

#include "report.hpp"

using hakmem::load::Histogram;

namespace {

// Exact percentile with the histogram's definition: the smallest value with at least p% of the
// values at or below it.
uint64_t exact_percentile(const std::vector<uint64_t>& sorted, double p) {
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::max<size_t>(rank, 1);
  return sorted[rank - 1];
}

// Log-uniform values from 1 us to 60 s (in ns): every decade of the range equally represented.
std::vector<uint64_t> log_uniform_ns(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> exponent(3.0, std::log10(60e9));
  std::vector<uint64_t> v(n);
  for (auto& x : v) x = static_cast<uint64_t>(std::pow(10.0, exponent(rng)));
  return v;
}

}  // namespace

TEST(Histogram, BucketsTileTheRange) {
  const int buckets = Histogram::bucket_count();
  for (int i = 0; i + 1 < buckets; ++i) {
    ASSERT_EQ(Histogram::highest_of(i) + 1, Histogram::lowest_of(i + 1)) << i;
    ASSERT_EQ(Histogram::index_of(Histogram::lowest_of(i)), i);
    ASSERT_EQ(Histogram::index_of(Histogram::highest_of(i)), i);
    // A bucket is at most 1/128 of its values wide: the < 1% error bound.
    const double width = static_cast<double>(Histogram::highest_of(i) - Histogram::lowest_of(i));
    ASSERT_LE(width, static_cast<double>(std::max<uint64_t>(Histogram::lowest_of(i), 1)) / 128.0);
  }
  EXPECT_GE(Histogram::highest_of(buckets - 1), 60'000'000'000ull);  // 60 s in ns
}

TEST(Histogram, PercentilesWithinOnePercentOfExact) {
  for (uint64_t seed : {1, 2, 3}) {
    auto values = log_uniform_ns(200000, seed);
    Histogram h;
    for (auto v : values) h.record(v);
    std::sort(values.begin(), values.end());
    for (double p : {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
      const double exact = static_cast<double>(exact_percentile(values, p));
      const double got = static_cast<double>(h.value_at_percentile(p));
      EXPECT_GE(got, exact) << "p" << p;  // reports the bucket's top: never below
      EXPECT_LE(got, exact * 1.01) << "p" << p;
    }
    EXPECT_EQ(h.count(), values.size());
    EXPECT_EQ(h.min(), values.front());
    EXPECT_EQ(h.max(), values.back());
  }
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 0; v < 256; ++v) h.record(v);
  EXPECT_EQ(h.value_at_percentile(50), 127u);
  EXPECT_EQ(h.value_at_percentile(100), 255u);
  EXPECT_DOUBLE_EQ(h.mean(), 127.5);
}

TEST(Histogram, MergeEqualsRecordingEverything) {
  const auto values = log_uniform_ns(50000, 7);
  Histogram all, a, b;
  for (size_t i = 0; i < values.size(); ++i) {
    all.record(values[i]);
    (i % 3 == 0 ? a : b).record(values[i]);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_NEAR(a.mean(), all.mean(), all.mean() * 1e-9);
  for (int i = 0; i < Histogram::bucket_count(); ++i) ASSERT_EQ(a.count_at(i), all.count_at(i));
}

TEST(Histogram, ClampsHugeValues) {
  Histogram h;
  h.record(uint64_t{1} << 50);
  EXPECT_EQ(h.clamped(), 1u);
  EXPECT_EQ(h.max(), (uint64_t{1} << Histogram::kMaxBits) - 1);
}

TEST(Histogram, EmptyIsZero) {
  Histogram h;
  EXPECT_EQ(h.value_at_percentile(99), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  h.record(5);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
}

TEST(Hgrm, HasHdrHistogramLayout) {
  Histogram h;
  for (uint64_t v = 1; v <= 10000; ++v) h.record(v * 1000);  // 1 us .. 10 ms
  std::ostringstream out;
  hakmem::load::write_hgrm(out, h);
  std::istringstream in(out.str());
  std::string line;
  std::getline(in, line);
  EXPECT_NE(line.find("Value"), std::string::npos);
  EXPECT_NE(line.find("1/(1-Percentile)"), std::string::npos);
  std::getline(in, line);
  EXPECT_TRUE(line.empty());
  double last_value = -1, last_pct = -1;
  uint64_t last_count = 0;
  int rows = 0;
  while (std::getline(in, line) && line[0] != '#') {
    std::istringstream row(line);
    double value, pct;
    uint64_t count;
    ASSERT_TRUE(row >> value >> pct >> count) << line;
    EXPECT_GE(value, last_value);
    EXPECT_GT(pct, last_pct);
    EXPECT_GE(count, last_count);
    last_value = value;
    last_pct = pct;
    last_count = count;
    ++rows;
  }
  EXPECT_GT(rows, 20);
  EXPECT_DOUBLE_EQ(last_pct, 1.0);
  EXPECT_EQ(last_count, 10000u);
  EXPECT_NEAR(last_value, 10.0, 0.001);  // ms
  EXPECT_EQ(line.rfind("#[Mean", 0), 0u);
  std::getline(in, line);
  EXPECT_EQ(line.rfind("#[Max", 0), 0u);
  EXPECT_NE(line.find("10000"), std::string::npos);
}
