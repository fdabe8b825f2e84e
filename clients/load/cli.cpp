#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <iostream>
#include <string>
#include <vector>

#include "suggest.hpp"
#include "tool_version.h"

namespace hakmem::load {

namespace hw = workloads;

namespace {

// The flag of app nearest to `given` (a typo is a third of the name or fewer edits), or "".
std::string nearest_flag(const CLI::App& app, const std::string& given) {
  std::vector<std::string> flags;
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& lname : opt->get_lnames()) flags.push_back("--" + lname);
  }
  return cli::nearest(given.substr(0, given.find('=')), flags);
}

// For a number that must be >= 0 (or > 0): a message that names the flag and the bound, where
// CLI11's own ranges print the largest double.
CLI::Validator at_least_zero(bool strictly) {
  return CLI::Validator(
      [strictly](std::string& text) -> std::string {
        double v = 0;
        try {
          size_t used = 0;
          v = std::stod(text, &used);
          if (used != text.size()) return "'" + text + "' is not a number";
        } catch (const std::exception&) {
          return "'" + text + "' is not a number";
        }
        if (strictly ? !(v > 0) : !(v >= 0)) {
          return text + " is out of range: it must be " +
                 (strictly ? "greater than 0" : "0 or more");
        }
        return {};
      },
      strictly ? "POSITIVE" : "NONNEGATIVE");
}

}  // namespace

bool parse_servers(const std::string& text, std::vector<ServerAddress>* out, std::string* error) {
  std::vector<ServerAddress> servers;
  size_t from = 0;
  while (from <= text.size()) {
    const size_t comma = std::min(text.find(',', from), text.size());
    const std::string item = text.substr(from, comma - from);
    from = comma + 1;
    const size_t colon = item.rfind(':');
    std::string host = colon == std::string::npos ? "" : item.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    unsigned port = 0;
    const char* digits = item.data() + colon + 1;
    const auto [end, ec] = std::from_chars(digits, item.data() + item.size(), port);
    if (host.empty() || ec != std::errc() || end != item.data() + item.size() || port == 0 ||
        port > 65535) {
      *error = "'" + item + "' is not host:port";
      return false;
    }
    for (const auto& s : servers) {
      if (s.host == host && s.port == port) {
        *error = "'" + item + "' is listed twice";
        return false;
      }
    }
    servers.push_back({host, static_cast<uint16_t>(port)});
    if (servers.size() > kMaxServers) {
      *error = "more than " + std::to_string(kMaxServers) + " servers";
      return false;
    }
  }
  *out = std::move(servers);
  return true;
}

int parse_command_line(int argc, char** argv, Options* out) {
  Options o;
  auto& run = o.report.run;
  auto& engine = run.engine;
  std::string workload = "a";
  std::string distribution;
  std::string value_size;
  std::string phases;
  std::string servers;

  CLI::App app{"hakmem-load: RESP load generator (YCSB A-D,F and larson workloads)", "hakmem-load"};
  app.get_formatter()->column_width(36);
  app.set_version_flag("--version", hakmem::tool_version("hakmem-load"));
  auto* host = app.add_option("--host", engine.host, "Server host")->capture_default_str();
  auto* port = app.add_option("--port", engine.port, "Server port")->capture_default_str();
  auto* servers_opt = app.add_option(
      "--servers", servers,
      "Several servers host:port,host:port,... without a proxy: each key goes to the server "
      "twemproxy's ketama (hash: md5, weight 1) puts it on; a summary per server [default: "
      "--host:--port alone]");
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
                       ->check(at_least_zero(true));
  app.add_option("--requests", run.requests,
                 "Stop after this many measured requests (0 = no limit; alone, it lifts "
                 "--duration's default)")
      ->capture_default_str();
  app.add_option("--warmup", run.warmup_s, "Seconds of load before measuring")
      ->capture_default_str()
      ->check(at_least_zero(false));
  app.add_option("--rate", engine.rate,
                 "Open loop: requests per second over all connections, latency from the "
                 "intended send time (0 = closed loop)")
      ->capture_default_str()
      ->check(at_least_zero(false));
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
  auto* user = app.add_option("--user", engine.user,
                              "User for AUTH user password (needs --password) [default: none: "
                              "AUTH password]");
  auto* password =
      app.add_option("--password", engine.password,
                     "AUTH with this on every connection before the run; refused: exit 1 "
                     "[default: no AUTH]")
          ->envname("HAKMEM_LOAD_PASSWORD");
  app.add_option("--runs", o.report.runs,
                 "Repeat the whole run (connect, preload, warmup, measure) this many times and "
                 "summarize across them (median, min-max)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_flag("--quiet,-q", o.quiet, "No progress line each second");

  // One line (and the usage line), not the whole help: the error stays visible.
  auto usage_error = [&](const std::string& message) {
    std::cerr << "hakmem-load: " << message << "\nUsage: hakmem-load [OPTIONS] (see --help)\n";
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
  } catch (const CLI::ExtrasError&) {
    for (const std::string& extra : app.remaining()) {
      if (extra.rfind("-", 0) != 0) return usage_error("unexpected argument '" + extra + "'");
      const std::string guess = nearest_flag(app, extra);
      return usage_error("unknown flag " + extra +
                         (guess.empty() ? "" : " (did you mean " + guess + "?)"));
    }
    return usage_error("unexpected arguments");
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  if (user->count() > 0 && password->count() == 0) return usage_error("--user needs --password");
  if (password->count() > 0 && engine.password.empty())
    return usage_error("--password: an empty password");

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
  if (servers_opt->count() > 0) {
    if (host->count() > 0 || port->count() > 0)
      return usage_error("--servers and --host/--port exclude each other");
    if (!parse_servers(servers, &engine.servers, &error)) return usage_error("--servers: " + error);
    engine.host = engine.servers[0].host;
    engine.port = engine.servers[0].port;
  }
  o.report.workload = hw::workload_name(kind);
  o.report.distribution = hw::key_distribution_name(engine.workload.distribution);
  o.report.value_size = engine.workload.value_size.to_string();
  *out = std::move(o);
  return -1;
}

}  // namespace hakmem::load
