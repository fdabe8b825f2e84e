#include "route_a_render.h"

#include <string>
#include <vector>

#include "render.h"

namespace hakmem::admin_cli {

namespace {

namespace v1 = ::hakmem::admin::v1;

bool active(const v1::RouteAClass& c) {
  return c.open() || c.switches() != 0 || c.window_events() != 0 || c.last_adoptions() != 0 ||
         c.last_fresh_pages() != 0 || c.last_missed() != 0;
}

// Only Route A feeds the windows and consults the decision (allocator/src/refill.cpp), so under
// any other route the table is frozen, and it is where Route A starts again from.
std::string header(const v1::GetRouteAClassesResponse& r) {
  int open = 0;
  for (const v1::RouteAClass& c : r.classes()) open += c.open() ? 1 : 0;
  const std::string counts = std::to_string(open) + " of " + std::to_string(r.classes_size()) +
                             " classes open, decided every " + std::to_string(r.window()) +
                             " events (route_a_window)";
  if (r.route() == v1::ROUTE_A) return "route A: " + counts;
  return std::string("route ") + route_name(r.route()) +
         ": Route A is not running, the table is its state from when it last ran (every class "
         "starts closed), frozen until route A runs again; " +
         counts;
}

}  // namespace

void print_route_a(std::ostream& out, const v1::GetRouteAClassesResponse& r, bool all) {
  out << header(r) << '\n';
  std::vector<std::vector<std::string>> rows;
  size_t hidden = 0;
  for (const v1::RouteAClass& c : r.classes()) {
    if (!all && !active(c)) {
      ++hidden;
      continue;
    }
    rows.push_back({std::to_string(c.size_class()), std::to_string(c.block_size()),
                    c.open() ? "open" : "closed", c.reason(), std::to_string(c.switches()),
                    std::to_string(c.window_events()), std::to_string(c.last_adoptions()),
                    std::to_string(c.last_dominoes()), std::to_string(c.last_fresh_pages()),
                    std::to_string(c.last_missed())});
  }
  // The LAST_ columns are the last complete window, WINDOW the current one so far.
  print_table(out,
              {"CLASS", "BYTES", "STATE", "REASON", "SWITCHES", "WINDOW", "LAST_ADOPTED",
               "LAST_DOMINOES", "LAST_FRESH", "LAST_MISSED"},
              rows);
  if (hidden > 0) {
    out << "(" << hidden << " classes without Route A activity not shown; --all shows them)\n";
  }
}

nlohmann::json route_a_json(const v1::GetRouteAClassesResponse& r) {
  nlohmann::json classes = nlohmann::json::array();
  for (const v1::RouteAClass& c : r.classes()) {
    classes.push_back({{"class", c.size_class()},
                       {"block_size", c.block_size()},
                       {"open", c.open()},
                       {"reason", c.reason()},
                       {"switches", c.switches()},
                       {"window_events", c.window_events()},
                       {"last_adoptions", c.last_adoptions()},
                       {"last_dominoes", c.last_dominoes()},
                       {"last_fresh_pages", c.last_fresh_pages()},
                       {"last_missed", c.last_missed()}});
  }
  return {{"route", route_name(r.route())}, {"window", r.window()}, {"classes", classes}};
}

}  // namespace hakmem::admin_cli
