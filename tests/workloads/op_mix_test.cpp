#include "hakmem/workloads/op_mix.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>

#include "hakmem/workloads/workload.hpp"

namespace hw = hakmem::workloads;

namespace {

std::array<double, hw::kOpTypeCount> op_shares(hw::WorkloadKind kind, int n) {
  hw::WorkloadSpec spec;
  spec.kind = kind;
  spec.distribution = hw::default_distribution(kind);
  spec.keys = 1000;
  hw::SharedState shared(spec.keys);
  hw::OpGenerator gen(spec, &shared, 1, 0);
  std::array<double, hw::kOpTypeCount> shares{};
  for (int i = 0; i < n; ++i) shares[static_cast<int>(gen.next().type)] += 1.0 / n;
  return shares;
}

double share(const std::array<double, hw::kOpTypeCount>& s, hw::OpType t) {
  return s[static_cast<int>(t)];
}

}  // namespace

TEST(Workload, ParsesNames) {
  hw::WorkloadKind k;
  EXPECT_TRUE(hw::parse_workload("a", &k));
  EXPECT_EQ(k, hw::WorkloadKind::kA);
  EXPECT_TRUE(hw::parse_workload("ycsb-f", &k));
  EXPECT_EQ(k, hw::WorkloadKind::kF);
  EXPECT_TRUE(hw::parse_workload("larson", &k));
  EXPECT_FALSE(hw::parse_workload("e", &k));  // needs SCAN
  EXPECT_FALSE(hw::parse_workload("z", &k));
}

TEST(Workload, YcsbMixesHaveTheirProportions) {
  constexpr int kN = 200000;
  using T = hw::OpType;
  auto a = op_shares(hw::WorkloadKind::kA, kN);
  EXPECT_NEAR(share(a, T::kRead), 0.5, 0.01);
  EXPECT_NEAR(share(a, T::kUpdate), 0.5, 0.01);
  auto b = op_shares(hw::WorkloadKind::kB, kN);
  EXPECT_NEAR(share(b, T::kRead), 0.95, 0.005);
  EXPECT_NEAR(share(b, T::kUpdate), 0.05, 0.005);
  auto c = op_shares(hw::WorkloadKind::kC, kN);
  EXPECT_NEAR(share(c, T::kRead), 1.0, 1e-9);
  auto d = op_shares(hw::WorkloadKind::kD, kN);
  EXPECT_NEAR(share(d, T::kRead), 0.95, 0.005);
  EXPECT_NEAR(share(d, T::kInsert), 0.05, 0.005);
  auto f = op_shares(hw::WorkloadKind::kF, kN);
  EXPECT_NEAR(share(f, T::kRead), 0.5, 0.01);
  EXPECT_NEAR(share(f, T::kReadModifyWrite), 0.5, 0.01);
}

TEST(Workload, InsertsTakeFreshKeys) {
  hw::WorkloadSpec spec;
  spec.kind = hw::WorkloadKind::kD;
  spec.distribution = hw::KeyDistribution::kLatest;
  spec.keys = 100;
  hw::SharedState shared(spec.keys);
  hw::OpGenerator gen(spec, &shared, 1, 0);
  std::set<uint64_t> inserted;
  for (int i = 0; i < 10000; ++i) {
    const auto op = gen.next();
    if (op.type == hw::OpType::kInsert) {
      EXPECT_GE(op.key, 100u);
      EXPECT_TRUE(inserted.insert(op.key).second);
      EXPECT_EQ(op.value_size, 100u);
    } else {
      EXPECT_LT(op.key, shared.insert_head.load());
    }
  }
  EXPECT_EQ(shared.insert_head.load(), 100 + inserted.size());
}

TEST(Workload, LarsonChurnsASlidingWindow) {
  hw::WorkloadSpec spec;
  spec.kind = hw::WorkloadKind::kLarson;
  spec.distribution = hw::KeyDistribution::kUniform;
  spec.keys = 50;
  std::string err;
  ASSERT_TRUE(hw::ValueSizeSpec::parse("8-1000", &spec.value_size, &err));
  hw::SharedState shared(spec.keys);
  hw::OpGenerator gen(spec, &shared, 3, 0);
  std::set<uint64_t> live;
  for (uint64_t k = 0; k < 50; ++k) live.insert(k);  // as --load 50 leaves it
  int sets = 0, dels = 0;
  std::set<uint32_t> sizes;
  for (int i = 0; i < 30000; ++i) {
    const auto op = gen.next();
    const uint64_t head = shared.insert_head.load();
    if (op.type == hw::OpType::kDelete) {
      ++dels;
      EXPECT_EQ(op.key, head - 1 - 50);  // the key that just left the window
      EXPECT_EQ(live.erase(op.key), 1u);
    } else {
      ++sets;
      EXPECT_GE(op.key + 50, head);
      EXPECT_LT(op.key, head);
      EXPECT_GE(op.value_size, 8u);
      EXPECT_LE(op.value_size, 1000u);
      sizes.insert(op.value_size);
      live.insert(op.key);
    }
  }
  // The live set never exceeds the window: what is allocated is also freed.
  EXPECT_EQ(live.size(), 50u);
  EXPECT_GT(dels, 8000);
  EXPECT_GT(sets, 2 * dels - 2000);
  EXPECT_GT(sizes.size(), 900u);  // many sizes
}

TEST(Workload, SameSeedSameOps) {
  hw::WorkloadSpec spec;
  spec.kind = hw::WorkloadKind::kA;
  hw::SharedState s1(spec.keys), s2(spec.keys);
  hw::OpGenerator g1(spec, &s1, 77, 2), g2(spec, &s2, 77, 2), g3(spec, &s2, 77, 3);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const auto a = g1.next(), b = g2.next(), c = g3.next();
    ASSERT_EQ(a.key, b.key);
    ASSERT_EQ(a.type, b.type);
    differs |= a.key != c.key;
  }
  EXPECT_TRUE(differs);  // streams are independent
}

TEST(Keys, FixedWidthNames) {
  EXPECT_EQ(hw::format_key(42), "key:000000000042");
  EXPECT_EQ(hw::value_bytes(5), "vvvvv");
  EXPECT_EQ(hw::value_bytes(200000).size(), 200000u);
}
