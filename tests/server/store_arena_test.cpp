// The memory store keeps what the server parsed: a value SET through it is the arena block the
// I/O thread allocated while parsing (no copy), and the worker that deletes it frees it, on
// another thread. Three long-lived threads play the I/O thread and two workers, so the
// allocator's own counters (hakmem's frees_remote and bytes_in_use) can be read between steps
// with nothing else running. Labelled "concurrency": also run under TSan.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "commands.h"
#include "resp_parser.h"
#include "resp_test_client.h"
#include "server.h"

namespace hakmem::server {
namespace {

// A thread that stays alive (so it keeps its allocator heap) and runs what it is given.
class Actor {
 public:
  Actor() : thread_([this] { loop(); }) {}
  ~Actor() {
    run(nullptr);
    thread_.join();
  }
  // Runs fn on the actor's thread and waits for it; nullptr ends the thread.
  void run(std::function<void()> fn) {
    std::unique_lock lock(mu_);
    bool stop = !fn;
    task_ = std::move(fn);
    has_task_ = true;
    cv_.notify_all();
    if (!stop) cv_.wait(lock, [this] { return !has_task_; });
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return has_task_; });
      if (!task_) return;
      task_();
      has_task_ = false;
      cv_.notify_all();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> task_;
  bool has_task_ = false;
  std::thread thread_;
};

class NoServer : public ServerIntrospection {
 public:
  StatsSnapshot stats() const override { return {}; }
};

std::string resp_command(const std::vector<std::string>& args) {
  return test::RespClient::encode(args);
}

class StoreArenaTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ArenaOptions options;
    options.route = "S";  // owner-only reuse: no page changes hands between the steps
    arena_ = make_arena(GetParam(), options);
    store_ = make_memory_store(arena_);
    executor_ = std::make_unique<CommandExecutor>(*store_, *arena_, config_, server_, counters_);
  }
  void TearDown() override {
    io_.run([&] { executor_.reset(), store_.reset(); });  // no thread of the test may hold it
  }

  // Parses one command on the calling thread, as an I/O thread does.
  Request* parse(const std::vector<std::string>& args) {
    RespParser parser(*arena_, ParserLimits{});
    std::string bytes = resp_command(args);
    size_t consumed = 0;
    EXPECT_EQ(parser.parse(bytes.data(), bytes.size(), &consumed), RespParser::Result::kRequest);
    return parser.take_request();
  }
  // Executes on the calling thread, as a worker does; frees the request, returns the reply.
  std::string execute(Request* request) {
    RespWriter out(*arena_);
    executor_->execute(*request, out);
    request_destroy(request, *arena_);
    Reply* reply = out.finish();
    std::string text(reply->data(), reply->size);
    reply_destroy(reply, *arena_);
    return text;
  }

  std::shared_ptr<Arena> arena_;
  std::unique_ptr<Store> store_;
  ServerConfig config_;
  NoServer server_;
  CommandCounters counters_;
  std::unique_ptr<CommandExecutor> executor_;
  Actor io_, worker_a_, worker_b_;
};

constexpr size_t kValueBytes = 16 * 1024;  // a size class of its own, below hakmem's large objects

TEST_P(StoreArenaTest, ASetValueIsTheParsedBlockAndAnotherThreadFreesIt) {
  const std::string value(kValueBytes, 'v');
  // Warm every thread up once, so first-use allocations (heaps, tables) are out of the way.
  for (Actor* worker : {&worker_a_, &worker_b_}) {
    Request* r = nullptr;
    io_.run([&] { r = parse({"SET", "warm", "x"}); });
    worker->run([&] { EXPECT_EQ(execute(r), "+OK\r\n"); });
    io_.run([&] { r = parse({"DEL", "warm", "absent"}); });
    worker->run([&] { EXPECT_EQ(execute(r), ":1\r\n"); });
  }

  ArenaCounters before_set = arena_counters();
  ArenaReport allocator_before_set = arena_->report();
  Request* set = nullptr;
  io_.run([&] { set = parse({"SET", "big", value}); });  // the value's block: the I/O thread's
  const uint64_t in_use_parsed = arena_counters().bytes_in_use;
  uint64_t in_use_while_executing = 0;
  worker_a_.run([&] {
    RespWriter out(*arena_);
    executor_->execute(*set, out);
    // Still holding the request: a copy of the value would show up as another 16 KiB here.
    in_use_while_executing = arena_counters().bytes_in_use;
    request_destroy(set, *arena_);
    Reply* reply = out.finish();
    EXPECT_EQ(std::string(reply->data(), reply->size), "+OK\r\n");
    reply_destroy(reply, *arena_);
  });
  ArenaCounters after_set = arena_counters();
  ArenaReport allocator_after_set = arena_->report();
  EXPECT_LT(in_use_while_executing - in_use_parsed, kValueBytes) << "the value was copied";
  // The request is gone, the value stays: the store holds the parsed block.
  EXPECT_GE(after_set.bytes_in_use - before_set.bytes_in_use, kValueBytes);
  std::string stored;
  ASSERT_TRUE(store_->get("big", &stored));
  EXPECT_EQ(stored.substr(1), value);  // one flag byte (no expiry), then the bytes as sent

  // DEL runs wholly on worker B (request, reply and all), so the only frees of blocks another
  // thread allocated are the stored key, value and node; the value came from the I/O thread.
  Request* del = nullptr;
  worker_b_.run([&] { del = parse({"DEL", "big"}); });
  ArenaReport allocator_before_del = arena_->report();
  worker_b_.run([&] { EXPECT_EQ(execute(del), ":1\r\n"); });
  ArenaCounters after_del = arena_counters();
  ArenaReport allocator_after_del = arena_->report();
  EXPECT_GE(after_del.cross_thread_frees - after_set.cross_thread_frees, 2u);  // key and value
  EXPECT_LE(after_del.bytes_in_use + kValueBytes, after_set.bytes_in_use);

  if (GetParam() == "hakmem") {
    // hakmem's own view agrees: 16 KiB more in use while the store holds the value, at least
    // one more cross-thread free when worker B deletes it, and the 16 KiB are released.
    EXPECT_GE(allocator_after_set.bytes_in_use - allocator_before_set.bytes_in_use, kValueBytes);
    EXPECT_GE(allocator_after_del.remote_frees - allocator_before_del.remote_frees, 2u);
    EXPECT_LE(allocator_after_del.bytes_in_use + kValueBytes, allocator_before_del.bytes_in_use);
  }
}

