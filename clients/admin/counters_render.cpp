#include "counters_render.h"

#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hakmem/hakmem.h"  // HAK_COUNTERS only: which counters are gauges and which gates exist
#include "render.h"

namespace hakmem::admin_cli {

namespace {

namespace v1 = ::hakmem::admin::v1;

std::set<std::string> gauge_names() {
  std::set<std::string> out;
#define HAK_ADMIN_GAUGE_HEAP(name)
#define HAK_ADMIN_GAUGE_PROCESS(name)
#define HAK_ADMIN_GAUGE_DERIVED(name)
#define HAK_ADMIN_GAUGE_GAUGE(name) out.insert(#name);
#define HAK_ADMIN_GAUGE(name, kind, desc) HAK_ADMIN_GAUGE_##kind(name)
  HAK_COUNTERS(HAK_ADMIN_GAUGE)
#undef HAK_ADMIN_GAUGE
#undef HAK_ADMIN_GAUGE_GAUGE
#undef HAK_ADMIN_GAUGE_DERIVED
#undef HAK_ADMIN_GAUGE_PROCESS
#undef HAK_ADMIN_GAUGE_HEAP
  return out;
}

bool is_bytes(const std::string& name) {
  return name.find("bytes") != std::string::npos;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string mib(double bytes) {
  return fixed(bytes / (1024.0 * 1024.0), 1) + " MiB";
}

std::string percent(double part, double whole) {
  return whole > 0 ? fixed(100.0 * part / whole, 1) + "%" : "-";
}

std::string local_time(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return std::string(buf) + "." + std::to_string(1000 + unix_ms % 1000).substr(1);
}

// Reuses as hak_page_reuse_rate counts them (hakmem.h).
#define HAK_REUSE_NAME(name) #name,
constexpr const char* kReuses[] = {HAK_PAGE_REUSES(HAK_REUSE_NAME)};
#undef HAK_REUSE_NAME

void print_summary(std::ostream& out, const std::map<std::string, double>& ev,
                   const std::map<std::string, uint64_t>& now, v1::Route route, double seconds) {
  auto at = [](const auto& m, const char* k) {
    auto it = m.find(k);
    return it == m.end() ? 0.0 : static_cast<double>(it->second);
  };
  double reuses = 0;
  for (const char* k : kReuses) reuses += at(ev, k);
  const double fresh = at(ev, "new_pages");
  const std::string over = seconds > 0 ? " in the last " + fixed(seconds, 1) + " s" : "";
  auto line = [&out](const char* label, const std::string& text) {
    out << label << std::string(13 - std::string(label).size(), ' ') << text << '\n';
  };
  line("page reuse", percent(reuses, reuses + fresh) + over +
                         " = reuses / (reuses + fresh pages) = " + fixed(reuses, 0) + " / " +
                         fixed(reuses + fresh, 0) +
                         " (reuses: must-reuse, active-drain and partial hits, orphan claims, "
                         "adoptions, emptied pages reused)");
  line("fresh pages", fixed(fresh, 0) + over + " (new_pages)");

  // The gates in the order Route P checks them (HAK_COUNTERS lists them so).
  std::string blocked_by;
  double blocked = 0, most = 0;
  for (const auto& [name, value] : ev) {
    if (name.rfind("adoption_blocked_", 0) != 0) continue;
    blocked += value;
    if (value > most) {
      most = value;
      blocked_by = name;
    }
  }
  const double attempts = at(ev, "adoption_attempts");
  std::string adoption = fixed(at(ev, "pages_adopted"), 0) + " pages adopted of " +
                         fixed(attempts, 0) + " considered" + over;
  std::string why;
  if (attempts == 0) {
    why = route == v1::ROUTE_S ? "route S never adopts" : "no slow path reached adoption";
  } else if (blocked == 0) {
    why = "no gate blocked";
  } else {
    why = "the gate that blocked most: " + blocked_by + " (" + fixed(most, 0) + " of " +
          fixed(blocked, 0) + " blocks, " + percent(most, blocked) + ")";
  }
  line("adoption", adoption + "; " + why);
  line("bytes", "in use " + mib(at(now, "bytes_in_use")) + " (peak " +
                    mib(at(now, "bytes_in_use_peak")) + "), committed " +
                    mib(at(now, "bytes_committed")) + " (peak " +
                    mib(at(now, "bytes_committed_peak")) + ")");
}

}  // namespace

void print_counters(std::ostream& out, const v1::CounterSnapshot& s,
                    const v1::CounterSnapshot* previous, CountersView view) {
  static const std::set<std::string> kGauges = gauge_names();
  const double seconds =
      previous ? static_cast<double>(s.taken_at_unix_ms() - previous->taken_at_unix_ms()) / 1000.0
               : 0;
  out << local_time(s.taken_at_unix_ms()) << "  route " << route_name(s.route())
      << "  page reuse rate " << fixed(s.page_reuse_rate(), 4) << '\n';

  std::map<std::string, uint64_t> now;
  std::map<std::string, double> events;  // since the start (or reset), or over the interval
  std::map<std::string, uint64_t> before;
  if (previous) {
    for (const v1::Counter& c : previous->counters()) before[c.name()] = c.value();
  }
  for (const v1::Counter& c : s.counters()) {
    now[c.name()] = c.value();
    double v = static_cast<double>(c.value());
    if (previous) v -= static_cast<double>(before[c.name()]);
    events[c.name()] = v;
  }
  print_summary(out, events, now, s.route(), previous && seconds > 0 ? seconds : 0);
  out << '\n';

  std::vector<std::vector<std::string>> rows;
  size_t hidden = 0;
  for (const v1::Counter& c : s.counters()) {
    const double delta = events[c.name()];
    if (!view.all && c.value() == 0 && (!previous || delta == 0)) {
      ++hidden;
      continue;
    }
    const bool bytes = is_bytes(c.name());
    std::vector<std::string> row{
        c.name(), bytes ? mib(static_cast<double>(c.value())) : std::to_string(c.value())};
    if (previous) {
      // Gauges may fall, so the rate is signed.
      const double rate = seconds > 0 ? delta / seconds : 0;
      row.push_back(bytes ? mib(rate) : fixed(rate, 1));
    }
    row.push_back(c.description() + (kGauges.count(c.name()) ? " (gauge)" : ""));
    rows.push_back(std::move(row));
  }
  if (previous) {
    print_table(out, {"COUNTER", "VALUE", "PER SECOND", "DESCRIPTION"}, rows);
  } else {
    print_table(out, {"COUNTER", "VALUE", "DESCRIPTION"}, rows);
  }
  if (hidden > 0) {
    out << "(" << hidden << (hidden == 1 ? " counter" : " counters")
        << " at zero not shown; --all shows them)\n";
  }
}

}  // namespace hakmem::admin_cli
