// Lists, hashes, sets and sorted sets of both stores driven from several worker threads at once,
// with keys expiring under them and the active expiry cycle removing them meanwhile: the
// commands stay atomic per key (nothing written to a key nobody expires is lost) and every
// expired key goes. Labelled "concurrency": also run under TSan.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "active_expiry.h"
#include "arena.h"
#include "commands.h"

namespace hakmem::server {
namespace {

class NoServer : public ServerIntrospection {
 public:
  StatsSnapshot stats() const override { return {}; }
};

struct Param {
  std::string store;  // memory | rocksdb
  std::string arena;
};

void PrintTo(const Param& p, std::ostream* os) {
  *os << p.store << "/" << p.arena;
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  return info.param.store + "_" + info.param.arena;
}

class CollectionsConcurrencyTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    arena_ = make_arena(GetParam().arena, {});
    StoreOptions options;
    options.kind = GetParam().store;
    options.arena = arena_;
    options.fsync = FsyncPolicy::kNo;
    dir_ = std::filesystem::temp_directory_path() /
           ("hakmem-collections-" + param_name({GetParam(), 0}) + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    options.data_dir = dir_.string();
    store_ = make_store(options);
    executor_ = std::make_unique<CommandExecutor>(*store_, *arena_, config_, server_, counters_);
    expiry_ = std::make_unique<ActiveExpiry>(*store_, executor_->locks());
  }
  void TearDown() override {
    expiry_.reset();
    executor_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string run(const std::vector<std::string>& args) {
    Request* r = request_create(*arena_);
    for (const auto& a : args) {
      std::memcpy(request_add_arg(*r, *arena_, a.size()), a.data(), a.size());
    }
    RespWriter out(*arena_);
    executor_->execute(*r, out);
    request_destroy(r, *arena_);
    Reply* reply = out.finish();
    std::string bytes(reply->data(), reply->size);
    reply_destroy(reply, *arena_);
    return bytes;
  }

  std::shared_ptr<Arena> arena_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  ServerConfig config_;
  NoServer server_;
  CommandCounters counters_;
  std::unique_ptr<CommandExecutor> executor_;
  std::unique_ptr<ActiveExpiry> expiry_;
};

// Shared keys of every type, written, read, expired and deleted by every thread; each thread
// also has a hash and adds members to a set nobody expires, whose contents are checked at the end.
TEST_P(CollectionsConcurrencyTest, CommandsAndActiveExpiryFromSeveralThreads) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 300;
  constexpr int kSharedKeys = 8;
  expiry_->start(std::chrono::milliseconds(1));
  std::atomic<int> bad_replies{0};
  auto check = [&](const std::string& reply, const std::vector<std::string>& args) {
    // Any reply but a server error; WRONGTYPE is right when another thread retyped the key.
    if (reply.rfind("-ERR", 0) == 0 || reply.empty()) {
      ADD_FAILURE() << args[0] << " " << args[1] << ": " << reply;
      ++bad_replies;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string own = "own:" + std::to_string(t);
      for (int i = 0; i < kRounds; ++i) {
        const std::string n = std::to_string(i);
        const std::string k = "shared:" + std::to_string((i * 7 + t) % kSharedKeys);
        std::vector<std::vector<std::string>> commands;
        switch ((i + t) % 6) {
          case 0:
            commands = {{"RPUSH", k + ":l", n, n},
                        {"LRANGE", k + ":l", "0", "-1"},
                        {"LPOP", k + ":l"},
                        {"LTRIM", k + ":l", "0", "5"}};
            break;
          case 1:
            commands = {{"HSET", k + ":h", "f" + n, n},
                        {"HGETALL", k + ":h"},
                        {"HDEL", k + ":h", "f" + std::to_string(i - 1)},
                        {"HLEN", k + ":h"}};
            break;
          case 2:
            commands = {{"SADD", k + ":s", n, "x"},
                        {"SMEMBERS", k + ":s"},
                        {"SREM", k + ":s", "x"},
                        {"SPOP", k + ":s"}};
            break;
          case 3:
            commands = {{"ZADD", k + ":z", n, "m" + n},
                        {"ZRANGE", k + ":z", "0", "-1"},
                        {"ZRANK", k + ":z", "m" + n},
                        {"ZREM", k + ":z", "m" + n}};
            break;
          case 4:  // expire under the others: a millisecond, so the cycle meets them
            commands = {{"PEXPIRE", k + ":l", "1"},
                        {"PEXPIRE", k + ":h", "1"},
                        {"PEXPIRE", k + ":s", "1"},
                        {"PEXPIRE", k + ":z", "1"}};
            break;
          case 5:
            commands = {{"DEL", k + ":z"},
                        {"TYPE", k + ":h"},
                        {"SCAN", "0", "COUNT", "5"},
                        {"SET", k + ":l", n}};  // a string where a list was: WRONGTYPE for some
            break;
        }
        commands.push_back({"HSET", own, "f" + n, n});
        commands.push_back({"SADD", "members", own + ":" + n});
        for (const auto& c : commands) check(run(c), c);
      }
    });
  }
  for (auto& th : threads) th.join();
  expiry_->stop();
  EXPECT_EQ(bad_replies.load(), 0);

  // Nothing written to the keys without expiry was lost.
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(run({"HLEN", "own:" + std::to_string(t)}), ":" + std::to_string(kRounds) + "\r\n");
  }
  EXPECT_EQ(run({"SCARD", "members"}), ":" + std::to_string(kThreads * kRounds) + "\r\n");

  // Every shared key expires; cycles alone (nobody reads them) remove them all.
  for (int s = 0; s < kSharedKeys; ++s) {
    for (const char* type : {":l", ":h", ":s", ":z"}) {
      run({"PEXPIRE", "shared:" + std::to_string(s) + type, "1"});
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (int cycle = 0; cycle < 10; ++cycle) expiry_->run_cycle();  // a cycle visits 200 keys
  EXPECT_GT(expiry_->removed(), 0u);
  EXPECT_EQ(run({"DBSIZE"}), ":" + std::to_string(kThreads + 1) + "\r\n");
}

std::vector<Param> params() {
  std::vector<Param> out;
  for (const std::string arena : {"system", "hakmem"}) out.push_back({"memory", arena});
#if !defined(__SANITIZE_THREAD__)
  // Debian's librocksdb is not instrumented: its write groups and memtable order threads with
  // atomics TSan cannot see, so it reports RocksDB's own buffers (MemTable::Add against Get and
  // iterators, WriteBatchInternal::Append of a follower's batch). Run in the Release build only.
  out.push_back({"rocksdb", "system"});
#endif
  return out;
}

INSTANTIATE_TEST_SUITE_P(Stores, CollectionsConcurrencyTest, ::testing::ValuesIn(params()),
                         param_name);

}  // namespace
}  // namespace hakmem::server
