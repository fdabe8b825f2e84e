#include "phases.hpp"
#include "hakmem/route_names.h"

#include <cmath>
#include <cstdlib>

namespace hakmem::load {

namespace {

bool parse_duration(const std::string& s, std::chrono::milliseconds* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  const double value = std::strtod(s.c_str(), &end);
  const std::string unit(end);
  double ms;
  if (unit.empty() || unit == "s") {
    ms = value * 1000;
  } else if (unit == "ms") {
    ms = value;
  } else if (unit == "m") {
    ms = value * 60000;
  } else {
    return false;
  }
  if (end == s.c_str() || !std::isfinite(ms) || ms < 1) return false;
  *out = std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms)));
  return true;
}

}  // namespace

bool parse_phases(const std::string& text, std::vector<PhaseSpec>* out, std::string* error) {
  std::vector<PhaseSpec> phases;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t colon = item.find(':');
    if (colon == std::string::npos) {
      *error = "phase '" + item + "' is not ROUTE:DURATION";
      return false;
    }
    PhaseSpec phase;
    phase.route = item.substr(0, colon);
    hak_route route;
    if (!hak_route_from_name(phase.route.c_str(), &route)) {
      *error = "route '" + phase.route + "' is not " HAK_ROUTE_NAMES_TEXT;
      return false;
    }
    phase.route = hak_route_to_name(route);
    if (!parse_duration(item.substr(colon + 1), &phase.duration)) {
      *error = "bad duration in phase '" + item + "' (e.g. 10s, 500ms, 1m)";
      return false;
    }
    phases.push_back(phase);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  *out = std::move(phases);
  return true;
}

}  // namespace hakmem::load
