// burst-sleep: producers each keep a live set, then allocate a burst handed to consumers that
// hold it until the producers are done and idle, then free all of it; then every thread
// blocks and the process sleeps --sleep seconds. The bench
// samples committed memory while it sleeps (idle_memory.hpp: how soon it falls to the live
// bytes) and the process's CPU time over the sleep (getrusage), less the sampling thread's
// own: what the allocator spends while the application does nothing.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "idle_memory.hpp"

namespace hakmem::bench {

struct BurstSleepParams {
  uint32_t producers = 4;
  uint32_t consumers = 2;
  uint32_t min_size = 16;
  uint32_t max_size = 256;
  uint32_t burst = 200000;  // objects per producer, all freed by consumers
  uint32_t live_mb = 64;    // kept by the producers (all together) through the sleep
  uint32_t batch = 256;
  uint32_t queue = 64;
  double sleep_seconds = 10;
  double window_ms = 0;  // memory sampling; 0: 4 x purge_delay_ms, at least 40 ms
  uint32_t seed = 1;
};

struct BurstSleepResult {
  double seconds = 0;    // the burst (allocation to the last free), not the sleep
  uint64_t objects = 0;  // burst objects freed
  uint64_t bad_blocks = 0;
  std::map<std::string, double> figures;
};

BurstSleepResult run_burst_sleep(const BurstSleepParams& p, const MemReader& read,
                                 double purge_delay_ms);

}  // namespace hakmem::bench
