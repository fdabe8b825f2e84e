// Crash consistency: writers record every SET the server acknowledged, the server (RocksDB,
// --fsync always) is killed with SIGKILL while they write, and after a restart on the same
// directory every acknowledged key holds its value. Several trials on one directory, so the
// writes of earlier trials must also survive the later kills.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "resp_test_client.h"

namespace hakmem::server::test {
namespace {

TEST(CrashTest, AcknowledgedWritesSurviveSigkill) {
  const std::string dir = ServerProcess::temp_dir("crash");
  constexpr int kTrials = 3, kWriters = 4;
  constexpr int64_t kAcksBeforeKill = 200;  // per trial, all writers together
  std::vector<std::pair<std::string, std::string>> acknowledged;
  std::mutex mutex;

  for (int trial = 0; trial < kTrials; ++trial) {
    ServerProcess server({"--store", "rocksdb", "--fsync", "always", "--workers", "2"}, dir);
    ASSERT_TRUE(server.start()) << server.stderr_text();
    // The writes of the earlier trials are all there.
    {
      RespClient check(server.port());
      for (const auto& [key, value] : acknowledged) {
        ASSERT_EQ(check.call({"GET", key}).str(), "$" + value) << "trial " << trial;
      }
    }
    std::atomic<int64_t> acks{0};
    std::atomic<int> running{kWriters};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        struct Exit {
          std::atomic<int>& running;
          ~Exit() { running.fetch_sub(1); }
        } exit{running};
        RespClient client(server.port());
        for (int i = 0;; ++i) {
          std::string key =
              "t" + std::to_string(trial) + "-w" + std::to_string(w) + "-" + std::to_string(i);
          std::string value = key + "-" + std::string(100 + i % 300, 'v');
          if (client.call({"SET", key, value}, 5000).str() != "+OK") return;  // killed
          std::lock_guard lock(mutex);
          acknowledged.emplace_back(key, value);
          acks.fetch_add(1);
        }
      });
    }
    // Kill once enough writes were acknowledged; the writers are still sending.
    while (acks.load() < kAcksBeforeKill && running.load() == kWriters) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(running.load(), kWriters) << "a writer failed before the kill";
    server.signal(SIGKILL);
    EXPECT_EQ(server.wait_exit(), 128 + SIGKILL);
    for (auto& t : writers) t.join();
  }

  ServerProcess server({"--store", "rocksdb"}, dir);
  ASSERT_TRUE(server.start()) << server.stderr_text();
  RespClient check(server.port());
  for (const auto& [key, value] : acknowledged) {
    ASSERT_EQ(check.call({"GET", key}).str(), "$" + value);
  }
  EXPECT_GE(acknowledged.size(), size_t{kTrials * kAcksBeforeKill});
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hakmem::server::test
