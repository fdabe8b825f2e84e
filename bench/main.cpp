// hakmem-bench: allocator benchmarks. Each run measures one allocator in this process;
// --compare runs every allocator (or every route) in child processes, interleaved, so peak
// RSS is per run and noise spreads evenly, and prints medians and ratios.
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "alloc_api.hpp"
#include "compare.hpp"
#include "larson.hpp"
#include "run_report.hpp"
#include "hakmem/hakmem.h"

using namespace hakmem::bench;

namespace {

struct Common {
  std::string alloc = "hakmem";
  std::string route = "S";
  bool json = false;
  CompareOptions compare;
};

void add_common(CLI::App* cmd, Common& c) {
  cmd->add_option("--alloc", c.alloc, "allocator: " + fmt::format("{}", fmt::join(alloc_names(), ", ")))
      ->capture_default_str();
  cmd->add_option("--route", c.route, "hakmem slow-path route: S, P or CDA")->capture_default_str();
  cmd->add_flag("--json", c.json, "print one JSON object instead of text");
  cmd->add_flag("--compare", c.compare.allocs_mode,
                "run every allocator (hakmem with --route, and the others) interleaved");
  cmd->add_flag("--compare-routes", c.compare.routes_mode, "run hakmem's S, P and CDA interleaved");
  cmd->add_option("--reps", c.compare.reps, "repetitions per configuration when comparing")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
}

// Returns the allocator, or exits 2 with a clear message.
const AllocApi& setup_alloc(const Common& c) {
  std::string why;
  const AllocApi* api = find_alloc(c.alloc, &why);
  if (api == nullptr) {
    fmt::print(stderr, "hakmem-bench: {}\n", why);
    std::exit(2);
  }
  if (api->name == "hakmem") {
    hak_route route;
    if (hak_route_parse(c.route.c_str(), &route) != 0) {
      fmt::print(stderr, "hakmem-bench: --route must be S, P or CDA, not '{}'\n", c.route);
      std::exit(2);
    }
    hak_set_route(route);
  }
  return *api;
}

void emit(RunReport& r, const Common& c) {
  finish_report(r, c.alloc == "hakmem");
  if (c.json) fmt::print("{}\n", report_json(r));
  else print_report(r);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hakmem-bench: allocator benchmarks (larson, idle-owner)"};
  app.require_subcommand(1);

  Common larson_common;
  LarsonParams lp;
  auto* larson = app.add_subcommand("larson", "Larson & Krishnan server benchmark");
  larson->add_option("--seconds", lp.seconds, "timed phase")->capture_default_str()->check(CLI::Range(0.01, 3600.0));
  larson->add_option("--min", lp.min_size, "smallest block")->capture_default_str()->check(CLI::Range(1, 1 << 30));
  larson->add_option("--max", lp.max_size, "largest block")->capture_default_str()->check(CLI::Range(1, 1 << 30));
  larson->add_option("--chunks", lp.chunks, "blocks per thread")->capture_default_str()->check(CLI::Range(1, 10000000));
  larson->add_option("--rounds", lp.rounds, "a thread makes rounds*chunks steps, then hands over")
      ->capture_default_str()->check(CLI::Range(1, 1000000));
  larson->add_option("--seed", lp.seed, "random seed")->capture_default_str();
  larson->add_option("--threads", lp.threads, "worker threads")->capture_default_str()->check(CLI::Range(1, 1024));
  add_common(larson, larson_common);

  CLI11_PARSE(app, argc, argv);

  if (larson->parsed()) {
    if (lp.min_size > lp.max_size) {
      fmt::print(stderr, "hakmem-bench: --min {} is larger than --max {}\n", lp.min_size, lp.max_size);
      return 2;
    }
    Common& c = larson_common;
    if (c.compare.any()) return run_compare(argc, argv, "larson", c.route, c.compare);
    const AllocApi& api = setup_alloc(c);
    LarsonResult res = run_larson(lp, api);
    RunReport r;
    r.bench = "larson";
    r.alloc = api.name;
    r.route = api.name == "hakmem" ? c.route : "";
    r.requested_seconds = lp.seconds;
    r.wall_seconds = res.seconds;
    r.ops_per_sec = res.ops / res.seconds;
    r.bad_blocks = res.bad_blocks;
    r.extra["threads_started"] = static_cast<double>(res.threads_started);
    emit(r, c);
    return res.bad_blocks == 0 ? 0 : 1;
  }
  return 0;
}
