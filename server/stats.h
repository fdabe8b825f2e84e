// What the server counts while it runs, and the snapshot other layers (INFO, the admin service)
// read. Counters are relaxed atomics: exact totals, no ordering between them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "arena.h"

namespace hakmem::server {

struct LatencySummary {
  uint64_t count = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
};

// Cumulative counts at some of a histogram's bucket edges, for exporters (Prometheus).
struct LatencyBuckets {
  std::vector<uint64_t> upper_ns;    // inclusive upper bounds, ascending
  std::vector<uint64_t> cumulative;  // observations <= upper_ns[i]
  uint64_t count = 0;
  uint64_t sum_ns = 0;
};

// Log-linear histogram of nanoseconds: 8 sub-buckets per power of two (<= 12.5% error).
class LatencyHistogram {
 public:
  void record(uint64_t ns);
  LatencySummary summary() const;
  // Edges 2^k - 1 ns for k in [min_exp, max_exp]: each is a bucket edge, so the counts are
  // exact, not interpolated.
  LatencyBuckets buckets(int min_exp, int max_exp) const;
  void reset();  // CONFIG RESETSTAT

 private:
  static constexpr int kSubBits = 3;
  static constexpr size_t kBuckets = 64 << kSubBits;
  static size_t bucket_of(uint64_t ns);
  static uint64_t bucket_upper_ns(size_t bucket);
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> max_ns_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

// Everything an observer may want, copied at one moment.
struct StatsSnapshot {
  uint64_t uptime_s = 0;
  uint16_t port = 0;
  unsigned io_threads = 0;
  unsigned workers = 0;
  uint64_t connections_current = 0;
  uint64_t max_clients = 0;  // the limit now (CONFIG SET maxclients)
  uint64_t connections_total = 0;
  uint64_t connections_rejected = 0;  // over --max-clients
  uint64_t disconnects_protocol = 0;  // malformed input or over --max-request-bytes
  uint64_t disconnects_idle = 0;
  uint64_t commands_processed = 0;
  std::vector<std::pair<std::string, uint64_t>> command_counts;  // commands seen at least once
  uint64_t queue_depth = 0;
  uint64_t queue_capacity = 0;
  LatencySummary service_latency;           // enqueue to reply ready, on a worker
  LatencyBuckets service_latency_buckets;   // the same, 1 us to 8.6 s in powers of two
  ArenaCounters arena;                      // what the server counted through its arena
  ArenaReport allocator;                    // what the allocator reports about itself
  uint64_t system_malloc_bytes_in_use = 0;  // glibc's malloc, used by RocksDB and others
  uint64_t rss_bytes = 0;
  uint64_t peak_rss_bytes = 0;
};

// The seam the admin layer (and INFO) reads through.
class ServerIntrospection {
 public:
  virtual ~ServerIntrospection() = default;
  virtual StatsSnapshot stats() const = 0;
};

// glibc malloc's live bytes (small chunks in use plus mmapped chunks).
uint64_t system_malloc_in_use();

// RSS and peak RSS (VmRSS / VmHWM) of this process in bytes; 0 when unavailable.
std::pair<uint64_t, uint64_t> read_rss_bytes();

}  // namespace hakmem::server
