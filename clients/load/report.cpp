#include "report.hpp"

#include <cmath>
#include <ostream>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "runs.hpp"

namespace hakmem::load {

namespace {

using nlohmann::json;

double us(uint64_t ns) {
  return static_cast<double>(ns) / 1e3;
}

json latency_json(const Histogram& h) {
  return {
      {"count", h.count()},
      {"min", us(h.min())},
      {"mean", h.mean() / 1e3},
      {"stddev", h.stddev() / 1e3},
      {"p50", us(h.value_at_percentile(50))},
      {"p90", us(h.value_at_percentile(90))},
      {"p99", us(h.value_at_percentile(99))},
      {"p99_9", us(h.value_at_percentile(99.9))},
      {"p99_99", us(h.value_at_percentile(99.99))},
      {"max", us(h.max())},
  };
}

}  // namespace

json stats_json(const Stats& stats, double duration_s) {
  json by_type = json::object();
  for (int t = 0; t < workloads::kOpTypeCount; ++t) {
    by_type[workloads::op_type_name(static_cast<workloads::OpType>(t))] =
        stats.ops_by_type[static_cast<size_t>(t)];
  }
  json errors = json::object();
  for (const auto& [kind, count] : stats.errors) errors[kind] = count;
  json by_command = json::object();  // only the commands the workload sent
  for (int c = 0; c < kCommandCount; ++c) {
    const CommandStats& cs = stats.by_command[static_cast<size_t>(c)];
    if (cs.ops + cs.errors == 0) continue;
    by_command[command_name(static_cast<Command>(c))] = {
        {"ops", cs.ops},
        {"ops_per_sec", duration_s > 0 ? static_cast<double>(cs.ops) / duration_s : 0.0},
        {"errors", cs.errors},
        {"latency_us", latency_json(cs.latency)},
    };
  }
  auto kb_per_sec = [&](uint64_t bytes) {
    return duration_s > 0 ? static_cast<double>(bytes) / 1024 / duration_s : 0.0;
  };
  return {
      {"duration_s", duration_s},
      {"ops", stats.ops},
      {"bytes_sent", stats.bytes_sent},
      {"bytes_received", stats.bytes_received},
      {"kb_sent_per_sec", kb_per_sec(stats.bytes_sent)},
      {"kb_received_per_sec", kb_per_sec(stats.bytes_received)},
      {"ops_per_sec", duration_s > 0 ? static_cast<double>(stats.ops) / duration_s : 0.0},
      {"ops_by_type", by_type},
      {"misses", stats.misses},
      {"errors", stats.error_count()},
      {"errors_by_kind", errors},
      {"latency_us", latency_json(stats.latency)},
      {"uncorrected_latency_us", latency_json(stats.uncorrected_latency)},
      {"by_command", by_command},
  };
}

const char* run_status(const RunResult& r, bool allow_rate_miss) {
  if (!r.failure.empty()) return "failed";
  if (r.interrupted) return "interrupted";
  if (r.rate_missed && !allow_rate_miss) return "rate_missed";
  return "ok";
}

static json config_json(const ReportConfig& c) {
  const auto& e = c.run.engine;
  json doc;
  doc["schema"] = kJsonSchema;
  doc["config"] = {
      {"host", e.host},
      {"port", e.port},
      {"threads", e.threads},
      {"connections", e.connections},
      {"pipeline", e.pipeline},
      {"mode", e.rate > 0 ? "open" : "closed"},
      {"rate", e.rate},
      {"duration_s", c.run.duration_s},
      {"warmup_s", c.run.warmup_s},
      {"requests", c.run.requests},
      {"seed", e.seed},
      {"workload", c.workload},
      {"distribution", c.distribution},
      {"zipf_constant", e.workload.zipf_constant},
      {"keys", e.workload.keys},
      {"value_size", c.value_size},
      {"load", c.run.preload},
      {"admin", c.admin},
      {"runs", c.runs},
      {"user", e.user},
      {"auth", !e.password.empty()},
  };
  json servers = json::array();
  for (const auto& s : e.servers) servers.push_back(s.name());
  doc["config"]["servers"] = servers;  // [] without --servers
  doc["config"]["sharding"] = e.servers.empty() ? "" : "ketama-md5";
  return doc;
}

// What one run measured: every top-level field but schema and config.
static json run_json(const ReportConfig& c, const RunResult& r) {
  json doc;
  doc["preload"] = {
      {"records", r.preload_records},
      {"duration_s", r.preload_s},
      {"errors", r.preload.error_count()},
  };
  doc["summary"] = stats_json(r.total, r.duration_s);
  json phases = json::array();
  for (size_t i = 0; i < r.phases.size(); ++i) {
    json p = stats_json(r.phases[i].stats, r.phases[i].duration_s);
    p["index"] = i;
    p["route"] = r.phases[i].route;
    p["start_s"] = r.phases[i].start_s;
    phases.push_back(std::move(p));
  }
  doc["phases"] = std::move(phases);
  json per_server = json::array();  // [] without --servers; "summary" merges them
  for (size_t i = 0; i < r.servers.size(); ++i) {
    json s = stats_json(r.servers[i], r.duration_s);
    s["server"] = r.server_addresses[i].name();
    per_server.push_back(std::move(s));
  }
  doc["servers"] = std::move(per_server);
  json series = json::array();
  for (const auto& s : r.series) {
    series.push_back({
        {"t_s", s.t_s},
        {"interval_s", s.interval_s},
        {"phase", s.phase},
        {"ops", s.ops},
        {"ops_per_sec", s.interval_s > 0 ? static_cast<double>(s.ops) / s.interval_s : 0.0},
        {"errors", s.errors},
        {"p50_us", s.p50_us},
        {"p99_us", s.p99_us},
        {"max_us", s.max_us},
    });
  }
  doc["series"] = std::move(series);
  const uint64_t answered = r.total.ops + r.total.error_count();
  doc["requests"] = {{"sent", r.sent}, {"answered", answered}, {"unanswered", r.unanswered}};
  doc["rate"] = {
      {"target", r.target_rate},
      {"achieved", r.achieved_rate},
      {"achieved_fraction", r.target_rate > 0 ? r.achieved_rate / r.target_rate : 0.0},
      {"tolerance", kRateTolerance},
      {"missed", r.rate_missed},
      {"miss_allowed", c.run.allow_rate_miss},
      {"backlog", r.backlog},
  };
  doc["status"] = run_status(r, c.run.allow_rate_miss);
  doc["failure"] = r.failure;
  return doc;
}

json report_json(const ReportConfig& c, const RunResult& r) {
  return report_json(c, std::vector<RunResult>{r});
}

json report_json(const ReportConfig& c, const std::vector<RunResult>& runs) {
  json doc = config_json(c);
  if (runs.empty()) return doc;
  // The top level is the last run's (with one run: the run), so one-run readers need nothing new.
  doc.update(run_json(c, runs.back()));
  json each = json::array();
  std::string status = "ok";
  for (size_t i = 0; i < runs.size(); ++i) {
    json r = run_json(c, runs[i]);
    r["index"] = i;
    if (status == "ok") status = r["status"];
    each.push_back(std::move(r));
  }
  doc["runs"] = std::move(each);
  doc["across_runs"] = runs_summary_json(summarize_runs(runs));
  doc["status"] = status;  // the first run's that was not ok
  return doc;
}

static void print_stats(std::ostream& out, const Stats& s, double duration_s,
                        const std::string& indent) {
  const double rate = duration_s > 0 ? static_cast<double>(s.ops) / duration_s : 0;
  out << fmt::format("{}{} ops in {:.2f} s: {:.0f} ops/s, {} misses, {} errors\n", indent, s.ops,
                     duration_s, rate, s.misses, s.error_count());
  for (const auto& [kind, count] : s.errors)
    out << fmt::format("{}  error {}: {}\n", indent, kind, count);
  auto kb_per_sec = [&](uint64_t bytes) {
    return duration_s > 0 ? static_cast<double>(bytes) / 1024 / duration_s : 0.0;
  };
  out << fmt::format("{}throughput: {:.1f} KB/s sent, {:.1f} KB/s received (KB = 1024 bytes)\n",
                     indent, kb_per_sec(s.bytes_sent), kb_per_sec(s.bytes_received));
  auto line = [&](std::string_view name, const Histogram& h) {
    auto ms = [](uint64_t ns) { return static_cast<double>(ns) / 1e6; };
    out << fmt::format(
        "{}{} (ms): p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  p99.9 {:.3f}  p99.99 {:.3f}  max {:.3f}\n",
        indent, name, ms(h.value_at_percentile(50)), ms(h.value_at_percentile(90)),
        ms(h.value_at_percentile(99)), ms(h.value_at_percentile(99.9)),
        ms(h.value_at_percentile(99.99)), ms(h.max()));
  };
  line("latency            ", s.latency);
  line("uncorrected latency", s.uncorrected_latency);
  for (int c = 0; c < kCommandCount; ++c) {
    const CommandStats& cs = s.by_command[static_cast<size_t>(c)];
    if (cs.ops + cs.errors == 0) continue;
    line(fmt::format("  {:<7} {:>9} ops, {} errors", command_name(static_cast<Command>(c)), cs.ops,
                     cs.errors),
         cs.latency);
  }
}

void print_summary(std::ostream& out, const RunResult& r) {
  if (r.preload_records > 0) {
    out << fmt::format("preload: {} records in {:.2f} s, {} errors\n", r.preload_records,
                       r.preload_s, r.preload.error_count());
  }
  for (size_t i = 0; i < r.phases.size(); ++i) {
    out << fmt::format("phase {} (route {}, from {:.1f} s):\n", i, r.phases[i].route,
                       r.phases[i].start_s);
    print_stats(out, r.phases[i].stats, r.phases[i].duration_s, "  ");
  }
  if (!r.phases.empty()) out << "whole run:\n";
  for (size_t i = 0; i < r.servers.size(); ++i) {
    out << fmt::format("server {}:\n", r.server_addresses[i].name());
    print_stats(out, r.servers[i], r.duration_s, "  ");
  }
  if (!r.servers.empty()) out << "all servers (histograms merged):\n";
  print_stats(out, r.total, r.duration_s, "");
  const uint64_t answered = r.total.ops + r.total.error_count();
  out << fmt::format(
      "requests: {} sent in the measured window, {} answered, {} unanswered at the end\n", r.sent,
      answered, r.unanswered);
  if (r.target_rate > 0) {
    const double fraction = r.achieved_rate / r.target_rate;
    if (r.rate_missed) {
      out << fmt::format(
          "TARGET RATE MISSED: {:.0f} of {:.0f} requests/s answered ({:.1f}%, tolerance {:.0f}%); "
          "{} due requests never went out. The server cannot keep up: latencies count the "
          "queueing from each request's intended send time.\n",
          r.achieved_rate, r.target_rate, 100 * fraction, 100 * kRateTolerance, r.backlog);
    } else {
      out << fmt::format("target rate {:.0f} requests/s: {:.0f} answered per second ({:.1f}%)\n",
                         r.target_rate, r.achieved_rate, 100 * fraction);
    }
  }
}

void write_hgrm(std::ostream& out, const Histogram& h) {
  constexpr double kMsPerNs = 1e-6;
  constexpr int kTicksPerHalfDistance = 5;
  out << fmt::format("{:>12} {:>14} {:>10} {:>14}\n\n", "Value", "Percentile", "TotalCount",
                     "1/(1-Percentile)");
  const uint64_t total = h.count();
  if (total > 0) {
    // Walk the buckets in value order, emitting a line each time the running percentile
    // reaches the next reporting level; levels get denser towards 100% as in HdrHistogram.
    double level = 0;
    uint64_t seen = 0;
    const int buckets = Histogram::bucket_count();
    for (int i = 0; i < buckets && seen < total; ++i) {
      const uint64_t n = h.count_at(i);
      if (n == 0) continue;
      seen += n;
      const double percentile = 100.0 * static_cast<double>(seen) / static_cast<double>(total);
      const double value =
          static_cast<double>(std::min(Histogram::highest_of(i), h.max())) * kMsPerNs;
      while (percentile >= level && seen < total) {
        out << fmt::format("{:12.3f} {:2.12f} {:10d} {:14.2f}\n", value, level / 100.0, seen,
                           1.0 / (1.0 - level / 100.0));
        const double half_distance =
            std::pow(2.0, std::floor(std::log2(100.0 / (100.0 - level))) + 1);
        level += 100.0 / (kTicksPerHalfDistance * half_distance);
      }
      if (seen == total) {
        out << fmt::format("{:12.3f} {:2.12f} {:10d}\n", value, 1.0, seen);
      }
    }
  }
  out << fmt::format("#[Mean    = {:12.3f}, StdDeviation   = {:12.3f}]\n", h.mean() * kMsPerNs,
                     h.stddev() * kMsPerNs);
  out << fmt::format("#[Max     = {:12.3f}, Total count    = {:12d}]\n",
                     static_cast<double>(h.max()) * kMsPerNs, total);
  out << fmt::format("#[Buckets = {:12d}, SubBuckets     = {:12d}]\n",
                     Histogram::kMaxBits - Histogram::kSubBits, 1 << (Histogram::kSubBits + 1));
}

}  // namespace hakmem::load
