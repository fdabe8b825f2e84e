// The side-by-side ratio's bootstrap interval, on recorded run figures.
#include "ratio_interval.hpp"

#include <gtest/gtest.h>

namespace hakmem::bench {
namespace {

TEST(RatioInterval, IdenticalRunsGiveExactlyOne) {
  std::vector<double> runs{50, 50, 50, 50, 50};
  auto ci = ratio_interval(runs, runs);
  ASSERT_TRUE(ci.has_value());
  EXPECT_DOUBLE_EQ(ci->lo, 1.0);
  EXPECT_DOUBLE_EQ(ci->hi, 1.0);
  EXPECT_EQ(format_ratio(runs, runs), "1.00 [1.00-1.00]");
}

TEST(RatioInterval, SeparatedRunsExcludeOne) {
  // Every run of a is faster than every run of b: each resampled median ratio is above 1.
  std::vector<double> a{110, 112, 115, 111, 113}, b{100, 101, 99, 102, 100};
  auto ci = ratio_interval(a, b);
  ASSERT_TRUE(ci.has_value());
  EXPECT_TRUE(ci->excludes_one());
  EXPECT_GE(ci->lo, 110.0 / 102.0);
  EXPECT_LE(ci->hi, 115.0 / 99.0);
  EXPECT_LE(ci->lo, median_of(a) / median_of(b));
  EXPECT_GE(ci->hi, median_of(a) / median_of(b));
}

TEST(RatioInterval, OverlappingRunsIncludeOne) {
  // The spread of a noisy shared machine: 17 to 56 M ops/s in both configurations.
  std::vector<double> a{17.2, 54.1, 21.6, 55.0, 18.0}, b{17.4, 55.9, 18.1, 53.2, 20.3};
  auto ci = ratio_interval(a, b);
  ASSERT_TRUE(ci.has_value());
  EXPECT_FALSE(ci->excludes_one());
}

TEST(RatioInterval, TooFewRunsGiveNoInterval) {
  std::vector<double> two{10, 11}, three{10, 11, 12};
  EXPECT_FALSE(ratio_interval(two, three).has_value());
  EXPECT_FALSE(ratio_interval(three, two).has_value());
  EXPECT_EQ(format_ratio(two, three), "0.95");  // 10.5 / 11
}

TEST(RatioInterval, ZeroReferenceGivesNoRatio) {
  std::vector<double> a{1, 2, 3}, zero{0, 0, 0};
  EXPECT_FALSE(ratio_interval(a, zero).has_value());
  EXPECT_EQ(format_ratio(a, zero), "-");
  EXPECT_EQ(format_ratio({}, a), "-");
}

TEST(RatioInterval, BoundsNextToOneKeepThreeDecimals) {
  // 0.998 printed as 1.00 would hide which side of 1 the bound is on.
  std::vector<double> a{998, 998, 998}, b{1000, 1000, 1000};
  EXPECT_EQ(format_ratio(a, b), "0.998 [0.998-0.998]");
}

TEST(RatioInterval, FixedSeedGivesTheSameIntervalEveryTime) {
  std::vector<double> a{40, 47, 52, 44, 49}, b{45, 43, 50, 46, 41};
  auto first = ratio_interval(a, b), second = ratio_interval(a, b);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->lo, second->lo);
  EXPECT_EQ(first->hi, second->hi);
}

TEST(PairedRatio, SeesADifferenceThatDriftHidesFromTheRatioOfMedians) {
  // Recorded shape of a drifting sitting: both configurations move 2-3x from rep to rep, and
  // in every rep a runs 4-6% behind b.
  std::vector<double> a{16.2, 52.0, 21.1, 33.6, 48.9}, b{17.1, 54.6, 22.3, 35.2, 51.6};
  RunPairs pairs;
  for (size_t i = 0; i < a.size(); ++i) pairs.emplace_back(a[i], b[i]);
  auto unpaired = ratio_interval(a, b);
  ASSERT_TRUE(unpaired.has_value());
  EXPECT_FALSE(unpaired->excludes_one());
  auto paired = paired_interval(pairs);
  ASSERT_TRUE(paired.has_value());
  EXPECT_TRUE(paired->excludes_one());
  EXPECT_LE(paired->hi, 33.6 / 35.2);  // the largest per-rep ratio, about 0.955
  EXPECT_GE(paired->lo, 21.1 / 22.3);  // the smallest, about 0.946
}

TEST(PairedRatio, IsTheMedianOfPerRepRatios) {
  RunPairs pairs{{10, 20}, {30, 20}, {20, 20}};  // 0.5, 1.5, 1.0
  ASSERT_TRUE(paired_ratio(pairs).has_value());
  EXPECT_DOUBLE_EQ(*paired_ratio(pairs), 1.0);
  EXPECT_EQ(format_paired_ratio(pairs), "1.00 [0.50-1.50]");
}

TEST(PairedRatio, TooFewPairsOrAZeroReference) {
  RunPairs two{{10, 11}, {12, 12}};
  EXPECT_FALSE(paired_interval(two).has_value());
  EXPECT_EQ(format_paired_ratio(two), "0.95");  // median of 0.909 and 1.0
  EXPECT_EQ(format_paired_ratio({}), "-");
  RunPairs zero{{1, 0}, {1, 1}, {1, 1}};
  EXPECT_FALSE(paired_ratio(zero).has_value());
  EXPECT_EQ(format_paired_ratio(zero), "-");
}

}  // namespace
}  // namespace hakmem::bench
