// The pipeline in one process (so ThreadSanitizer sees both sides): several connections
// pipelining to several I/O threads and workers, ordered replies, cross-thread frees, and a
// stop() while requests are in flight. Labelled "concurrency": also run under TSan.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "arena.h"
#include "resp_test_client.h"
#include "server.h"
#include "worker_pool.h"

namespace hakmem::server {
namespace {

using test::RespClient;
using test::RespValue;

ServerConfig memory_config(const std::string& arena) {
  ServerConfig config;
  config.port = 0;
  config.io_threads = 2;
  config.workers = 3;
  config.queue_capacity = 64;  // small, so back-pressure paths run too
  config.max_pipeline = 100;
  config.arena = arena;
  config.store.kind = "memory";
  return config;
}

class InProcessTest : public ::testing::TestWithParam<std::string> {};

TEST_P(InProcessTest, ConcurrentPipelinesKeepOrder) {
  auto owned = std::make_unique<Server>(memory_config(GetParam()));
  Server& server = *owned;
  server.start();
  constexpr int kClients = 4;
  constexpr int kRequests = 3000;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      RespClient client(server.port());
      if (!client.connected()) return void(++failures);
      std::string prefix = "c" + std::to_string(c) + ":";
      std::string batch;
      for (int i = 0; i < kRequests; ++i) {
        if (i % 2 == 0) {
          batch += RespClient::encode({"INCR", prefix + "counter"});
        } else {
          batch += RespClient::encode({"ECHO", prefix + std::to_string(i)});
        }
      }
      std::thread writer([&] { client.send_raw(batch); });
      int64_t counter = 0;
      for (int i = 0; i < kRequests; ++i) {
        RespValue reply = client.read();
        std::string expected =
            i % 2 == 0 ? ":" + std::to_string(++counter) : "$" + prefix + std::to_string(i);
        if (reply.str() != expected) {
          ADD_FAILURE() << "client " << c << " request " << i << ": " << reply.str();
          ++failures;
          break;
        }
      }
      writer.join();
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);

  StatsSnapshot stats = server.stats();
  EXPECT_GE(stats.commands_processed, uint64_t{kClients * kRequests});
  EXPECT_GE(stats.connections_total, uint64_t{kClients});
  // Requests are freed by workers, replies by I/O threads: at least two cross-thread frees each.
  EXPECT_GE(stats.arena.cross_thread_frees, uint64_t{2 * kClients * kRequests});
  EXPECT_GT(stats.service_latency.count, 0u);
  server.stop();
  // The store keeps its keys and values in the arena until it goes; then every object the
  // pipeline and the store allocated has been freed.
  owned.reset();
  ArenaCounters after = arena_counters();
  EXPECT_EQ(after.allocations, after.frees);
}

TEST_P(InProcessTest, StopWithRequestsInFlight) {
  Server server(memory_config(GetParam()));
  server.start();
  RespClient client(server.port());
  std::string batch;
  for (int i = 0; i < 20000; ++i) batch += RespClient::encode({"INCR", "n"});
  std::thread writer([&] { client.send_raw(batch); });
  ASSERT_EQ(client.read().str(), ":1");
  std::thread stopper([&] { server.stop(); });
  int64_t answered = 1;
  for (;;) {
    RespValue reply = client.read(20000);
    if (reply.type == 0) break;
    ASSERT_EQ(reply.str(), ":" + std::to_string(++answered));
  }
  stopper.join();
  writer.join();
  std::string value;
  ASSERT_TRUE(server.store().get("n", &value));
  EXPECT_EQ(value.substr(1), std::to_string(answered));  // one flag byte, then the number
}

INSTANTIATE_TEST_SUITE_P(Arenas, InProcessTest, ::testing::ValuesIn(test::main_arenas()));

TEST(WorkerPoolTest, FullQueueCallsBackWhenThereIsRoom) {
  std::mutex gate;
  gate.lock();  // holds the single worker inside its first request
  std::atomic<int> handled{0};
  auto arena = make_arena("system", {});
  WorkerPool pool(1, 2, [&](Job& job) {
    if (handled++ == 0) std::lock_guard wait(gate);
    request_destroy(job.request, *arena);
  });
  std::atomic<int> woken{0};
  auto wake = [&] { ++woken; };
  ASSERT_TRUE(pool.try_submit(request_create(*arena), wake));  // taken by the worker
  while (pool.depth() != 0) std::this_thread::yield();
  ASSERT_TRUE(pool.try_submit(request_create(*arena), wake));
  ASSERT_TRUE(pool.try_submit(request_create(*arena), wake));
  Request* extra = request_create(*arena);
  EXPECT_FALSE(pool.try_submit(extra, wake));  // full: not taken, callback kept
  EXPECT_EQ(woken.load(), 0);
  gate.unlock();
  while (woken.load() == 0) std::this_thread::yield();
  EXPECT_TRUE(pool.try_submit(extra, wake));
  pool.stop();
  EXPECT_EQ(handled.load(), 4);
}

}  // namespace
}  // namespace hakmem::server
