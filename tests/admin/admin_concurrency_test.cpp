// The admin service's own concurrency, under ThreadSanitizer: handlers called directly (no
// gRPC transport, whose uninstrumented libraries TSan cannot follow) from many threads while
// other threads allocate and free across threads. Option batches stay all-or-nothing for
// readers, route switches report an exact history, resets and stats run alongside.
#include <grpcpp/server_context.h>
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <thread>

#include "admin_service.h"  // white-box: the service class without a server around it
#include "hakmem/hakmem.h"
#include "test_support.h"

namespace hakmem::admin {
namespace {

using testing::expect_last_batch_won;
using testing::is_torn;
using testing::SavedBatchOptions;

constexpr int kRounds = 300;

class ChangingStats : public AdminStatsSource {
 public:
  ServerStats server_stats() override {
    ServerStats s;
    s.connections = calls_.fetch_add(1, std::memory_order_relaxed);
    s.requests = {{"GET", s.connections}};
    return s;
  }

 private:
  std::atomic<uint64_t> calls_{0};
};

TEST(AdminConcurrency, HandlersRacingEachOtherAndTheAllocator) {
  ChangingStats stats;
  AdminServiceImpl service("", &stats);
  SavedBatchOptions saved;
  ASSERT_EQ(hak_set_route(HAK_ROUTE_S), 0);
  // Equal from the start, so any reader seeing them differ saw half a batch.
  ASSERT_EQ(hak_option_set("must_reuse_budget", 1000, nullptr, 0), 0);
  ASSERT_EQ(hak_option_set("purge_delay_ms", 1000, nullptr, 0), 0);

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, torn_reads{0}, bad_history{0};
  std::array<std::thread, 8> threads;
  size_t started = 0;

  // Producer allocates, consumer frees: remote frees while the route changes underneath.
  std::array<std::atomic<void*>, 64> handoff{};
  threads[started++] = std::thread([&] {
    for (size_t i = 0; !stop.load(); i = (i + 1) % handoff.size()) {
      void* p = hak_malloc(32 + i * 8);
      void* expected = nullptr;
      if (!handoff[i].compare_exchange_strong(expected, p)) hak_free(p);
    }
  });
  threads[started++] = std::thread([&] {
    for (size_t i = 0; !stop.load(); i = (i + 1) % handoff.size()) {
      hak_free(handoff[i].exchange(nullptr));
    }
  });

  for (int w = 0; w < 2; ++w) {
    threads[started++] = std::thread([&, w] {
      for (int i = 0; i < kRounds; ++i) {
        const int64_t v = 1 + w * 500 + i;  // within both options' ranges
        v1::SetOptionsRequest req;
        for (const char* name : {"must_reuse_budget", "purge_delay_ms"}) {
          auto* a = req.add_assignments();
          a->set_name(name);
          a->set_value(v);
        }
        grpc::ServerContext ctx;
        v1::SetOptionsResponse r;
        if (!service.SetOptions(&ctx, &req, &r).ok()) failures.fetch_add(1);
      }
    });
  }
  threads[started++] = std::thread([&] {
    for (int i = 0; i < kRounds; ++i) {
      grpc::ServerContext ctx;
      v1::GetOptionsRequest req;
      v1::GetOptionsResponse r;
      if (!service.GetOptions(&ctx, &req, &r).ok()) {
        failures.fetch_add(1);
        continue;
      }
      if (is_torn(r)) torn_reads.fetch_add(1);
    }
  });
  threads[started++] = std::thread([&] {
    // Nobody else sets the route, so each "previous" must be what this thread set last.
    v1::Route last = v1::ROUTE_S;
    const v1::Route cycle[] = {v1::ROUTE_P, v1::ROUTE_CDA, v1::ROUTE_S};
    for (int i = 0; i < kRounds; ++i) {
      grpc::ServerContext ctx;
      v1::SetRouteRequest req;
      req.set_route(cycle[i % 3]);
      v1::SetRouteResponse r;
      if (!service.SetRoute(&ctx, &req, &r).ok()) {
        failures.fetch_add(1);
        continue;
      }
      if (r.previous() != last || r.current() != req.route()) bad_history.fetch_add(1);
      last = r.current();
    }
  });
  threads[started++] = std::thread([&] {
    for (int i = 0; i < kRounds; ++i) {
      grpc::ServerContext ctx;
      v1::DumpCountersRequest req;
      req.set_reset_after_read(i % 2 == 0);
      v1::DumpCountersResponse r;
      v1::ResetCountersRequest reset_req;
      v1::ResetCountersResponse reset_resp;
      if (!service.DumpCounters(&ctx, &req, &r).ok()) failures.fetch_add(1);
      if (i % 10 == 0 && !service.ResetCounters(&ctx, &reset_req, &reset_resp).ok()) {
        failures.fetch_add(1);
      }
    }
  });
  threads[started++] = std::thread([&] {
    for (int i = 0; i < kRounds; ++i) {
      grpc::ServerContext ctx;
      v1::GetStatsRequest req;
      v1::GetStatsResponse r;
      if (!service.GetStats(&ctx, &req, &r).ok() || !r.server_stats_available()) {
        failures.fetch_add(1);
      }
    }
  });

  for (size_t i = 2; i < started; ++i) threads[i].join();
  stop.store(true);
  threads[0].join();
  threads[1].join();
  for (auto& slot : handoff) hak_free(slot.exchange(nullptr));

  EXPECT_EQ(started, threads.size());
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(torn_reads.load(), 0);
  EXPECT_EQ(bad_history.load(), 0);
  expect_last_batch_won();
}

}  // namespace
}  // namespace hakmem::admin