TEST_P(StoreArenaTest, OverwritingFreesTheOldValueAndAllocatesNoNewOne) {
  Request* r = nullptr;
  io_.run([&] { r = parse({"SET", "k", std::string(kValueBytes, 'a')}); });
  worker_a_.run([&] { EXPECT_EQ(execute(r), "+OK\r\n"); });
  io_.run([&] { r = parse({"SET", "k", std::string(kValueBytes, 'b')}); });
  ArenaCounters before = arena_counters();
  ArenaReport allocator_before = arena_->report();
  worker_b_.run([&] { EXPECT_EQ(execute(r), "+OK\r\n"); });
  ArenaCounters after = arena_counters();
  ArenaReport allocator_after = arena_->report();
  // The old value and the new request's blocks were all allocated by the I/O thread.
  EXPECT_GE(after.cross_thread_frees - before.cross_thread_frees, 2u);
  // The old value was freed, the new one (part of the request until now) stayed.
  EXPECT_GE(before.bytes_in_use - after.bytes_in_use, kValueBytes);
  EXPECT_LT(before.bytes_in_use - after.bytes_in_use, 2 * kValueBytes);
  if (GetParam() == "hakmem") {
    EXPECT_GE(allocator_after.remote_frees - allocator_before.remote_frees, 2u);
  }
  std::string stored;
  ASSERT_TRUE(store_->get("k", &stored));
  EXPECT_EQ(stored.substr(1), std::string(kValueBytes, 'b'));
}

TEST_P(StoreArenaTest, EverythingTheStoreHeldIsFreedWithIt) {
  ArenaCounters before = arena_counters();
  for (int i = 0; i < 100; ++i) {
    Request* r = nullptr;
    io_.run([&] { r = parse({"MSET", "a" + std::to_string(i), "x", "b", std::to_string(i)}); });
    (i % 2 ? worker_a_ : worker_b_).run([&] { EXPECT_EQ(execute(r), "+OK\r\n"); });
  }
  worker_a_.run([&] { executor_.reset(), store_.reset(); });
  ArenaCounters after = arena_counters();
  EXPECT_EQ(after.allocations - before.allocations, after.frees - before.frees);
}

std::vector<std::string> arenas() {
  return test::main_arenas();
}
INSTANTIATE_TEST_SUITE_P(Arenas, StoreArenaTest, ::testing::ValuesIn(arenas()));

// Through the whole server: INFO counts the store's bytes, and used_memory covers them.
TEST(StoreArenaServerTest, InfoReportsWhatTheMemoryStoreHolds) {
  for (const std::string& arena : test::main_arenas()) {
    ServerConfig config;
    config.port = 0;
    config.arena = arena;
    config.store.kind = "memory";
    Server server(config);
    server.start();
    test::RespClient client(server.port());
    ASSERT_EQ(client.call({"SET", "big", std::string(kValueBytes, 'v')}).str(), "+OK");
    std::string info = client.call({"INFO", "all"}).text;
    auto field = [&](const std::string& name) -> uint64_t {
      size_t at = info.find("\r\n" + name + ":");
      if (at == std::string::npos) return 0;
      return std::stoull(info.substr(at + name.size() + 3));
    };
    EXPECT_GE(field("memory_store_bytes"), kValueBytes) << arena;
    EXPECT_EQ(field("memory_store_keys"), 1u) << arena;
    EXPECT_NE(info.find("memory_store_allocator:" + arena + "\r\n"), std::string::npos);
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
    // The sanitizer's malloc leaves glibc's mallinfo2 empty: the system arena knows nothing.
    const bool allocator_knows = arena != "system";
#else
    const bool allocator_knows = true;
#endif
    if (allocator_knows) {
      EXPECT_GE(field("allocator_bytes_in_use"), field("memory_store_bytes")) << arena;
      EXPECT_GE(field("used_memory"), field("memory_store_bytes")) << arena;
    }
    server.stop();
  }
}

}  // namespace
}  // namespace hakmem::server
