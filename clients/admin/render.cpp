#include "render.h"

#include <algorithm>
#include <cstdio>

namespace hakmem::admin_cli {

namespace {

// A number, optionally followed by " MiB" (byte counters).
bool numeric(std::string cell) {
  if (cell.size() > 4 && cell.compare(cell.size() - 4, 4, " MiB") == 0)
    cell.resize(cell.size() - 4);
  return !cell.empty() && cell.find_first_not_of("0123456789.-+%") == std::string::npos;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// 1536 -> "1.5 KiB": byte figures span bytes to gigabytes.
std::string bytes(uint64_t n) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int unit = 0;
  while (v >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  return unit == 0 ? std::to_string(n) + " B" : fixed(v, 1) + " " + kUnits[unit];
}

std::string percentile_label(double p) {
  if (p >= 100) return "max";
  std::string s = fixed(p, 3);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return "p" + s;
}

}  // namespace

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  // A column is right-aligned (header included) when every cell in it is a number.
  std::vector<size_t> width(header.size(), 0);
  std::vector<bool> right(header.size(), !rows.empty());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
      if (!numeric(row[i])) right[i] = false;
    }
  }
  auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      const bool last = i + 1 == row.size();
      const std::string pad(width[i] - row[i].size(), ' ');
      text += right[i] ? pad + row[i] : row[i] + (last ? "" : pad);
      if (!last) text += "  ";
    }
    out << text << '\n';
  };
  line(header);
  for (const auto& row : rows) line(row);
}

const char* route_name(v1::Route route) {
  switch (route) {
    case v1::ROUTE_S:
      return "S";
    case v1::ROUTE_P:
      return "P";
    case v1::ROUTE_CDA:
      return "CDA";
    case v1::ROUTE_A:
      return "A";
    default:
      return "unspecified";
  }
}

void print_route(std::ostream& out, const v1::GetRouteResponse& r) {
  out << "route " << route_name(r.route()) << '\n';
}

void print_route_change(std::ostream& out, const v1::SetRouteResponse& r) {
  out << "route " << route_name(r.previous()) << " -> " << route_name(r.current()) << '\n';
}

void print_options(std::ostream& out, const google::protobuf::RepeatedPtrField<v1::Option>& o) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Option& opt : o)
    rows.push_back({opt.name(), std::to_string(opt.value()), opt.help()});
  print_table(out, {"OPTION", "VALUE", "HELP"}, rows);
}

nlohmann::json counters_json(const v1::CounterSnapshot& s) {
  nlohmann::json counters = nlohmann::json::object();
  for (const v1::Counter& c : s.counters()) counters[c.name()] = c.value();
  return {{"taken_at_unix_ms", s.taken_at_unix_ms()},
          {"route", route_name(s.route())},
          {"page_reuse_rate", s.page_reuse_rate()},
          {"counters", counters}};
}

nlohmann::json stats_json(const v1::GetStatsResponse& s) {
  nlohmann::json j = {{"rss_bytes", s.rss_bytes()},
                      {"peak_rss_bytes", s.peak_rss_bytes()},
                      {"arena", s.arena()},
                      {"arena_bytes_in_use", s.arena_bytes_in_use()},
                      {"arena_bytes_committed", s.arena_bytes_committed()},
                      {"uptime_seconds", s.uptime_seconds()},
                      {"server_stats_available", s.server_stats_available()}};
  if (!s.server_stats_available()) return j;
  nlohmann::json requests = nlohmann::json::object();
  for (const v1::CommandCount& c : s.requests()) requests[c.command()] = c.count();
  nlohmann::json latency = nlohmann::json::object();
  for (const v1::LatencyPercentile& p : s.latency()) {
    latency[percentile_label(p.percentile())] = p.micros();
  }
  j["connections"] = s.connections();
  j["connections_total"] = s.connections_total();
  j["requests"] = requests;
  j["worker_queue_depth"] = s.worker_queue_depth();
  j["latency_us"] = latency;
  return j;
}

void print_stats(std::ostream& out, const v1::GetStatsResponse& s) {
  std::vector<std::vector<std::string>> rows = {
      {"rss", bytes(s.rss_bytes())},
      {"peak rss", bytes(s.peak_rss_bytes())},
      {"arena", s.arena()},
      {"arena bytes in use", bytes(s.arena_bytes_in_use())},
      {"arena bytes committed", bytes(s.arena_bytes_committed())},
      {"uptime", fixed(s.uptime_seconds(), 1) + " s"},
  };
  if (s.server_stats_available()) {
    rows.push_back({"connections", std::to_string(s.connections())});
    rows.push_back({"connections total", std::to_string(s.connections_total())});
    rows.push_back({"worker queue depth", std::to_string(s.worker_queue_depth())});
    for (const v1::LatencyPercentile& p : s.latency()) {
      rows.push_back({"latency " + percentile_label(p.percentile()), fixed(p.micros(), 1) + " us"});
    }
    for (const v1::CommandCount& c : s.requests()) {
      rows.push_back({"requests " + c.command(), std::to_string(c.count())});
    }
  } else {
    rows.push_back({"server stats", "not available"});
  }
  print_table(out, {"STAT", "VALUE"}, rows);
}

}  // namespace hakmem::admin_cli
