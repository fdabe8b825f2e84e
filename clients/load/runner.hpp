// The run's timeline: connect, preload, warmup, then the measured window (one phase, or the
// --phases with a route switch at each boundary), cut into one-second intervals.
#pragma once

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "phases.hpp"
#include "load_engine.hpp"
#include "stats.hpp"

namespace hakmem::load {

struct RunConfig {
  EngineConfig engine;
  double duration_s = 10;  // <= 0: until the request limit (used with requests > 0)
  double warmup_s = 1;
  uint64_t requests = 0;  // 0 = no limit
  uint64_t preload = 0;   // --load
  std::vector<PhaseSpec> phases;
  RouteSwitcher* switcher = nullptr;             // required when phases are given
  std::ostream* progress = nullptr;              // a line per second, or nullptr
  const std::atomic<bool>* interrupt = nullptr;  // set (e.g. by SIGINT) to end the run early
  bool allow_rate_miss = false;                  // a missed --rate is reported but is not an error
};

// An open loop that answers less than this fraction of its target rate missed it.
inline constexpr double kRateTolerance = 0.05;

// One point of the per-second series (the last one, or one cut by a phase boundary, can be
// shorter than a second).
struct SeriesPoint {
  double t_s = 0;         // end of the interval, seconds since measuring started
  double interval_s = 0;  // its length
  int phase = 0;          // index into RunResult::phases (0 when there are no phases)
  uint64_t ops = 0;
  uint64_t errors = 0;
  double p50_us = 0, p99_us = 0, max_us = 0;
};

struct PhaseResult {
  std::string route;
  double start_s = 0;
  double duration_s = 0;
  Stats stats;
};

struct RunResult {
  std::string connect_error;  // set when the server was unreachable: nothing ran
  std::string failure;        // set when the run stopped early (connections lost, RPC failed)
  bool started = false;       // the load ran (false: it failed during the preload or before)
  bool interrupted = false;   // ended early by RunConfig::interrupt
  double preload_s = 0;
  uint64_t preload_records = 0;
  Stats preload;
  double duration_s = 0;  // measured window actually run
  Stats total;
  // With --servers: what each server answered over the measured window (total is their merge).
  std::vector<ServerAddress> server_addresses;
  std::vector<Stats> servers;
  std::vector<PhaseResult> phases;  // empty without --phases
  std::vector<SeriesPoint> series;

  // Every request sent in the measured window, and what became of it.
  uint64_t sent = 0;        // recorded requests sent by the end
  uint64_t unanswered = 0;  // of those, no reply by the end (in no figure above)
  // Open loop: the target, what was answered per second, and requests due by the end that
  // never went out (the schedule's lag behind a server that cannot keep up).
  double target_rate = 0;
  double achieved_rate = 0;
  uint64_t backlog = 0;
  bool rate_missed = false;  // achieved_rate < (1 - kRateTolerance) * target_rate
};

RunResult run_load(const RunConfig& config);

}  // namespace hakmem::load
