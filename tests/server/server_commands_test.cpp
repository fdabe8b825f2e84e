// End to end, against the hakmem-server binary: every command's replies follow Redis'
// semantics, for every arena built in and both stores.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "arena.h"
#include "resp_test_client.h"

namespace hakmem::server::test {
namespace {

using Params = std::tuple<std::string, std::string>;  // arena, store

class CommandsTest : public ::testing::TestWithParam<Params> {
 protected:
  void SetUp() override {
    auto [arena, store] = GetParam();
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"--arena", arena, "--store", store, "--workers", "3"});
    ASSERT_TRUE(server_->start()) << server_->stderr_text();
    client_ = std::make_unique<RespClient>(server_->port());
    ASSERT_TRUE(client_->connected());
  }
  void TearDown() override {
    if (!server_) return;
    server_->signal(SIGTERM);
    EXPECT_EQ(server_->wait_exit(), 0) << server_->stderr_text();
  }
  std::string call(std::vector<std::string> args) { return client_->call(args).str(); }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<RespClient> client_;
};

TEST_P(CommandsTest, PingEchoSelect) {
  EXPECT_EQ(call({"PING"}), "+PONG");
  EXPECT_EQ(call({"ping", "hello world"}), "$hello world");
  EXPECT_EQ(call({"PING", "a", "b"}), "-ERR wrong number of arguments for 'ping' command");
  EXPECT_EQ(call({"ECHO", ""}), "$");
  EXPECT_EQ(call({"ECHO", std::string("bin\0ary\r\n", 9)}), "$" + std::string("bin\0ary\r\n", 9));
  EXPECT_EQ(call({"ECHO"}), "-ERR wrong number of arguments for 'echo' command");
  EXPECT_EQ(call({"SELECT", "0"}), "+OK");
  EXPECT_EQ(call({"SELECT", "1"}), "-ERR DB index is out of range");
  EXPECT_EQ(call({"SELECT", "x"}), "-ERR value is not an integer or out of range");
}

