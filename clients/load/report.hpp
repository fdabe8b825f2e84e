// Output of a run: the text summary, the JSON document (schema in README.md, "hakmem-load/1")
// and the percentile spectrum in HdrHistogram's .hgrm text format.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "nlohmann/json_fwd.hpp"
#include "runner.hpp"

namespace hakmem::load {

inline constexpr const char* kJsonSchema = "hakmem-load/1";

// The flags the run was started with, echoed into the JSON.
struct ReportConfig {
  RunConfig run;
  std::string workload;
  std::string distribution;
  std::string value_size;
  std::string admin;
  int runs = 1;  // --runs
};

nlohmann::json stats_json(const Stats& stats, double duration_s);
// "ok", "failed", "interrupted" or "rate_missed" (missed and not allowed).
const char* run_status(const RunResult& result, bool allow_rate_miss);
nlohmann::json report_json(const ReportConfig& config, const RunResult& result);
// --runs: the last run's fields at the top level, each run in "runs", their spread in
// "across_runs", and the status of the first run that was not ok.
nlohmann::json report_json(const ReportConfig& config, const std::vector<RunResult>& runs);

void print_summary(std::ostream& out, const RunResult& result);

// HdrHistogram's percentile distribution text (outputPercentileDistribution), values in
// milliseconds, 5 reporting ticks per half distance.
void write_hgrm(std::ostream& out, const Histogram& histogram);

}  // namespace hakmem::load
