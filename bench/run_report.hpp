// One benchmark run's measurements, printed for people or as JSON for the compare driver.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace hakmem::bench {

struct RunReport {
  std::string bench;
  std::string alloc;
  std::string route;  // hakmem only
  double requested_seconds = 0;
  double wall_seconds = 0;
  double ops_per_sec = 0;
  uint64_t peak_rss = 0;  // VmHWM of this process
  uint64_t final_rss = 0;
  uint64_t bad_blocks = 0;
  std::map<std::string, double> extra;       // bench-specific figures
  std::map<std::string, uint64_t> counters;  // hakmem counters of the run
  double page_reuse_rate = -1;               // hakmem only
};

struct HakmemApi;
// Fills the RSS fields, and hakmem's counters when `hakmem` (the preloaded instance) is given.
void finish_report(RunReport& r, const HakmemApi* hakmem);
std::string report_json(const RunReport& r);
RunReport report_from_json(const std::string& text);
void print_report(const RunReport& r);

}  // namespace hakmem::bench
