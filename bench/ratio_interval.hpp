// How sure a side-by-side ratio is: the bootstrap 95% interval of median(a) / median(b), the
// same method as hakmem-compare's (bench/compare/intervals.py): each side's runs are drawn
// with replacement, independently, 2000 times with a fixed seed, and the interval is the
// 2.5th-97.5th percentile of the resampled ratios. On a shared machine whose runs spread by
// 10-50%, a ratio of medians alone reads as a difference where there may be none.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hakmem::bench {

struct RatioInterval {
  double lo = 0, hi = 0;
  bool excludes_one() const { return lo > 1.0 || hi < 1.0; }
};

inline constexpr size_t kMinRunsForInterval = 3;

double median_of(std::vector<double> v);  // 0 when empty
// None with fewer than kMinRunsForInterval runs on either side, or a zero median in `b`.
std::optional<RatioInterval> ratio_interval(const std::vector<double>& a,
                                            const std::vector<double>& b);
// "0.96 [0.88-1.05]", or "0.96" without an interval; "-" when b's median is 0.
std::string format_ratio(const std::vector<double>& a, const std::vector<double>& b);

// The same question asked rep by rep: (a, b) pairs of runs made in the same rep, next to each
// other in time. The machine drifts between reps (the same configuration moves 2-4x between
// sittings minutes apart), and that drift moves both runs of a pair, so the median of the
// per-pair ratios, with the pairs resampled together, sees a difference the ratio of medians
// hides under the drift. None with fewer than kMinRunsForInterval pairs or a zero in `b`.
using RunPairs = std::vector<std::pair<double, double>>;
std::optional<double> paired_ratio(const RunPairs& pairs);
std::optional<RatioInterval> paired_interval(const RunPairs& pairs);
// "0.96 [0.93-0.99]", "0.96" with too few pairs for an interval, "-" with none.
std::string format_paired_ratio(const RunPairs& pairs);

}  // namespace hakmem::bench
