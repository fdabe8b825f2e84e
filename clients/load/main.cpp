// hakmem-load: drives a RESP server with a workload and reports throughput and latency.
// Exit status: 0 ok, 1 server unreachable or AUTH refused / connections lost / route switch
// failed, 2 usage,
// 3 open loop below 95% of its --rate (unless --allow-rate-miss), 130 interrupted
// (SIGINT/SIGTERM; the partial results are still reported).
#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>

#include "cli.hpp"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "runs.hpp"

namespace hl = hakmem::load;

namespace {

std::atomic<bool> g_interrupted{false};  // lock-free, so a signal handler may store to it
static_assert(std::atomic<bool>::is_always_lock_free);
void on_interrupt(int) {
  g_interrupted.store(true);
}

bool write_file(const std::string& path, const std::string& what, auto&& writer) {
  std::ofstream out(path);
  if (out) writer(out);
  if (!out) {
    std::cerr << "hakmem-load: cannot write " << what << " to " << path << "\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  hl::Options options;
  if (const int code = hl::parse_command_line(argc, argv, &options); code >= 0) return code;
  auto& run = options.report.run;

  std::unique_ptr<hl::RouteSwitcher> switcher;
  if (!run.phases.empty()) {
    if (!hl::have_grpc_route_switcher()) {
      std::cerr << "hakmem-load: --phases needs the admin RPC client, which this build lacks "
                   "(the admin proto target was not found at configure time)\n";
      return 2;
    }
    switcher = hl::make_grpc_route_switcher(options.report.admin, options.admin_token);
    run.switcher = switcher.get();
  }
  if (!options.quiet) run.progress = &std::cerr;
  // Ctrl-C ends the run early; what was measured is still reported.
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  run.interrupt = &g_interrupted;

  // --runs: each repetition is a whole run; one that fails, is interrupted or cannot connect
  // ends the series.
  const int runs = options.report.runs;
  std::vector<hl::RunResult> results;
  for (int i = 0; i < runs; ++i) {
    if (runs > 1 && !options.quiet) std::cerr << fmt::format("run {} of {}\n", i + 1, runs);
    hl::RunResult r = hl::run_load(run);
    if (!r.connect_error.empty()) {
      if (run.engine.servers.empty()) {
        std::cerr << "hakmem-load: cannot connect to " << run.engine.host << ":" << run.engine.port
                  << ": " << r.connect_error << "\n";
      } else {  // the error names the server
        std::cerr << "hakmem-load: cannot connect to " << r.connect_error << "\n";
      }
      if (results.empty()) return 1;
      break;  // what the earlier runs measured is still reported
    }
    if (runs > 1) std::cout << fmt::format("run {} of {}:\n", i + 1, runs);
    if (r.started) hl::print_summary(std::cout, r);
    results.push_back(std::move(r));
    const hl::RunResult& last = results.back();
    if (!last.failure.empty() || last.interrupted || g_interrupted.load()) break;
  }
  if (runs > 1) hl::print_runs_summary(std::cout, hl::summarize_runs(results));
  const hl::RunResult& result = results.back();
  const bool connect_lost = static_cast<int>(results.size()) < runs && result.failure.empty() &&
                            !result.interrupted && !g_interrupted.load();
  bool ok = !connect_lost;
  if (!options.json_file.empty()) {
    ok &= write_file(options.json_file, "JSON", [&](std::ostream& out) {
      out << hl::report_json(options.report, results).dump(2) << "\n";
    });
  }
  if (!options.hgrm_file.empty()) {
    ok &= write_file(options.hgrm_file, "the percentile spectrum",
                     [&](std::ostream& out) { hl::write_hgrm(out, result.total.latency); });
  }
  if (!result.failure.empty()) {
    std::cerr << "hakmem-load: " << result.failure << "\n";
    return 1;
  }
  if (result.interrupted || g_interrupted.load()) return 130;
  if (!ok) return 1;
  const auto missed = std::find_if(results.begin(), results.end(),
                                   [](const hl::RunResult& r) { return r.rate_missed; });
  if (missed != results.end() && !run.allow_rate_miss) {
    const hl::RunResult& m = *missed;
    std::cerr << fmt::format(
        "hakmem-load: target rate missed: {:.0f} of {:.0f} requests/s answered ({:.1f}%); "
        "--allow-rate-miss accepts that\n",
        m.achieved_rate, m.target_rate, 100 * m.achieved_rate / m.target_rate);
    return 3;
  }
  return 0;
}
