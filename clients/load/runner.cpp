#include "runner.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>
#include <thread>

#include "fmt/format.h"

namespace hakmem::load {

namespace {

using Clock = LoadEngine::Clock;

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

Clock::duration from_seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// The measured window's timeline: where each phase ends, relative to the start of measuring.
std::vector<Clock::duration> phase_ends(const RunConfig& c) {
  std::vector<Clock::duration> ends;
  if (c.phases.empty()) {
    ends.push_back(c.duration_s > 0 ? from_seconds(c.duration_s) : Clock::duration::max());
    return ends;
  }
  Clock::duration at{};
  for (const auto& p : c.phases) ends.push_back(at += p.duration);
  return ends;
}

}  // namespace

RunResult run_load(const RunConfig& config) {
  RunResult result;
  LoadEngine engine(config.engine);
  if (auto error = engine.connect(); !error.empty()) {
    result.connect_error = error;
    return result;
  }

  if (config.preload > 0) {
    const auto t = Clock::now();
    engine.preload(config.preload, result.preload);
    result.preload_s = seconds(Clock::now() - t);
    result.preload_records = config.preload;
    if (engine.live_connections() == 0) {
      result.failure = "every connection was lost during the preload";
      return result;
    }
  }

  auto switch_route = [&](size_t phase) {
    if (config.phases.empty()) return true;
    const std::string error = config.switcher->set_route(config.phases[phase].route);
    if (error.empty()) return true;
    result.failure = "route switch failed: " + error;
    return false;
  };

  // The warmup runs under the first phase's route.
  if (!switch_route(0)) return result;
  const auto start = Clock::now();
  const auto measure_from = start + from_seconds(std::max(0.0, config.warmup_s));
  engine.start(measure_from, config.requests);
  result.started = true;

  const auto ends = phase_ends(config);
  size_t phase = 0;
  if (!config.phases.empty()) {
    result.phases.push_back({config.phases[0].route, 0, 0, {}});
  }
  Stats interval;
  const bool per_server = !config.engine.servers.empty();
  std::vector<Stats> interval_servers;
  if (per_server) {
    result.server_addresses = engine.servers();
    result.servers.resize(result.server_addresses.size());
  }
  auto last_cut = measure_from;
  auto next_tick = measure_from + std::chrono::seconds(1);
  bool warm = config.warmup_s <= 0;

  // Closes the interval [last_cut, now): into the series, the current phase and the total.
  auto cut = [&](Clock::time_point now, bool full_second) {
    engine.collect(interval, per_server ? &interval_servers : nullptr);
    for (size_t i = 0; per_server && i < interval_servers.size(); ++i) {
      result.servers[i].merge(interval_servers[i]);
      interval_servers[i].reset();
    }
    SeriesPoint p;
    p.t_s = seconds(now - measure_from);
    p.interval_s = seconds(now - last_cut);
    p.phase = static_cast<int>(phase);
    p.ops = interval.ops;
    p.errors = interval.error_count();
    p.p50_us = static_cast<double>(interval.latency.value_at_percentile(50)) / 1e3;
    p.p99_us = static_cast<double>(interval.latency.value_at_percentile(99)) / 1e3;
    p.max_us = static_cast<double>(interval.latency.max()) / 1e3;
    if (p.interval_s > 0) result.series.push_back(p);
    if (!result.phases.empty()) result.phases[phase].stats.merge(interval);
    result.total.merge(interval);
    interval.reset();
    last_cut = now;
    if (config.progress && full_second && p.interval_s > 0) {
      *config.progress << fmt::format(
          "[{:6.1f}s] {:>10.0f} ops/s  p50 {:9.3f} ms  p99 {:9.3f} ms  errors {}\n", p.t_s,
          static_cast<double>(p.ops) / p.interval_s, p.p50_us / 1e3, p.p99_us / 1e3, p.errors);
      config.progress->flush();
    }
  };

  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const auto now = Clock::now();
    const bool interrupted = config.interrupt && config.interrupt->load();
    if (interrupted && !warm) {
      result.interrupted = true;
      break;
    }
    if (!warm) {
      // Nothing sent in the warmup is recorded, so there is nothing to discard here (what
      // was sent since measure_from is already part of the first interval).
      if (now < measure_from) continue;
      warm = true;
      last_cut = measure_from;
    }
    const auto since = now - measure_from;
    const bool phase_over = ends[phase] != Clock::duration::max() && since >= ends[phase];
    const bool limit = engine.limit_reached();
    const bool dead = engine.live_connections() == 0;
    if (phase_over || limit || dead || interrupted) {
      // Phase boundaries are cut at their scheduled time; a 5 ms tick adds that much jitter.
      cut(now, false);
      if (!result.phases.empty())
        result.phases[phase].duration_s =
            seconds(now - measure_from) - result.phases[phase].start_s;
      if (dead) {
        result.failure = "every connection to the server was lost";
        break;
      }
      if (interrupted) {
        result.interrupted = true;
        break;
      }
      if (limit || phase + 1 >= ends.size()) break;
      ++phase;
      result.phases.push_back({config.phases[phase].route, seconds(now - measure_from), 0, {}});
      if (!switch_route(phase)) break;
      next_tick = now + std::chrono::seconds(1);
      continue;
    }
    if (now >= next_tick) {
      cut(now, true);
      next_tick += std::chrono::seconds(1);
      if (next_tick <= now) next_tick = now + std::chrono::seconds(1);
    }
  }
  result.duration_s = seconds(last_cut - measure_from);
  result.sent = engine.sent();
  const uint64_t answered = result.total.ops + result.total.error_count();
  result.unanswered = result.sent > answered ? result.sent - answered : 0;
  engine.stop();
  const double rate = config.engine.rate;
  if (rate > 0) {
    result.target_rate = rate;
    result.backlog = engine.backlog(last_cut);
    result.achieved_rate =
        result.duration_s > 0 ? static_cast<double>(answered) / result.duration_s : 0.0;
    result.rate_missed = result.achieved_rate < (1 - kRateTolerance) * rate;
  }
  return result;
}

}  // namespace hakmem::load
