// State shared by the server, its connections and its workers. Internal to server/.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include "active_expiry.h"
#include "arena.h"
#include "client_registry.h"
#include "commands.h"
#include "config.h"
#include "introspection.h"
#include "reply_memory.h"
#include "runtime_config.h"
#include "slowlog.h"
#include "stats.h"
#include "store.h"
#include "worker_pool.h"

namespace hakmem::server {

struct ServerCore {
  explicit ServerCore(ServerConfig c)
      : config(std::move(c)), limits(config), reply_memory(config.max_total_output_bytes) {}

  ServerConfig config;  // as started; what CONFIG SET changes lives in limits
  RuntimeLimits limits;
  ReplyMemory reply_memory;
  ClientRegistry clients;
  Slowlog slowlog;
  std::unique_ptr<RuntimeConfig> runtime_config;
  std::unique_ptr<Introspection> introspection;  // what the executor's commands see of the above
  std::shared_ptr<Arena> arena;  // declared first: destroyed after everything that uses it
  std::unique_ptr<Store> store;
  CommandCounters counters;
  LatencyHistogram latency;
  std::unique_ptr<CommandExecutor> executor;
  std::unique_ptr<WorkerPool> pool;
  std::unique_ptr<ActiveExpiry> expiry;  // after store and executor: stopped before them
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  std::atomic<uint64_t> connections_current{0};
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> connections_lingering{0};  // closed, waiting for the client's FIN
  std::atomic<uint64_t> connections_rejected{0};
  std::atomic<uint64_t> disconnects_protocol{0};
  std::atomic<uint64_t> disconnects_idle{0};
};

inline uint64_t monotonic_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace hakmem::server
