// The seam between the admin service and the server that hosts it: the server implements
// AdminStatsSource; the admin library knows nothing else about the server, so the service and
// its tests run without one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hakmem::admin {

struct CommandCount {
  std::string command;
  uint64_t count = 0;
};

struct LatencyPoint {
  double percentile = 0;  // e.g. 50, 99, 99.9
  double micros = 0;      // server-side service time
};

struct ServerStats {
  uint64_t connections = 0;        // open now
  uint64_t connections_total = 0;  // accepted since start
  std::vector<CommandCount> requests;
  uint64_t worker_queue_depth = 0;
  std::vector<LatencyPoint> latency;
  // The allocator behind the server's per-request objects. Empty: the admin service reports
  // hakmem's own byte counters.
  std::string arena;
  uint64_t arena_bytes_in_use = 0;
  uint64_t arena_bytes_committed = 0;
};

class AdminStatsSource {
 public:
  virtual ~AdminStatsSource() = default;
  // Called on gRPC threads while the server works: must be thread-safe.
  virtual ServerStats server_stats() = 0;
};

}  // namespace hakmem::admin
