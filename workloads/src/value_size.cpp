#include "hakmem/workloads/value_size.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace hakmem::workloads {

namespace {

constexpr uint32_t kParetoMin = 10;  // db_bench raises smaller draws to 10 bytes
constexpr uint32_t kParetoDefaultMax = 1024;
constexpr uint32_t kMaxValueSize = 512u * 1024 * 1024;  // Redis' proto-max-bulk-len

bool parse_u32(std::string_view s, uint32_t* out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

bool ValueSizeSpec::parse(const std::string& text, ValueSizeSpec* out, std::string* error) {
  ValueSizeSpec spec;
  const std::string_view s(text);
  if (s.starts_with("pareto")) {
    spec.kind = Kind::kPareto;
    spec.min = kParetoMin;
    spec.max = kParetoDefaultMax;
    if (s.size() > 6 && (s[6] != ':' || !parse_u32(s.substr(7), &spec.max))) {
      *error = "expected pareto or pareto:MAX";
      return false;
    }
    if (spec.max < kParetoMin) {
      *error = "pareto MAX must be at least 10";
      return false;
    }
  } else if (const auto dash = s.find('-'); dash != std::string_view::npos) {
    spec.kind = Kind::kUniform;
    if (!parse_u32(s.substr(0, dash), &spec.min) || !parse_u32(s.substr(dash + 1), &spec.max) ||
        spec.min > spec.max) {
      *error = "expected MIN-MAX with MIN <= MAX";
      return false;
    }
  } else {
    spec.kind = Kind::kFixed;
    if (!parse_u32(s, &spec.min)) {
      *error = "expected a size in bytes, MIN-MAX, or pareto[:MAX]";
      return false;
    }
    spec.max = spec.min;
  }
  if (spec.max > kMaxValueSize) {
    *error = "value size above 512 MiB";
    return false;
  }
  *out = spec;
  return true;
}

std::string ValueSizeSpec::to_string() const {
  switch (kind) {
    case Kind::kFixed:
      return std::to_string(min);
    case Kind::kUniform:
      return std::to_string(min) + "-" + std::to_string(max);
    case Kind::kPareto:
      return "pareto:" + std::to_string(max);
  }
  return "?";
}

int64_t pareto_cdf_inversion(double u, const ParetoParams& p) {
  double value;
  if (p.k == 0.0) {
    value = p.theta - p.sigma * std::log(u);
  } else {
    value = p.theta + p.sigma * (std::pow(u, -p.k) - 1.0) / p.k;
  }
  return static_cast<int64_t>(std::ceil(value));
}

uint32_t ValueSizeChooser::next(Rng& rng) const {
  switch (spec_.kind) {
    case ValueSizeSpec::Kind::kFixed:
      return spec_.min;
    case ValueSizeSpec::Kind::kUniform:
      return spec_.min + static_cast<uint32_t>(rng.below(uint64_t{spec_.max} - spec_.min + 1));
    case ValueSizeSpec::Kind::kPareto: {
      // u in (0, 1]: u = 0 would be an infinite draw.
      const double u = 1.0 - rng.uniform();
      // db_bench wraps oversized draws modulo the maximum; clamping keeps the tail's mass at
      // the maximum instead of scattering it over small sizes.
      const int64_t v = pareto_cdf_inversion(u, spec_.pareto);
      return static_cast<uint32_t>(std::clamp<int64_t>(v, spec_.min, spec_.max));
    }
  }
  return spec_.min;
}

}  // namespace hakmem::workloads
