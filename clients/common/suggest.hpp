// "Did you mean ...?" for the command-line tools: the candidate nearest to a mistyped flag or
// command, when the typo is small (a third of the name or fewer edits). Header-only: hakmem-load
// and hakmem-admin share it without a library.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace hakmem::cli {

inline size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({up + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The candidate nearest to `given`, or "" when none is near enough to be a typo of it.
inline std::string nearest(std::string_view given, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = given.size() / 3 + 1;
  for (const std::string& c : candidates) {
    const size_t d = edit_distance(given, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace hakmem::cli