TEST_P(CommandsTest, SetGetWithOptions) {
  EXPECT_EQ(call({"GET", "k"}), "$nil");
  EXPECT_EQ(call({"SET", "k", "v1"}), "+OK");
  EXPECT_EQ(call({"GET", "k"}), "$v1");
  EXPECT_EQ(call({"SET", "k", "v2", "NX"}), "$nil");
  EXPECT_EQ(call({"GET", "k"}), "$v1");
  EXPECT_EQ(call({"SET", "k", "v2", "XX"}), "+OK");
  EXPECT_EQ(call({"GET", "k"}), "$v2");
  EXPECT_EQ(call({"SET", "other", "v", "XX"}), "$nil");
  EXPECT_EQ(call({"GET", "other"}), "$nil");
  EXPECT_EQ(call({"SET", "other", "v", "nx"}), "+OK");
  EXPECT_EQ(call({"SET", "k", "v3", "GET"}), "$v2");
  EXPECT_EQ(call({"SET", "k", "v", "NX", "XX"}), "-ERR syntax error");
  EXPECT_EQ(call({"SET", "k", "v", "EX", "10", "PX", "100"}), "-ERR syntax error");
  EXPECT_EQ(call({"SET", "k", "v", "BOGUS"}), "-ERR syntax error");
  EXPECT_EQ(call({"SET", "k", "v", "EX"}), "-ERR syntax error");
  EXPECT_EQ(call({"SET", "k", "v", "EX", "0"}), "-ERR invalid expire time in 'set' command");
  EXPECT_EQ(call({"SET", "k", "v", "PX", "-5"}), "-ERR invalid expire time in 'set' command");
  EXPECT_EQ(call({"SET", "k", "v", "EX", "ten"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(call({"GET", "k"}), "$v3");  // failed SETs changed nothing
  EXPECT_EQ(call({"SET", "k"}), "-ERR wrong number of arguments for 'set' command");
  EXPECT_EQ(call({"GET", "a", "b"}), "-ERR wrong number of arguments for 'get' command");
  std::string big(300000, 'x');
  EXPECT_EQ(call({"SET", "big", big}), "+OK");
  EXPECT_EQ(call({"GET", "big"}), "$" + big);
}

TEST_P(CommandsTest, Expiry) {
  EXPECT_EQ(call({"SET", "short", "v", "PX", "50"}), "+OK");
  EXPECT_EQ(call({"SET", "long", "v", "EX", "1000"}), "+OK");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // well past 50 ms
  EXPECT_EQ(call({"GET", "short"}), "$nil");
  EXPECT_EQ(call({"EXISTS", "short", "long"}), ":1");
  EXPECT_EQ(call({"DBSIZE"}), ":1");
  EXPECT_EQ(call({"DEL", "short"}), ":0");                  // expired keys do not count as deleted
  EXPECT_EQ(call({"SET", "short", "again", "NX"}), "+OK");  // an expired key is absent for NX
  EXPECT_EQ(call({"GET", "short"}), "$again");
  // INCR keeps the time to live; a plain SET clears it.
  // (a TTL long enough that a stalled machine cannot expire the key before the INCR)
  EXPECT_EQ(call({"SET", "n", "1", "PX", "1000"}), "+OK");
  EXPECT_EQ(call({"INCR", "n"}), ":2");
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  EXPECT_EQ(call({"GET", "n"}), "$nil");
  EXPECT_EQ(call({"SET", "m", "1", "PX", "100"}), "+OK");
  EXPECT_EQ(call({"SET", "m", "2"}), "+OK");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(call({"GET", "m"}), "$2");
}

TEST_P(CommandsTest, DelExists) {
  EXPECT_EQ(call({"MSET", "a", "1", "b", "2", "c", "3"}), "+OK");
  EXPECT_EQ(call({"EXISTS", "a", "a", "zz", "b"}), ":3");  // duplicates count, like Redis
  EXPECT_EQ(call({"DEL", "a", "zz", "b"}), ":2");
  EXPECT_EQ(call({"EXISTS", "a", "b", "c"}), ":1");
  EXPECT_EQ(call({"DEL"}), "-ERR wrong number of arguments for 'del' command");
}

TEST_P(CommandsTest, IncrAndIncrBy) {
  EXPECT_EQ(call({"INCR", "n"}), ":1");
  EXPECT_EQ(call({"INCR", "n"}), ":2");
  EXPECT_EQ(call({"INCRBY", "n", "-12"}), ":-10");
  EXPECT_EQ(call({"GET", "n"}), "$-10");
  EXPECT_EQ(call({"INCRBY", "n", "x"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(call({"SET", "s", "abc"}), "+OK");
  EXPECT_EQ(call({"INCR", "s"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(call({"SET", "s", " 1"}), "+OK");
  EXPECT_EQ(call({"INCR", "s"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(call({"SET", "max", "9223372036854775807"}), "+OK");
  EXPECT_EQ(call({"INCR", "max"}), "-ERR increment or decrement would overflow");
  EXPECT_EQ(call({"GET", "max"}), "$9223372036854775807");
  EXPECT_EQ(call({"INCRBY", "min", "-9223372036854775808"}), ":-9223372036854775808");
  EXPECT_EQ(call({"INCRBY", "min", "-1"}), "-ERR increment or decrement would overflow");
}

TEST_P(CommandsTest, MsetMgetDbsizeFlushall) {
  EXPECT_EQ(call({"MSET", "a", "1", "b"}), "-ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(call({"MSET", "a", "1", "b", "2", "a", "3"}), "+OK");  // the last one wins
  EXPECT_EQ(call({"MGET", "a", "missing", "b"}), "*[$3,$nil,$2]");
  EXPECT_EQ(call({"DBSIZE"}), ":2");
  EXPECT_EQ(call({"FLUSHALL"}), "+OK");
  EXPECT_EQ(call({"DBSIZE"}), ":0");
  EXPECT_EQ(call({"MGET", "a"}), "*[$nil]");
  EXPECT_EQ(call({"FLUSHALL", "ASYNC"}), "+OK");
  EXPECT_EQ(call({"FLUSHALL", "later"}), "-ERR syntax error");
}

TEST_P(CommandsTest, ConfigCommandInfoQuit) {
  EXPECT_EQ(call({"CONFIG", "GET", "save"}), "*[$save,$]");
  EXPECT_EQ(call({"CONFIG", "GET", "appendonly"}).substr(0, 15), "*[$appendonly,$");
  EXPECT_EQ(call({"CONFIG", "GET", "no-such-parameter"}), "*[]");
  EXPECT_EQ(call({"config", "get", "maxclient*"}), "*[$maxclients,$10000]");
  EXPECT_EQ(call({"CONFIG", "SET", "x", "y"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'x'");
  EXPECT_EQ(call({"CONFIG"}), "-ERR wrong number of arguments for 'config' command");
  RespValue all = client_->call({"COMMAND"});
  ASSERT_EQ(all.type, '*');
  EXPECT_GE(all.elements.size(), 70u);
  EXPECT_EQ(call({"COMMAND", "COUNT"}), ":" + std::to_string(all.elements.size()));
  EXPECT_EQ(call({"COMMAND", "INFO", "get", "nope"}).substr(0, 12), "*[*[$get,:2,");
  EXPECT_EQ(call({"FOO", "a", "b"}),
            "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' ");

  RespValue info = client_->call({"INFO"});
  ASSERT_EQ(info.type, '$');
  for (const char* field :
       {"# Server", "# Clients", "# Stats", "# Memory", "# Persistence", "connected_clients:1",
        "total_commands_processed:", "cmd_config:", "used_memory:", "used_memory_rss:",
        "used_memory_peak_rss:", "mem_fragmentation_ratio:", "arena_cross_thread_frees:",
        "service_latency_p99_us:", "worker_queue_depth:"}) {
    EXPECT_NE(info.text.find(field), std::string::npos) << field;
  }
  auto [arena, store] = GetParam();
  EXPECT_NE(info.text.find("mem_allocator:" + arena + "\r\n"), std::string::npos);
  EXPECT_NE(info.text.find("store:" + store + "\r\n"), std::string::npos);
  if (arena == "hakmem") {
    EXPECT_NE(info.text.find("hakmem_route:P\r\n"), std::string::npos);  // the default
    EXPECT_NE(info.text.find("hakmem_page_reuse_rate:"), std::string::npos);
  }
  if (store == "rocksdb") {
    // With the hakmem arena RocksDB's block cache allocates from hakmem too.
    std::string cache = arena == "hakmem" ? "hakmem" : "system";
    EXPECT_NE(info.text.find("block_cache_allocator:" + cache + "\r\n"), std::string::npos);
    EXPECT_NE(info.text.find("fsync:everysec\r\n"), std::string::npos);
  }
  RespValue memory = client_->call({"INFO", "memory"});
  EXPECT_NE(memory.text.find("# Memory"), std::string::npos);
  EXPECT_EQ(memory.text.find("# Server"), std::string::npos);

  EXPECT_EQ(call({"QUIT"}), "+OK");
  EXPECT_TRUE(client_->wait_closed());
}

TEST_P(CommandsTest, InlineCommands) {
  ASSERT_TRUE(client_->send_raw("PING\r\nSET  ik   iv\r\nGET ik\nEXISTS ik\r\n"));
  EXPECT_EQ(client_->read().str(), "+PONG");
  EXPECT_EQ(client_->read().str(), "+OK");
  EXPECT_EQ(client_->read().str(), "$iv");
  EXPECT_EQ(client_->read().str(), ":1");
}

TEST_P(CommandsTest, RequestsCrossThreadsThroughTheArena) {
  for (int i = 0; i < 50; ++i) ASSERT_EQ(call({"SET", "k" + std::to_string(i), "v"}), "+OK");
  RespValue info = client_->call({"INFO", "memory"});
  auto field = [&](const std::string& name) {
    size_t at = info.text.find(name + ":");
    return at == std::string::npos ? -1 : std::stoll(info.text.substr(at + name.size() + 1));
  };
  // Each request is freed by a worker and each reply by the I/O thread: both cross threads.
  EXPECT_GE(field("arena_cross_thread_frees"), 100);
  EXPECT_GT(field("arena_allocations"), 100);
}

TEST(RouteTest, RouteFlagReachesHakmem) {
  const auto names = arena_names();
  if (std::find(names.begin(), names.end(), "hakmem") == names.end()) {
    GTEST_SKIP() << "built without the hakmem allocator";
  }
  for (const char* route : {"p", "CDA", "S"}) {
    ServerProcess server({"--arena", "hakmem", "--route", route, "--store", "memory"});
    ASSERT_TRUE(server.start()) << server.stderr_text();
    RespClient client(server.port());
    RespValue info = client.call({"INFO", "memory"});
    std::string expected = std::string(route) == "p" ? "P" : route;
    EXPECT_NE(info.text.find("hakmem_route:" + expected + "\r\n"), std::string::npos) << info.text;
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait_exit(), 0);
  }
}

// Peer allocators built in: the pipeline works on each one this machine can load.
TEST(PeerArenaTest, SmokeOnEveryUsablePeer) {
  int tested = 0;
  for (const auto& arena : peer_arenas()) {
    ServerProcess server({"--arena", arena, "--store", "memory", "--workers", "3"});
    if (!server.start()) {
      // A peer missing here (jemalloc needs LD_PRELOAD) is a clear start-up error, exit 2.
      EXPECT_EQ(server.wait_exit(), 2) << arena;
      EXPECT_NE(server.stderr_text().find(arena), std::string::npos) << server.stderr_text();
      continue;
    }
    ++tested;
    RespClient client(server.port());
    std::string batch;
    for (int i = 0; i < 1000; ++i) batch += RespClient::encode({"INCR", "n"});
    ASSERT_TRUE(client.send_raw(batch));
    for (int i = 1; i <= 1000; ++i) ASSERT_EQ(client.read().str(), ":" + std::to_string(i));
    RespValue info = client.call({"INFO", "memory"});
    EXPECT_NE(info.text.find("mem_allocator:" + arena + "\r\n"), std::string::npos) << info.text;
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait_exit(), 0) << arena;
  }
  if (tested == 0) GTEST_SKIP() << "no peer allocator usable here";
}

std::vector<Params> all_params() {
  std::vector<Params> params;
  for (const auto& arena : main_arenas()) {
    for (const char* store : {"memory", "rocksdb"}) params.emplace_back(arena, store);
  }
  return params;
}

INSTANTIATE_TEST_SUITE_P(ArenasAndStores, CommandsTest, ::testing::ValuesIn(all_params()),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

}  // namespace
}  // namespace hakmem::server::test
