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
#include "hakmem/route_names.h"

#include "admin_client.h"
#include "counters_render.h"
#include "fleet.h"
#include "render.h"
#include "route_a_render.h"
#include "tool_version.h"
#include "usage_diagnosis.h"

namespace {

using hakmem::admin_cli::AdminClient;
using hakmem::admin_cli::CallError;
namespace v1 = hakmem::admin::v1;

constexpr char kUsage[] =
    "usage: hakmem-admin [--addr HOST:PORT[,HOST:PORT...]]... [--token T] "
    "{route get | route set S|P|CDA|A | route classes [--all] [--json] | options get | options set "
    "NAME=VALUE... | "
    "counters [--all] [--json] [--reset] [--per-server] [--watch SECONDS [--count N]] | stats "
    "[--json]}";

int usage_error(const std::string& why) {
  std::cerr << "hakmem-admin: " << why << '\n' << kUsage << '\n';
  return 2;
}

int call_failed(const CallError& e) {
  std::cerr << "hakmem-admin: " << e.message << '\n';
  return 1;
}

// The RPC numbers routes from 1 (0: unspecified), the allocator from 0.
std::optional<v1::Route> parse_route(const std::string& text) {
  hak_route route;
  if (!hak_route_from_name(text.c_str(), &route)) return std::nullopt;
  return static_cast<v1::Route>(static_cast<int>(route) + 1);
}

// NAME=VALUE; the route option also takes S, P, CDA or A (the allocator numbers them 0-3).
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

// What to run on every server of a multi-address --addr.
struct FleetCommand {
  bool route_get, route_set;
  std::optional<v1::Route> route;
  bool options_get, options_set;
  v1::SetOptionsRequest set_req;
  bool counters, counters_json, reset, per_server, stats_json;
  hakmem::admin_cli::CountersView counters_view;
  bool route_classes, route_classes_all, route_classes_json;
};

// Prints each server's error, then one line naming every server that failed; 1 if any did.
int fleet_status(const std::vector<std::string>& addrs,
                 const std::vector<hakmem::admin_cli::Failure>& failures, const char* what) {
  if (failures.empty()) return 0;
  std::string names;
  for (const auto& f : failures) {
    std::cerr << "hakmem-admin: " << addrs[f.index] << ": " << f.error.message << '\n';
    names += (names.empty() ? "" : ", ") + addrs[f.index];
  }
  std::cerr << "hakmem-admin: " << what << " failed on " << failures.size() << " of "
            << addrs.size() << " servers: " << names << '\n';
  return 1;
}

bool failed(const std::vector<hakmem::admin_cli::Failure>& failures, size_t i) {
  return std::any_of(failures.begin(), failures.end(),
                     [i](const hakmem::admin_cli::Failure& f) { return f.index == i; });
}

// Every command on every server at once. Changes (route set, options set) are applied where
// they can be and reported per server; reads print the servers that answered. Counters are
// all-or-nothing: a sum that misses a server would mislead.
int run_on_fleet(const std::vector<std::string>& addrs, const std::string& token,
                 const FleetCommand& c) {
  namespace ac = hakmem::admin_cli;
  const size_t n = addrs.size();
  if (c.route_classes) {
    std::vector<v1::GetRouteAClassesResponse> got(n);
    auto failures = ac::fan_out(addrs, token, [&](size_t i, AdminClient& client, CallError* e) {
      return client.get_route_a_classes(&got[i], e);
    });
    nlohmann::json servers = nlohmann::json::object();
    for (size_t i = 0; i < n; ++i) {
      if (failed(failures, i)) continue;
      if (c.route_classes_json) {
        servers[addrs[i]] = ac::route_a_json(got[i]);
      } else {
        std::cout << "== " << addrs[i] << " ==\n";
        ac::print_route_a(std::cout, got[i], c.route_classes_all);
      }
    }
    if (c.route_classes_json) std::cout << nlohmann::json{{"servers", servers}}.dump(2) << '\n';
    return fleet_status(addrs, failures, "route classes");
  }
  if (c.route_get || c.route_set) {
    std::vector<v1::GetRouteResponse> got(n);
    std::vector<v1::SetRouteResponse> set(n);
    auto failures = ac::fan_out(addrs, token, [&](size_t i, AdminClient& client, CallError* e) {
      return c.route_set ? client.set_route(*c.route, &set[i], e) : client.get_route(&got[i], e);
    });
    for (size_t i = 0; i < n; ++i) {
      if (failed(failures, i)) continue;
      std::cout << addrs[i] << ": ";
      c.route_set ? ac::print_route_change(std::cout, set[i]) : ac::print_route(std::cout, got[i]);
    }
    return fleet_status(addrs, failures, c.route_set ? "route set" : "route get");
  }
  if (c.options_get || c.options_set) {
    std::vector<v1::GetOptionsResponse> got(n);
    std::vector<v1::SetOptionsResponse> set(n);
    auto failures = ac::fan_out(addrs, token, [&](size_t i, AdminClient& client, CallError* e) {
      return c.options_set ? client.set_options(c.set_req, &set[i], e)
                           : client.get_options(&got[i], e);
    });
    for (size_t i = 0; i < n; ++i) {
      if (failed(failures, i)) continue;
      std::cout << "== " << addrs[i] << " ==\n";
      ac::print_options(std::cout, c.options_set ? set[i].options() : got[i].options());
    }
    return fleet_status(addrs, failures, c.options_set ? "options set" : "options get");
  }
  if (c.counters) {
    std::vector<v1::DumpCountersResponse> got(n);
    auto failures = ac::fan_out(addrs, token, [&](size_t i, AdminClient& client, CallError* e) {
      return client.dump_counters(c.reset, &got[i], e);
    });
    if (!failures.empty()) return fleet_status(addrs, failures, "counters");
    std::vector<v1::CounterSnapshot> snapshots;
    for (const auto& r : got) snapshots.push_back(r.snapshot());
    if (c.per_server && c.counters_json) {
      std::cout << ac::counters_by_server_json(addrs, snapshots).dump(2) << '\n';
    } else if (c.per_server) {
      ac::print_counters_by_server(std::cout, addrs, snapshots);
    } else if (c.counters_json) {
      nlohmann::json doc = ac::counters_json(ac::sum_counters(snapshots));
      doc["servers"] = addrs;
      std::cout << doc.dump(2) << '\n';
    } else {
      std::cout << "sum over " << n << " servers";
      for (const auto& a : addrs) std::cout << ' ' << a;
      std::cout << '\n';
      ac::print_counters(std::cout, ac::sum_counters(snapshots), nullptr, c.counters_view);
    }
    return 0;
  }
  std::vector<v1::GetStatsResponse> got(n);
  auto failures = ac::fan_out(addrs, token, [&](size_t i, AdminClient& client, CallError* e) {
    return client.get_stats(&got[i], e);
  });
  nlohmann::json servers = nlohmann::json::object();
  for (size_t i = 0; i < n; ++i) {
    if (failed(failures, i)) continue;
    if (c.stats_json) {
      servers[addrs[i]] = ac::stats_json(got[i]);
    } else {
      std::cout << "== " << addrs[i] << " ==\n";
      ac::print_stats(std::cout, got[i]);
    }
  }
  if (c.stats_json) std::cout << nlohmann::json{{"servers", servers}}.dump(2) << '\n';
  return fleet_status(addrs, failures, "stats");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Inspect and tune a running hakmem-server (admin gRPC service).", "hakmem-admin"};
  std::vector<std::string> addr_flags{"127.0.0.1:7380"};
  std::string token;
  app.add_option("--addr", addr_flags,
                 "admin service address HOST:PORT; several (comma-separated or repeated): the "
                 "command runs on every one")
      ->capture_default_str();
  app.add_option("--token", token, "admin token (or HAKMEM_ADMIN_TOKEN)")
      ->envname("HAKMEM_ADMIN_TOKEN");
  app.set_version_flag("--version", hakmem::tool_version("hakmem-admin"));
  app.require_subcommand(1);

  CLI::App* route = app.add_subcommand(
      "route", "the allocator's slow-path route: get, set, classes (Route A per size class)");
  route->require_subcommand(1);
  CLI::App* route_get = route->add_subcommand("get", "print the route");
  CLI::App* route_set = route->add_subcommand("set", "switch the route");
  std::string route_arg;
  route_set->add_option("ROUTE", route_arg, "S, P, CDA or A")->required();
  CLI::App* route_classes = route->add_subcommand(
      "classes", "Route A's decision per size class: open or closed, why, its last window");
  bool classes_all = false, classes_as_json = false;
  route_classes->add_flag("--all", classes_all, "every class, also those Route A never counted");
  route_classes->add_flag("--json", classes_as_json, "one JSON document (always every class)");

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
  bool per_server = false;
  counters->add_flag("--per-server", per_server,
                     "several --addr: one column per server beside the total (default: the sum)");

  CLI::App* stats = app.add_subcommand("stats", "server and process statistics");
  bool stats_as_json = false;
  stats->add_flag("--json", stats_as_json, "one JSON document");

  CLI::App* version = app.add_subcommand(
      "version", "this tool's version, then the server's (allocator version, git revision)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    const std::string why = hakmem::admin_cli::diagnose_usage(app, argc, argv);
    return usage_error(why.empty() ? e.what() : why);
  }

  // Check every argument before touching the network.
  std::optional<v1::Route> wanted_route;
  if (route_set->parsed()) {
    wanted_route = parse_route(route_arg);
    if (!wanted_route) return usage_error("route must be S, P, CDA or A, not '" + route_arg + "'");
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
  std::vector<std::string> addrs;
  std::string addr_error;
  if (!hakmem::admin_cli::parse_addresses(addr_flags, &addrs, &addr_error)) {
    return usage_error(addr_error);
  }
  if (addrs.size() > 1) {
    if (watching) return usage_error("--watch takes one --addr");
    if (version->parsed()) return usage_error("version takes one --addr");
    FleetCommand command{route_get->parsed(),
                         route_set->parsed(),
                         wanted_route,
                         options_get->parsed(),
                         options_set->parsed(),
                         set_req,
                         counters->parsed(),
                         counters_as_json,
                         reset,
                         per_server,
                         stats_as_json,
                         counters_view,
                         route_classes->parsed(),
                         classes_all,
                         classes_as_json};
    return run_on_fleet(addrs, token, command);
  }
  if (watching) catch_stop_signals();

  if (version->parsed()) std::cout << hakmem::tool_version("hakmem-admin") << '\n';
  const std::string& addr = addrs[0];
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
  } else if (route_classes->parsed()) {
    v1::GetRouteAClassesResponse r;
    if (!client.get_route_a_classes(&r, &err)) return call_failed(err);
    if (classes_as_json) {
      std::cout << hakmem::admin_cli::route_a_json(r).dump(2) << '\n';
    } else {
      hakmem::admin_cli::print_route_a(std::cout, r, classes_all);
    }
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
  } else if (version->parsed()) {
    v1::GetVersionResponse r;
    if (!client.get_version(&r, &err)) return call_failed(err);
    std::cout << r.host() << ' ' << r.version() << " (git " << r.git_revision() << ")\n";
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
