// Several gRPC admin clients at once while other threads allocate and free across threads:
// option batches stay all-or-nothing for readers, route switches report consistent history,
// and a watch runs alongside. (Not a TSan test: Debian's gRPC is uninstrumented, so TSan
// cannot see its synchronization; admin_concurrency_test covers our code under TSan.)
#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include "hakmem/hakmem.h"
#include "test_support.h"

namespace hakmem::admin::testing {
namespace {

constexpr int kRounds = 60;

// Writer w sets must_reuse_budget and purge_delay_ms to the same value in one call.
void write_pairs(v1::AdminService::Stub* stub, int w, std::atomic<int>* failures) {
  for (int i = 0; i < kRounds; ++i) {
    const int64_t v = 1 + w * 100 + i;
    v1::SetOptionsRequest req;
    for (const char* name : {"must_reuse_budget", "purge_delay_ms"}) {
      auto* a = req.add_assignments();
      a->set_name(name);
      a->set_value(v);
    }
    v1::SetOptionsResponse r;
    if (!stub->SetOptions(context().get(), req, &r).ok()) failures->fetch_add(1);
  }
}

TEST(AdminClients, RacingEachOtherAndTheAllocator) {
  FakeStats stats;
  RunningServer srv({}, &stats);
  SavedBatchOptions saved;
  ASSERT_EQ(hak_set_route(HAK_ROUTE_S), 0);
  // Equal from the start, so any reader seeing them differ saw half a batch.
  ASSERT_EQ(hak_option_set("must_reuse_budget", 1000, nullptr, 0), 0);
  ASSERT_EQ(hak_option_set("purge_delay_ms", 1000, nullptr, 0), 0);

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, torn_reads{0}, bad_history{0};
  std::array<std::thread, 7> threads;
  size_t started = 0;

  // Producer allocates, consumer frees: remote frees while the route changes underneath.
  std::atomic<void*> handoff[64] = {};
  threads[started++] = std::thread([&] {
    for (size_t i = 0; !stop.load(); i = (i + 1) % 64) {
      void* p = hak_malloc(32 + i * 8);
      void* expected = nullptr;
      if (!handoff[i].compare_exchange_strong(expected, p)) hak_free(p);
    }
  });
  threads[started++] = std::thread([&] {
    for (size_t i = 0; !stop.load(); i = (i + 1) % 64) hak_free(handoff[i].exchange(nullptr));
  });

  threads[started++] = std::thread([&] { write_pairs(srv.stub.get(), 0, &failures); });
  threads[started++] = std::thread([&] { write_pairs(srv.stub.get(), 1, &failures); });
  threads[started++] = std::thread([&] {
    for (int i = 0; i < kRounds; ++i) {
      v1::GetOptionsResponse r;
      if (!srv.stub->GetOptions(context().get(), {}, &r).ok()) {
        failures.fetch_add(1);
        continue;
      }
      if (is_torn(r)) torn_reads.fetch_add(1);
    }
  });
  threads[started++] = std::thread([&] {
    // Each switch's "previous" must be the route this thread set last: nobody else sets it.
    v1::Route last = v1::ROUTE_S;
    const v1::Route cycle[] = {v1::ROUTE_P, v1::ROUTE_CDA, v1::ROUTE_S};
    for (int i = 0; i < kRounds; ++i) {
      v1::SetRouteRequest req;
      req.set_route(cycle[i % 3]);
      v1::SetRouteResponse r;
      if (!srv.stub->SetRoute(context().get(), req, &r).ok()) {
        failures.fetch_add(1);
        continue;
      }
      if (r.previous() != last || r.current() != req.route()) bad_history.fetch_add(1);
      last = r.current();
    }
  });
  threads[started++] = std::thread([&] {
    v1::WatchCountersRequest req;
    req.set_interval_ms(100);
    auto ctx = context();
    auto reader = srv.stub->WatchCounters(ctx.get(), req);
    v1::WatchCountersResponse msg;
    for (int i = 0; i < 3 && reader->Read(&msg); ++i) {
    }
    ctx->TryCancel();
    while (reader->Read(&msg)) {
    }
    reader->Finish();
  });

  for (size_t i = 2; i < threads.size(); ++i) threads[i].join();
  stop.store(true);
  threads[0].join();
  threads[1].join();
  for (auto& slot : handoff) hak_free(slot.exchange(nullptr));

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(torn_reads.load(), 0);
  EXPECT_EQ(bad_history.load(), 0);
  expect_last_batch_won();
}

}  // namespace
}  // namespace hakmem::admin::testing
