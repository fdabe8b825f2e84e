#include "ratio_interval.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <random>

namespace hakmem::bench {

namespace {

constexpr int kResamples = 2000;
constexpr uint64_t kSeed = 20;

double percentile(const std::vector<double>& sorted, double q) {
  double pos = q * static_cast<double>(sorted.size() - 1);
  size_t i = static_cast<size_t>(pos);
  size_t j = std::min(i + 1, sorted.size() - 1);
  return sorted[i] + (sorted[j] - sorted[i]) * (pos - static_cast<double>(i));
}

std::vector<double> resample(const std::vector<double>& v, std::mt19937_64& rng) {
  std::uniform_int_distribution<size_t> pick(0, v.size() - 1);
  std::vector<double> out(v.size());
  for (double& x : out) x = v[pick(rng)];
  return out;
}

// Two decimals, or three next to 1, so that a bound of 0.996 does not read as 1.00.
std::string ratio_text(double r) {
  bool near_one = r != 1.0 && r > 0.995 && r < 1.005;
  return near_one ? fmt::format("{:.3f}", r) : fmt::format("{:.2f}", r);
}

// "0.96 [0.88-1.05]", or "0.96" without an interval.
std::string ratio_with_interval(double r, std::optional<RatioInterval> ci) {
  std::string text = ratio_text(r);
  if (ci) text += fmt::format(" [{}-{}]", ratio_text(ci->lo), ratio_text(ci->hi));
  return text;
}

// The 2.5th-97.5th percentile of kResamples bootstrap draws.
RatioInterval interval_of(std::vector<double> draws) {
  std::sort(draws.begin(), draws.end());
  return RatioInterval{percentile(draws, 0.025), percentile(draws, 0.975)};
}

}  // namespace

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::optional<RatioInterval> ratio_interval(const std::vector<double>& a,
                                            const std::vector<double>& b) {
  if (a.size() < kMinRunsForInterval || b.size() < kMinRunsForInterval) return std::nullopt;
  std::mt19937_64 rng(kSeed);
  std::vector<double> ratios;
  ratios.reserve(kResamples);
  for (int i = 0; i < kResamples; ++i) {
    double den = median_of(resample(b, rng));
    if (den == 0) return std::nullopt;
    ratios.push_back(median_of(resample(a, rng)) / den);
  }
  return interval_of(std::move(ratios));
}

namespace {
std::vector<double> pair_ratios(const RunPairs& pairs) {
  std::vector<double> r;
  for (const auto& [a, b] : pairs) {
    if (b == 0) return {};
    r.push_back(a / b);
  }
  return r;
}

// Of per-pair ratios: the pairs are resampled together, so each draw is a median of ratios.
std::optional<RatioInterval> median_interval(const std::vector<double>& ratios) {
  if (ratios.size() < kMinRunsForInterval) return std::nullopt;
  std::mt19937_64 rng(kSeed);
  std::vector<double> medians;
  medians.reserve(kResamples);
  for (int i = 0; i < kResamples; ++i) medians.push_back(median_of(resample(ratios, rng)));
  return interval_of(std::move(medians));
}
}  // namespace

std::optional<double> paired_ratio(const RunPairs& pairs) {
  std::vector<double> r = pair_ratios(pairs);
  if (r.empty()) return std::nullopt;
  return median_of(r);
}

std::optional<RatioInterval> paired_interval(const RunPairs& pairs) {
  return median_interval(pair_ratios(pairs));
}

std::string format_paired_ratio(const RunPairs& pairs) {
  std::vector<double> r = pair_ratios(pairs);
  if (r.empty()) return "-";
  return ratio_with_interval(median_of(r), median_interval(r));
}

std::string format_ratio(const std::vector<double>& a, const std::vector<double>& b) {
  double den = median_of(b);
  if (den == 0 || a.empty()) return "-";
  return ratio_with_interval(median_of(a) / den, ratio_interval(a, b));
}

}  // namespace hakmem::bench
