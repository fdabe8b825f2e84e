#include "run_report.hpp"

#include <fmt/core.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "hakmem/hakmem.h"

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

void finish_report(RunReport& r, bool with_hakmem_counters) {
  r.peak_rss = status_kib("VmHWM:");
  r.final_rss = status_kib("VmRSS:");
  if (!with_hakmem_counters) return;
  hak_counters c;
  hak_counters_get(&c);
  for (size_t i = 0; hak_counter_name(i) != nullptr; ++i) {
    r.counters[hak_counter_name(i)] = hak_counter_value(&c, i);
  }
  r.page_reuse_rate = hak_page_reuse_rate(&c);
}

std::string report_json(const RunReport& r) {
  nlohmann::json j;
  j["bench"] = r.bench;
  j["alloc"] = r.alloc;
  j["route"] = r.route;
  j["requested_seconds"] = r.requested_seconds;
  j["wall_seconds"] = r.wall_seconds;
  j["ops_per_sec"] = r.ops_per_sec;
  j["peak_rss"] = r.peak_rss;
  j["final_rss"] = r.final_rss;
  j["bad_blocks"] = r.bad_blocks;
  j["extra"] = r.extra;
  j["counters"] = r.counters;
  j["page_reuse_rate"] = r.page_reuse_rate;
  return j.dump();
}

RunReport report_from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text);
  RunReport r;
  r.bench = j.at("bench");
  r.alloc = j.at("alloc");
  r.route = j.at("route");
  r.requested_seconds = j.at("requested_seconds");
  r.wall_seconds = j.at("wall_seconds");
  r.ops_per_sec = j.at("ops_per_sec");
  r.peak_rss = j.at("peak_rss");
  r.final_rss = j.at("final_rss");
  r.bad_blocks = j.at("bad_blocks");
  r.extra = j.at("extra").get<std::map<std::string, double>>();
  r.counters = j.at("counters").get<std::map<std::string, uint64_t>>();
  r.page_reuse_rate = j.at("page_reuse_rate");
  return r;
}

void print_report(const RunReport& r) {
  fmt::print(
      "{} on {}{}: {:.2f} M ops/s, wall {:.2f} s (requested {:.2f} s), peak RSS {:.1f} MiB, "
      "final RSS {:.1f} MiB, bad blocks {}\n",
      r.bench, r.alloc, r.route.empty() ? "" : " route " + r.route, r.ops_per_sec / 1e6,
      r.wall_seconds, r.requested_seconds, r.peak_rss / 1048576.0, r.final_rss / 1048576.0,
      r.bad_blocks);
  for (const auto& [k, v] : r.extra) fmt::print("  {:<28} {:.6g}\n", k, v);
  if (r.page_reuse_rate >= 0) fmt::print("  {:<28} {:.4f}\n", "page_reuse_rate", r.page_reuse_rate);
  for (const auto& [k, v] : r.counters) fmt::print("  {:<28} {}\n", k, v);
}

}  // namespace hakmem::bench
