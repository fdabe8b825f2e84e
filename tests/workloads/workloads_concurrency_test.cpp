// Generators on several threads share one insert counter: every insert gets a distinct key.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "hakmem/workloads/workload.hpp"

namespace hw = hakmem::workloads;

TEST(WorkloadConcurrency, InsertKeysAreUniqueAcrossThreads) {
  hw::WorkloadSpec spec;
  spec.kind = hw::WorkloadKind::kD;
  spec.distribution = hw::KeyDistribution::kLatest;
  spec.keys = 1000;
  hw::SharedState shared(spec.keys);
  constexpr int kThreads = 4;
  std::vector<std::vector<uint64_t>> inserted(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      hw::OpGenerator gen(spec, &shared, 5, t);
      for (int i = 0; i < 20000; ++i) {
        const auto op = gen.next();
        if (op.type == hw::OpType::kInsert) inserted[t].push_back(op.key);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<uint64_t> all;
  for (auto& v : inserted) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
  EXPECT_EQ(shared.insert_head.load(), 1000 + all.size());
}
