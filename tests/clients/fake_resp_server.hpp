// A tiny RESP server for the load generator's tests: answers SET/GET/DEL/PING in memory, and
// can be made slow (a fixed delay before each reply, requests served one at a time per
// connection) or faulty (every Nth request gets an -ERR).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace hakmem::load::testing {

class FakeRespServer {
 public:
  struct Options {
    std::chrono::milliseconds delay{0};  // slept before answering each request
    uint64_t error_every = 0;            // 0 = never; else every Nth request gets -ERR
    bool log_commands = false;           // keep "COMMAND key value-size" of every request
  };

  explicit FakeRespServer(Options options);
  ~FakeRespServer();

  uint16_t port() const { return port_; }
  uint64_t requests() const { return requests_.load(); }
  std::vector<std::string> command_log();

 private:
  void accept_loop();
  void serve(int fd);
  std::string answer(const std::vector<std::string_view>& args);

  Options options_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> requests_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> client_fds_;
  std::unordered_map<std::string, std::string> data_;
  std::vector<std::string> log_;
};

}  // namespace hakmem::load::testing
