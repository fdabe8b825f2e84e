#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

#include "tool_version.h"

namespace hakmem::load {

namespace hw = workloads;

int parse_command_line(int argc, char** argv, Options* out) {
  Options o;
  auto& run = o.report.run;
  auto& engine = run.engine;
  std::string workload = "a";
  std::string distribution;
  std::string value_size;
  std::string phases;

  CLI::App app{"hakmem-load: RESP load generator (YCSB A-D,F and larson workloads)", "hakmem-load"};
  app.get_formatter()->column_width(36);
  app.set_version_flag("--version", hakmem::tool_version("hakmem-load"));
  app.add_option("--host", engine.host, "Server host")->capture_default_str();
  app.add_option("--port", engine.port, "Server port")->capture_default_str();
  app.add_option("--threads", engine.threads, "I/O threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--connections", engine.connections, "Connections in total, over the threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--pipeline", engine.pipeline, "Requests in flight per connection")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  auto* duration = app.add_option("--duration", run.duration_s,
                                  "Seconds to measure (after the warmup); fractions allowed")
                       ->capture_default_str()
                       ->check(CLI::PositiveNumber);
  app.add_option("--requests", run.requests,
                 "Stop after this many measured requests (0 = no limit; alone, it lifts "
                 "--duration's default)")
      ->capture_default_str();
  app.add_option("--warmup", run.warmup_s, "Seconds of load before measuring")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--rate", engine.rate,
                 "Open loop: requests per second over all connections, latency from the "
                 "intended send time (0 = closed loop)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--allow-rate-miss", run.allow_rate_miss,
               "Open loop: answering less than 95% of --rate is reported, not an error (exit 3) "
               "[default: off]")
      ->capture_default_str();
  app.add_option("--seed", engine.seed, "Random seed")->capture_default_str();
  app.add_option("--workload", workload, "a, b, c, d, f (YCSB) or larson")->capture_default_str();
  app.add_option("--distribution", distribution,
                 "Key chooser: uniform, zipfian, scrambled, latest [default: zipfian; d: latest; "
                 "larson: uniform]");
  app.add_option("--zipf-constant", engine.workload.zipf_constant, "Zipfian constant")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 0.999));
  app.add_option("--keys", engine.workload.keys, "Key space (larson: the sliding window's width)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  app.add_option("--value-size", value_size,
                 "Bytes: N, MIN-MAX (uniform) or pareto[:MAX] (db_bench mixgraph) [default: 100; "
                 "larson: 8-1000]");
  app.add_option("--load", run.preload, "Records to preload (keys 0..N-1) before measuring")
      ->capture_default_str();
  app.add_option("--json", o.json_file, "Write the summary and per-second series as JSON");
  app.add_option("--hgrm", o.hgrm_file, "Write the latency percentile spectrum (.hgrm, ms)");
  auto* admin =
      app.add_option("--admin", o.report.admin, "Admin gRPC address (host:port) for --phases");
  auto* phases_opt = app.add_option("--phases", phases,
                                    "Route phases, e.g. S:10s,P:10s,S:10s (needs --admin); "
                                    "replaces --duration");
  app.add_option("--admin-token", o.admin_token, "Bearer token for the admin RPC")
      ->envname("HAKMEM_ADMIN_TOKEN");
  app.add_flag("--quiet,-q", o.quiet, "No progress line each second");

  auto usage_error = [&](const std::string& message) {
    std::cerr << "hakmem-load: " << message << "\n\n" << app.help();
    return 2;
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  hw::WorkloadKind kind;
  if (!hw::parse_workload(workload, &kind)) {
    return usage_error("--workload: '" + workload + "' is not a, b, c, d, f or larson");
  }
  engine.workload.kind = kind;
  engine.workload.distribution = hw::default_distribution(kind);
  if (!distribution.empty() &&
      !hw::parse_key_distribution(distribution, &engine.workload.distribution)) {
    return usage_error("--distribution: '" + distribution +
                       "' is not uniform, zipfian, "
                       "scrambled or latest");
  }
  if (value_size.empty()) value_size = kind == hw::WorkloadKind::kLarson ? "8-1000" : "100";
  std::string error;
  if (!hw::ValueSizeSpec::parse(value_size, &engine.workload.value_size, &error)) {
    return usage_error("--value-size: " + error);
  }
  if (engine.connections < engine.threads) engine.threads = engine.connections;
  if (app.count("--requests") > 0 && run.requests > 0 && duration->count() == 0) {
    run.duration_s = 0;  // until the request limit
  }
  if (phases_opt->count() > 0) {
    if (duration->count() > 0) return usage_error("--phases and --duration exclude each other");
    if (admin->count() == 0) return usage_error("--phases needs --admin");
    if (!parse_phases(phases, &run.phases, &error)) return usage_error("--phases: " + error);
    run.duration_s = 0;
    for (const auto& p : run.phases)
      run.duration_s += static_cast<double>(p.duration.count()) / 1e3;
  } else if (admin->count() > 0) {
    return usage_error("--admin is only used with --phases");
  }
  o.report.workload = hw::workload_name(kind);
  o.report.distribution = hw::key_distribution_name(engine.workload.distribution);
  o.report.value_size = engine.workload.value_size.to_string();
  *out = std::move(o);
  return -1;
}

}  // namespace hakmem::load
