// The load engine: RESP connections over Asio, spread over I/O threads, issuing a workload in
// closed loop (as fast as the pipeline allows) or open loop (on an OpenLoopSchedule).
// Asio stays inside load_engine.cpp and connection.hpp/.cpp; this header is cheap to include.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hakmem/workloads/workload.hpp"
#include "stats.hpp"

namespace hakmem::load {

struct ServerAddress {
  std::string host;
  uint16_t port = 0;
  std::string name() const { return host + ":" + std::to_string(port); }
};

struct EngineConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 7379;
  // Several servers (--servers): each connection opens one socket to each and sends every key
  // to the server ketama (ketama.hpp) places it on. Empty: the one server host:port.
  std::vector<ServerAddress> servers;
  int threads = 2;
  int connections = 8;  // in total, spread over the threads
  int pipeline = 1;     // requests in flight per connection
  double rate = 0;      // open loop: requests per second over all connections; 0 = closed loop
  uint64_t seed = 1;
  workloads::WorkloadSpec workload;
  // With a password, every socket sends AUTH [user] password before anything else; a refusal
  // fails connect().
  std::string user;
  std::string password;
  std::chrono::milliseconds connect_timeout{5000};
};

class LoadEngine {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LoadEngine(const EngineConfig& config);
  ~LoadEngine();
  LoadEngine(const LoadEngine&) = delete;
  LoadEngine& operator=(const LoadEngine&) = delete;

  // Opens every connection and starts the I/O threads. Returns "" or why it failed.
  std::string connect();

  // SETs keys [0, n) (values from the workload's size chooser), closed loop, and waits for
  // every reply. What it measured (errors included) is added to `out`.
  void preload(uint64_t n, Stats& out);

  // Starts the workload. Operations sent from `record_from` on are recorded, with their
  // latency from their intended time even when that was earlier (an open loop behind its
  // schedule); those sent before (the warmup) are not. With request_limit > 0 exactly that many
  // recorded operations are sent.
  void start(Clock::time_point record_from, uint64_t request_limit);

  // The servers requests go to: config.servers, or host:port alone.
  const std::vector<ServerAddress>& servers() const;

  // Moves what every I/O thread recorded since the last call into `out`, and (when given) what
  // each server answered into (*per_server)[i], which it sizes to servers().size().
  void collect(Stats& out, std::vector<Stats>* per_server = nullptr);

  // Recorded operations answered so far (errors included), or lost with their connection.
  // What they measured is in the sinks before they count here.
  uint64_t completed() const;
  // Recorded operations sent so far.
  uint64_t sent() const;
  // Open loop, after stop(): requests due by `at` that were never sent (the schedule's lag).
  uint64_t backlog(Clock::time_point at) const;
  bool limit_reached() const;  // request_limit operations answered
  int live_connections() const;

  // Stops issuing and shuts the I/O threads down; replies still in flight are dropped.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hakmem::load
