// Side-by-side comparison: re-runs this binary once per configuration and repetition,
// interleaved (A B C, B C A, C A B, ...: each rep starts one configuration later), each in a
// fresh process with its allocator preloaded (so peak RSS is per run), then prints medians
// with min-max and ratios, with their bootstrap intervals, against the system malloc and the
// best peer (or, for routes and the note's table, against Route S).
#pragma once

#include <string>
#include <vector>

namespace hakmem::bench {

struct CompareOptions {
  bool allocs_mode = false;         // every allocator, hakmem with the given route
  bool routes_mode = false;         // hakmem S, P, CDA, A
  bool seed_mode = false;           // the design note's table: CDA x thresholds, S, P
  std::vector<std::string> allocs;  // allocators to compare; empty: every installed one
  int reps = 3;
  bool any() const { return allocs_mode || routes_mode || seed_mode; }
};

int run_compare(int argc, char** argv, const std::string& bench, const std::string& route,
                const CompareOptions& options);

}  // namespace hakmem::bench
