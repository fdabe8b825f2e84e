// hakmem-admin: inspect and tune a running hakmem-server through its admin gRPC service.
// Exit status: 0 success, 1 unreachable server or failed call, 2 invalid arguments.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <csignal>
#include <iostream>
#include <optional>
#include <thread>

#include "admin_client.h"
#include "counters_render.h"
#include "render.h"
#include "tool_version.h"

namespace {

using hakmem::admin_cli::AdminClient;
using hakmem::admin_cli::CallError;
namespace v1 = hakmem::admin::v1;

constexpr char kUsage[] =
    "usage: hakmem-admin [--addr HOST:PORT] [--token T] "
    "{route get | route set S|P|CDA | options get | options set NAME=VALUE... | "
    "counters [--all] [--json] [--reset] [--watch SECONDS [--count N]] | stats [--json]}";

int usage_error(const std::string& why) {
  std::cerr << "hakmem-admin: " << why << '\n' << kUsage << '\n';
  return 2;
}

int call_failed(const CallError& e) {
  std::cerr << "hakmem-admin: " << e.message << '\n';
  return 1;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::optional<v1::Route> parse_route(const std::string& text) {
  const std::string u = upper(text);
  if (u == "S") return v1::ROUTE_S;
  if (u == "P") return v1::ROUTE_P;
  if (u == "CDA") return v1::ROUTE_CDA;
  return std::nullopt;
}

// NAME=VALUE; the route option also takes S, P or CDA (the allocator numbers them 0, 1, 2).
std::optional<v1::OptionAssignment> parse_assignment(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) return std::nullopt;
  v1::OptionAssignment a;
  a.set_name(text.substr(0, eq));
  const std::string value = text.substr(eq + 1);
  if (a.name() == "route") {
    if (auto r = parse_route(value)) {
      a.set_value(*r - v1::ROUTE_S);
      return a;
    }
  }
  int64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  a.set_value(v);
  return a;
}

// Ctrl-C ends a watch cleanly: the signal is taken by sigwait on a thread of its own (blocked
// everywhere else, including gRPC's threads, which inherit the mask).
std::atomic<bool> g_stop{false};

void catch_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int sig = 0;
    sigwait(&set, &sig);
    g_stop.store(true);
  }).detach();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Inspect and tune a running hakmem-server (admin gRPC service).", "hakmem-admin"};
  std::string addr = "127.0.0.1:7380";
  std::string token;
  app.add_option("--addr", addr, "admin service address HOST:PORT")->capture_default_str();
  app.add_option("--token", token, "admin token (or HAKMEM_ADMIN_TOKEN)")
      ->envname("HAKMEM_ADMIN_TOKEN");
  app.set_version_flag("--version", hakmem::tool_version("hakmem-admin"));
  app.require_subcommand(1);

  CLI::App* route = app.add_subcommand("route", "the allocator's slow-path route");
  route->require_subcommand(1);
  CLI::App* route_get = route->add_subcommand("get", "print the route");
  CLI::App* route_set = route->add_subcommand("set", "switch the route");
  std::string route_arg;
  route_set->add_option("ROUTE", route_arg, "S, P or CDA")->required();

  CLI::App* options = app.add_subcommand("options", "the allocator's tuning options");
  options->require_subcommand(1);
  CLI::App* options_get = options->add_subcommand("get", "print every option");
  CLI::App* options_set = options->add_subcommand("set", "set options, all or none");
  std::vector<std::string> assignment_args;
  options_set->add_option("NAME=VALUE", assignment_args, "options to set")->required();

  CLI::App* counters = app.add_subcommand("counters", "the allocator's counters");
  bool counters_as_json = false, reset = false;
  hakmem::admin_cli::CountersView counters_view;
  double watch_seconds = 0;
  int watch_count = 0;
  counters->add_flag("--json", counters_as_json, "one JSON document (one per line with --watch)");
  counters->add_flag("--reset", reset, "reset after reading (with --watch: before watching)");
  counters->add_flag("--all", counters_view.all, "also the counters at zero (hidden by default)");
  counters->add_option("--watch", watch_seconds,
                       "print a snapshot every SECONDS (>= 0.1), with rates per second");
  counters->add_option("--count", watch_count, "with --watch: stop after N snapshots");

  CLI::App* stats = app.add_subcommand("stats", "server and process statistics");
  bool stats_as_json = false;
  stats->add_flag("--json", stats_as_json, "one JSON document");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  // Check every argument before touching the network.
  std::optional<v1::Route> wanted_route;
  if (route_set->parsed()) {
    wanted_route = parse_route(route_arg);
    if (!wanted_route) return usage_error("route must be S, P or CDA, not '" + route_arg + "'");
  }
  v1::SetOptionsRequest set_req;
  for (const std::string& text : assignment_args) {
    auto a = parse_assignment(text);
    if (!a) return usage_error("expected NAME=INTEGER, not '" + text + "'");
    *set_req.add_assignments() = *a;
  }
  const bool watching = counters->count("--watch") > 0;
  if (watching && !(watch_seconds >= 0.1 && watch_seconds <= 3600)) {
    return usage_error("--watch takes seconds between 0.1 and 3600");
  }
  if (watch_count < 0 || (watch_count > 0 && !watching)) {
    return usage_error("--count takes a positive number and needs --watch");
  }
  if (watching) catch_stop_signals();

  AdminClient client(addr, token);
  CallError err;
  if (!client.connect(&err)) return call_failed(err);

  if (route_get->parsed()) {
    v1::GetRouteResponse r;
    if (!client.get_route(&r, &err)) return call_failed(err);
    hakmem::admin_cli::print_route(std::cout, r);
  } else if (route_set->parsed()) {
    v1::SetRouteResponse r;
    if (!client.set_route(*wanted_route, &r, &err)) return call_failed(err);
    hakmem::admin_cli::print_route_change(std::cout, r);
  } else if (options_get->parsed()) {
    v1::GetOptionsResponse r;
    if (!client.get_options(&r, &err)) return call_failed(err);
    hakmem::admin_cli::print_options(std::cout, r.options());
  } else if (options_set->parsed()) {
    v1::SetOptionsResponse r;
    if (!client.set_options(set_req, &r, &err)) return call_failed(err);
    hakmem::admin_cli::print_options(std::cout, r.options());
  } else if (counters->parsed() && watching) {
    if (reset && !client.reset_counters(&err)) return call_failed(err);
    int seen = 0;
    std::optional<v1::CounterSnapshot> previous;
    auto on_snapshot = [&](const v1::CounterSnapshot& s) {
      if (counters_as_json) {
        std::cout << hakmem::admin_cli::counters_json(s).dump() << std::endl;
      } else {
        hakmem::admin_cli::print_counters(std::cout, s, previous ? &*previous : nullptr,
                                          counters_view);
        std::cout << std::endl;
      }
      previous = s;
      return watch_count == 0 || ++seen < watch_count;
    };
    const auto interval_ms = static_cast<uint32_t>(watch_seconds * 1000 + 0.5);
    if (!client.watch_counters(interval_ms, &g_stop, on_snapshot, &err)) return call_failed(err);
  } else if (counters->parsed()) {
    v1::DumpCountersResponse r;
    if (!client.dump_counters(reset, &r, &err)) return call_failed(err);
    if (counters_as_json) {
      std::cout << hakmem::admin_cli::counters_json(r.snapshot()).dump(2) << '\n';
    } else {
      hakmem::admin_cli::print_counters(std::cout, r.snapshot(), nullptr, counters_view);
    }
  } else if (stats->parsed()) {
    v1::GetStatsResponse r;
    if (!client.get_stats(&r, &err)) return call_failed(err);
    if (stats_as_json) {
      std::cout << hakmem::admin_cli::stats_json(r).dump(2) << '\n';
    } else {
      hakmem::admin_cli::print_stats(std::cout, r);
    }
  }
  return 0;
}
