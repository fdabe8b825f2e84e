#include "run_report.hpp"

#include <fmt/core.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "preload.hpp"

namespace hakmem::bench {

namespace {
uint64_t status_kib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      std::istringstream fields(line.substr(std::string(key).size()));
      uint64_t kib = 0;
      fields >> kib;
      return kib * 1024;
    }
  }
  return 0;
}
}  // namespace

void finish_report(RunReport& r, const HakmemApi* hakmem) {
  r.peak_rss = status_kib("VmHWM:");
  r.final_rss = status_kib("VmRSS:");
  if (hakmem == nullptr) return;
  hak_counters c;
  hakmem->counters_get(&c);
  for (size_t i = 0; hakmem->counter_name(i) != nullptr; ++i) {
    r.counters[hakmem->counter_name(i)] = hakmem->counter_value(&c, i);
  }
  r.page_reuse_rate = hakmem->page_reuse_rate(&c);
}

// One field list for both directions: every key is written, and reading requires them all.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RunReport, bench, alloc, route, requested_seconds, wall_seconds,
                                   ops_per_sec, peak_rss, final_rss, bad_blocks, extra, counters,
                                   page_reuse_rate)

std::string report_json(const RunReport& r) {
  return nlohmann::json(r).dump();
}

RunReport report_from_json(const std::string& text) {
  return nlohmann::json::parse(text).get<RunReport>();
}

void print_report(const RunReport& r) {
  // Fixed-work benchmarks (churn, handoff) request no duration.
  std::string requested =
      r.requested_seconds > 0 ? fmt::format(" (requested {:.2f} s)", r.requested_seconds) : "";
  fmt::print(
      "{} on {}{}: {:.2f} M ops/s, wall {:.2f} s{}, peak RSS {:.1f} MiB, final RSS {:.1f} MiB, "
      "bad blocks {}\n",
      r.bench, r.alloc, r.route.empty() ? "" : " route " + r.route, r.ops_per_sec / 1e6,
      r.wall_seconds, requested, r.peak_rss / 1048576.0, r.final_rss / 1048576.0, r.bad_blocks);
  for (const auto& [k, v] : r.extra) fmt::print("  {:<28} {:.6g}\n", k, v);
  if (r.page_reuse_rate >= 0) fmt::print("  {:<28} {:.4f}\n", "page_reuse_rate", r.page_reuse_rate);
  for (const auto& [k, v] : r.counters) fmt::print("  {:<28} {}\n", k, v);
}

}  // namespace hakmem::bench
