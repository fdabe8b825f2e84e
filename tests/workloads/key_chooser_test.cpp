#include "hakmem/workloads/key_chooser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <vector>

namespace hw = hakmem::workloads;

namespace {

constexpr double kTheta = hw::kDefaultZipfConstant;

// Share of draws that land on each rank when `draw` is called n times.
std::vector<double> rank_shares(uint64_t items, int n, const std::function<uint64_t()>& draw) {
  std::vector<double> counts(items, 0);
  for (int i = 0; i < n; ++i) {
    const uint64_t r = draw();
    EXPECT_LT(r, items);
    if (r < items) counts[r] += 1;
  }
  for (auto& c : counts) c /= n;
  return counts;
}

double zipf_share(uint64_t rank, uint64_t items) {
  return 1.0 / std::pow(static_cast<double>(rank + 1), kTheta) / hw::zeta(items, kTheta);
}

// Gray's generator is exact for ranks 0 and 1 and approximates the tail, so the tail is checked
// over groups of ranks (decades) where the approximation error is a few percent.
void expect_zipf_profile(const std::vector<double>& shares, uint64_t items) {
  EXPECT_NEAR(shares[0], zipf_share(0, items), 0.03 * zipf_share(0, items));
  EXPECT_NEAR(shares[1], zipf_share(1, items), 0.05 * zipf_share(1, items));
  for (uint64_t lo = 2; lo < items; lo *= 10) {
    const uint64_t hi = std::min(items, lo * 10);
    double got = 0, want = 0;
    for (uint64_t r = lo; r < hi; ++r) {
      got += shares[r];
      want += zipf_share(r, items);
    }
    EXPECT_NEAR(got, want, 0.15 * want) << "ranks [" << lo << ", " << hi << ")";
  }
}

}  // namespace

TEST(Zeta, MatchesDirectSum) {
  EXPECT_DOUBLE_EQ(hw::zeta(1, kTheta), 1.0);
  EXPECT_NEAR(hw::zeta(2, kTheta), 1.0 + std::pow(0.5, kTheta), 1e-12);
  // YCSB's constant for its scrambled generator's 10^10 items is consistent with our zeta's
  // growth: zeta(10^6) is well below it.
  EXPECT_LT(hw::zeta(1000000, kTheta), 26.469);
}

TEST(Zipfian, RankFrequenciesFollowZipfLaw) {
  constexpr uint64_t kItems = 1000;
  hw::Zipfian zipf(kItems);
  hw::Rng rng(42);
  const auto shares = rank_shares(kItems, 2'000'000, [&] { return zipf.next(rng); });
  expect_zipf_profile(shares, kItems);
}

TEST(Zipfian, GrowingItemCountMatchesFreshGenerator) {
  hw::Zipfian grown(100);
  hw::Rng rng(1);
  grown.next(rng, 5000);
  const hw::Zipfian fresh(5000);
  EXPECT_NEAR(grown.zetan(), fresh.zetan(), 1e-9);
  EXPECT_EQ(grown.items(), 5000u);
}

TEST(Zipfian, SameSeedSameSequence) {
  hw::Zipfian a(1000), b(1000);
  hw::Rng ra(7), rb(7);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next(ra), b.next(rb));
}

TEST(KeyChooser, UniformIsFlat) {
  constexpr uint64_t kKeys = 100;
  auto chooser = hw::make_key_chooser(hw::KeyDistribution::kUniform, kKeys, kTheta, nullptr);
  hw::Rng rng(3);
  const auto shares = rank_shares(kKeys, 1'000'000, [&] { return chooser->next(rng); });
  for (double s : shares) EXPECT_NEAR(s, 0.01, 0.001);
}

TEST(KeyChooser, ZipfianFavoursLowIndices) {
  constexpr uint64_t kKeys = 1000;
  auto chooser = hw::make_key_chooser(hw::KeyDistribution::kZipfian, kKeys, kTheta, nullptr);
  hw::Rng rng(5);
  const auto shares = rank_shares(kKeys, 1'000'000, [&] { return chooser->next(rng); });
  expect_zipf_profile(shares, kKeys);
}

TEST(KeyChooser, ScrambledZipfianIsSkewedButSpread) {
  constexpr uint64_t kKeys = 1000;
  auto chooser =
      hw::make_key_chooser(hw::KeyDistribution::kScrambledZipfian, kKeys, kTheta, nullptr);
  hw::Rng rng(9);
  auto shares = rank_shares(kKeys, 1'000'000, [&] { return chooser->next(rng); });
  // The hottest key is where YCSB's hash sends rank 0, not index 0.
  const auto hottest = std::max_element(shares.begin(), shares.end()) - shares.begin();
  EXPECT_EQ(static_cast<uint64_t>(hottest), hw::fnv_hash64(0) % kKeys);
  // Rank 0 of a zipfian over 10^10 items has share 1/zeta(10^10) = 1/26.47.
  EXPECT_NEAR(shares[hottest], 1.0 / 26.46902820178302, 0.004);
  // Still skewed: the hottest 10% of keys take far more than 10% of the draws.
  std::sort(shares.begin(), shares.end(), std::greater<>());
  double top = 0;
  for (int i = 0; i < 100; ++i) top += shares[i];
  EXPECT_GT(top, 0.25);
}

TEST(KeyChooser, LatestFavoursNewestKeys) {
  constexpr uint64_t kCount = 1000;
  std::atomic<uint64_t> inserted{kCount};
  auto chooser = hw::make_key_chooser(hw::KeyDistribution::kLatest, kCount, kTheta, &inserted);
  hw::Rng rng(11);
  // Rank = distance from the newest key.
  const auto shares =
      rank_shares(kCount, 2'000'000, [&] { return kCount - 1 - chooser->next(rng); });
  expect_zipf_profile(shares, kCount);
}

TEST(KeyChooser, LatestFollowsInserts) {
  std::atomic<uint64_t> inserted{100};
  auto chooser = hw::make_key_chooser(hw::KeyDistribution::kLatest, 100, kTheta, &inserted);
  hw::Rng rng(13);
  inserted = 5000;
  int newest = 0;
  constexpr int kDraws = 100000;
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t k = chooser->next(rng);
    ASSERT_LT(k, 5000u);
    newest += k == 4999;
  }
  EXPECT_NEAR(static_cast<double>(newest) / kDraws, zipf_share(0, 5000), 0.01);
}

TEST(KeyChooser, FnvHashMatchesYcsb) {
  // Values from YCSB's Utils.fnvhash64 algorithm (FNV-1a over 8 bytes, Math.abs), transcribed
  // into Python with 64-bit wrap-around.
  EXPECT_EQ(hw::fnv_hash64(0), 6284781860667377211ull);
  EXPECT_EQ(hw::fnv_hash64(1), 8517097267634966620ull);
  EXPECT_EQ(hw::fnv_hash64(123456789), 2350796791908741607ull);
}
