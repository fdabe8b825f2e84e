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

}  // namespace
}  // namespace hakmem::bench
