// Process figures for GetStats, read from /proc.
#pragma once

#include <cstdint>

namespace hakmem::admin {

struct ProcessStats {
  uint64_t rss_bytes = 0;       // VmRSS
  uint64_t peak_rss_bytes = 0;  // VmHWM
  double uptime_seconds = 0;    // since the process started
};

ProcessStats read_process_stats();

}  // namespace hakmem::admin
