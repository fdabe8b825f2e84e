#include "hakmem/workloads/value_size.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace hw = hakmem::workloads;

TEST(ValueSizeSpec, Parses) {
  hw::ValueSizeSpec s;
  std::string err;
  ASSERT_TRUE(hw::ValueSizeSpec::parse("100", &s, &err));
  EXPECT_EQ(s.kind, hw::ValueSizeSpec::Kind::kFixed);
  EXPECT_EQ(s.min, 100u);
  ASSERT_TRUE(hw::ValueSizeSpec::parse("8-1000", &s, &err));
  EXPECT_EQ(s.kind, hw::ValueSizeSpec::Kind::kUniform);
  EXPECT_EQ(s.min, 8u);
  EXPECT_EQ(s.max, 1000u);
  ASSERT_TRUE(hw::ValueSizeSpec::parse("pareto", &s, &err));
  EXPECT_EQ(s.kind, hw::ValueSizeSpec::Kind::kPareto);
  EXPECT_EQ(s.max, 1024u);
  ASSERT_TRUE(hw::ValueSizeSpec::parse("pareto:4096", &s, &err));
  EXPECT_EQ(s.max, 4096u);
  EXPECT_EQ(s.to_string(), "pareto:4096");
  for (const char* bad : {"", "x", "10-5", "-5", "pareto:", "pareto:5", "paretox", "1e3"}) {
    EXPECT_FALSE(hw::ValueSizeSpec::parse(bad, &s, &err)) << bad;
  }
}

TEST(ValueSize, FixedAndUniformStayInBounds) {
  hw::ValueSizeSpec s;
  std::string err;
  ASSERT_TRUE(hw::ValueSizeSpec::parse("8-1000", &s, &err));
  hw::ValueSizeChooser chooser(s);
  hw::Rng rng(1);
  uint32_t lo = 10000, hi = 0;
  double sum = 0;
  constexpr int kDraws = 200000;
  for (int i = 0; i < kDraws; ++i) {
    const uint32_t v = chooser.next(rng);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  EXPECT_EQ(lo, 8u);
  EXPECT_EQ(hi, 1000u);
  EXPECT_NEAR(sum / kDraws, 504.0, 5.0);

  ASSERT_TRUE(hw::ValueSizeSpec::parse("64", &s, &err));
  hw::ValueSizeChooser fixed(s);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(fixed.next(rng), 64u);
}

TEST(ValueSize, ParetoInversionMatchesFormula) {
  const hw::ParetoParams p;
  // u = 1 is the distribution's lower end (theta); smaller u is further into the tail.
  EXPECT_EQ(hw::pareto_cdf_inversion(1.0, p), 0);
  const double u = 0.01;
  const double expected = p.sigma * (std::pow(u, -p.k) - 1) / p.k;
  EXPECT_EQ(hw::pareto_cdf_inversion(u, p), static_cast<int64_t>(std::ceil(expected)));
  hw::ParetoParams exp_params;
  exp_params.k = 0;  // exponential limit
  EXPECT_EQ(hw::pareto_cdf_inversion(std::exp(-2.0), exp_params),
            static_cast<int64_t>(std::ceil(2 * exp_params.sigma)));
}

TEST(ValueSize, ParetoIsHeavyTailedAndClamped) {
  hw::ValueSizeSpec s;
  std::string err;
  ASSERT_TRUE(hw::ValueSizeSpec::parse("pareto:100000", &s, &err));
  hw::ValueSizeChooser chooser(s);
  hw::Rng rng(2);
  constexpr int kDraws = 400000;
  std::vector<uint32_t> v(kDraws);
  for (auto& x : v) {
    x = chooser.next(rng);
    ASSERT_GE(x, 10u);
    ASSERT_LE(x, 100000u);
  }
  std::sort(v.begin(), v.end());
  // Quantiles of the generalized Pareto: q(p) = sigma * ((1-p)^-k - 1) / k.
  const hw::ParetoParams p;
  auto quantile = [&](double prob) { return p.sigma * (std::pow(1 - prob, -p.k) - 1) / p.k; };
  for (double prob : {0.5, 0.9, 0.99, 0.999}) {
    const double got = v[static_cast<size_t>(prob * kDraws)];
    EXPECT_NEAR(got, quantile(prob), 0.05 * quantile(prob) + 2) << prob;
  }
  // Heavy tail: p99.9 is many times the median.
  EXPECT_GT(v[kDraws * 999 / 1000], 10 * v[kDraws / 2]);
}

TEST(ValueSize, SameSeedSameSizes) {
  hw::ValueSizeSpec s;
  std::string err;
  ASSERT_TRUE(hw::ValueSizeSpec::parse("pareto", &s, &err));
  hw::ValueSizeChooser chooser(s);
  hw::Rng a(99), b(99);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(chooser.next(a), chooser.next(b));
}
