// --runs N: the whole run (connect, preload, warmup, measure) repeated, and what varied across
// the repetitions: median and range of the throughput and of the latency percentiles.
#pragma once

#include <iosfwd>
#include <vector>

#include "nlohmann/json_fwd.hpp"
#include "runner.hpp"

namespace hakmem::load {

struct Spread {
  double median = 0, min = 0, max = 0;
};

// Over the runs that started (a run that failed before measuring has no figures).
struct RunsSummary {
  int runs = 0;  // counted
  Spread ops_per_sec;
  Spread p50_us, p99_us, p99_9_us;
};

Spread spread_of(std::vector<double> values);  // median of an even count: the middle two's mean
RunsSummary summarize_runs(const std::vector<RunResult>& runs);
nlohmann::json runs_summary_json(const RunsSummary& summary);
void print_runs_summary(std::ostream& out, const RunsSummary& summary);

}  // namespace hakmem::load
