// The executor and the footprint rules, in-process, without sockets.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "commands.h"
#include "footprint.h"
#include "value_codec.h"

namespace hakmem::server {
namespace {

class NoServer : public ServerIntrospection {
 public:
  StatsSnapshot stats() const override { return {}; }
};

class ExecutorTest : public ::testing::Test {
 protected:
  Request* make(std::vector<std::string> args) {
    Request* r = request_create(*arena_);
    for (const auto& a : args) {
      std::memcpy(request_add_arg(*r, *arena_, a.size()), a.data(), a.size());
    }
    return r;
  }
  std::string run(std::vector<std::string> args) {
    Request* r = make(std::move(args));
    RespWriter out(*arena_);
    executor_.execute(*r, out);
    request_destroy(r, *arena_);
    Reply* reply = out.finish();
    std::string bytes(reply->data(), reply->size);
    reply_destroy(reply, *arena_);
    return bytes;
  }

  std::shared_ptr<Arena> arena_ = make_arena("system", {});
  std::unique_ptr<Store> store_ = make_memory_store(arena_);
  ServerConfig config_;
  NoServer server_;
  CommandCounters counters_;
  CommandExecutor executor_{*store_, *arena_, config_, server_, counters_};
};

TEST_F(ExecutorTest, RepliesAreRespEncoded) {
  EXPECT_EQ(run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(run({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(run({"GET", "nope"}), "$-1\r\n");
  EXPECT_EQ(run({"INCR", "n"}), ":1\r\n");
  EXPECT_EQ(run({"MGET", "k", "nope"}), "*2\r\n$1\r\nv\r\n$-1\r\n");
  EXPECT_EQ(run({"ECHO", "a\r\nb"}), "$4\r\na\r\nb\r\n");
  EXPECT_EQ(run({"CONFIG", "GET", "nothing"}), "*0\r\n");
  EXPECT_EQ(counters_.total(), 8u);
}

// Counts what the executor reserves; refuses once `room` is used up.
class CountingBudget : public ReplyBudget {
 public:
  explicit CountingBudget(size_t room) : room_(room) {}
  bool try_reserve(size_t bytes) override {
    if (bytes > room_) return false;
    room_ -= bytes;
    reserved += bytes;
    return true;
  }
  size_t reserved = 0;

 private:
  size_t room_;
};

TEST_F(ExecutorTest, RepliesPastMaxReplyBytesAreRefusedBeforeTheyAreBuilt) {
  const std::string value(1000, 'v');
  run({"SET", "big", value});
  auto run_limited = [&](std::vector<std::string> args, ReplyBudget* budget, bool* deferred) {
    Request* r = make(std::move(args));
    RespWriter out(*arena_);
    out.set_budget(budget, 4000);
    executor_.execute(*r, out);
    request_destroy(r, *arena_);
    *deferred = out.deferred();
    Reply* reply = out.finish();
    std::string bytes(reply->data(), reply->size);
    reply_destroy(reply, *arena_);
    return bytes;
  };
  bool deferred = false;
  CountingBudget budget(1 << 20);
  EXPECT_EQ(run_limited({"MGET", "big", "big", "big"}, &budget, &deferred).size(), 4u + 3 * 1009);
  EXPECT_EQ(budget.reserved, 4u + 3 * 1009);  // exactly the reply, reserved once
  const std::string refused = "-ERR reply of 5049 bytes would exceed max-reply-bytes (4000)\r\n";
  EXPECT_EQ(run_limited({"MGET", "big", "big", "big", "big", "big"}, &budget, &deferred), refused);
  EXPECT_EQ(budget.reserved, 4u + 3 * 1009);  // nothing taken for the refused one
  EXPECT_NE(run_limited({"ECHO", std::string(5000, 'e')}, &budget, &deferred).find("-ERR reply"),
            std::string::npos);

  // No room in the budget: nothing is written and the request is to be run again.
  CountingBudget full(10);
  EXPECT_EQ(run_limited({"GET", "big"}, &full, &deferred), "");
  EXPECT_TRUE(deferred);
  EXPECT_EQ(run_limited({"PING"}, &full, &deferred), "+PONG\r\n");  // small: never deferred
  EXPECT_FALSE(deferred);
  EXPECT_EQ(run_limited({"SET", "big", "new", "GET"}, nullptr, &deferred),
            "$1000\r\n" + value + "\r\n");
}

TEST_F(ExecutorTest, ExpiredKeysAreRemovedFromTheStoreWhenRead) {
  EXPECT_EQ(run({"SET", "gone", "v", "PX", "1"}), "+OK\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::string stored;
  ASSERT_TRUE(store_->get("gone", &stored));  // still stored until someone looks
  EXPECT_EQ(run({"GET", "gone"}), "$-1\r\n");
  EXPECT_FALSE(store_->get("gone", &stored));
}

TEST_F(ExecutorTest, StoredValuesCarryTheirExpiry) {
  EXPECT_EQ(run({"SET", "a", "1", "EX", "100"}), "+OK\r\n");
  std::string stored;
  ASSERT_TRUE(store_->get("a", &stored));
  DecodedValue d = decode_value(stored);
  ASSERT_TRUE(d.valid);
  EXPECT_EQ(d.value, "1");
  EXPECT_GT(d.expire_at_ms, unix_millis_now() + 90 * 1000);
  EXPECT_EQ(run({"INCRBY", "a", "41"}), ":42\r\n");
  ASSERT_TRUE(store_->get("a", &stored));
  EXPECT_EQ(decode_value(stored).expire_at_ms, d.expire_at_ms);  // INCR keeps the TTL
}

class FootprintTest : public ExecutorTest {
 protected:
  Footprint of(std::vector<std::string> args) {
    Request* r = make(std::move(args));
    Footprint f = footprint_of(*r);
    request_destroy(r, *arena_);
    return f;
  }
};

TEST_F(FootprintTest, OnlyRequestsThatCanObserveEachOtherConflict) {
  EXPECT_TRUE(of({"SET", "k", "v"}).conflicts_with(of({"GET", "k"})));
  EXPECT_TRUE(of({"GET", "k"}).conflicts_with(of({"INCR", "k"})));
  EXPECT_TRUE(of({"MSET", "a", "1", "k", "2"}).conflicts_with(of({"MGET", "x", "k"})));
  EXPECT_TRUE(of({"DEL", "x", "k"}).conflicts_with(of({"EXISTS", "k"})));
  EXPECT_TRUE(of({"FLUSHALL"}).conflicts_with(of({"GET", "anything"})));
  EXPECT_TRUE(of({"DBSIZE"}).conflicts_with(of({"SET", "anything", "v"})));

  EXPECT_FALSE(of({"GET", "k"}).conflicts_with(of({"GET", "k"})));
  EXPECT_FALSE(of({"SET", "a", "v"}).conflicts_with(of({"SET", "b", "v"})));
  EXPECT_FALSE(of({"MSET", "a", "1", "b", "2"}).conflicts_with(of({"GET", "1"})));  // values
  EXPECT_FALSE(of({"DBSIZE"}).conflicts_with(of({"GET", "k"})));
  EXPECT_FALSE(of({"PING"}).conflicts_with(of({"FLUSHALL"})));
  EXPECT_FALSE(of({"INFO"}).conflicts_with(of({"SET", "k", "v"})));
  EXPECT_FALSE(of({"NOSUCH", "k"}).conflicts_with(of({"SET", "k", "v"})));
  EXPECT_FALSE(of({"GET"}).conflicts_with(of({"SET", "k", "v"})));  // wrong arity: only errors
}

}  // namespace
}  // namespace hakmem::server
