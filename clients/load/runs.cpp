#include "runs.hpp"

#include <algorithm>
#include <ostream>

#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace hakmem::load {

Spread spread_of(std::vector<double> v) {
  Spread s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  s.min = v.front();
  s.max = v.back();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return s;
}

RunsSummary summarize_runs(const std::vector<RunResult>& runs) {
  std::vector<double> rate, p50, p99, p999;
  for (const RunResult& r : runs) {
    if (!r.started) continue;
    const Histogram& h = r.total.latency;
    rate.push_back(r.duration_s > 0 ? static_cast<double>(r.total.ops) / r.duration_s : 0.0);
    p50.push_back(static_cast<double>(h.value_at_percentile(50)) / 1e3);
    p99.push_back(static_cast<double>(h.value_at_percentile(99)) / 1e3);
    p999.push_back(static_cast<double>(h.value_at_percentile(99.9)) / 1e3);
  }
  RunsSummary s;
  s.runs = static_cast<int>(rate.size());
  s.ops_per_sec = spread_of(rate);
  s.p50_us = spread_of(p50);
  s.p99_us = spread_of(p99);
  s.p99_9_us = spread_of(p999);
  return s;
}

nlohmann::json runs_summary_json(const RunsSummary& s) {
  auto j = [](const Spread& x) {
    return nlohmann::json{{"median", x.median}, {"min", x.min}, {"max", x.max}};
  };
  return {
      {"runs", s.runs},
      {"ops_per_sec", j(s.ops_per_sec)},
      {"latency_us", {{"p50", j(s.p50_us)}, {"p99", j(s.p99_us)}, {"p99_9", j(s.p99_9_us)}}},
  };
}

void print_runs_summary(std::ostream& out, const RunsSummary& s) {
  out << fmt::format("across {} runs: median (min-max)\n", s.runs);
  out << fmt::format("  ops/s       {:.0f} ({:.0f}-{:.0f})\n", s.ops_per_sec.median,
                     s.ops_per_sec.min, s.ops_per_sec.max);
  auto ms = [&](const char* name, const Spread& x) {
    out << fmt::format("  {:<11} {:.3f} ms ({:.3f}-{:.3f})\n", name, x.median / 1e3, x.min / 1e3,
                       x.max / 1e3);
  };
  ms("p50", s.p50_us);
  ms("p99", s.p99_us);
  ms("p99.9", s.p99_9_us);
}

}  // namespace hakmem::load
