// Value-size distributions. All draws come from the caller's Rng, so a seed reproduces them.
#pragma once

#include <cstdint>
#include <string>

#include "hakmem/workloads/rng.hpp"

namespace hakmem::workloads {

// Generalized Pareto parameters fitted by Cao et al. (FAST'20) to Facebook's ZippyDB values;
// db_bench's mixgraph uses them as its defaults (value_theta, value_k, value_sigma).
struct ParetoParams {
  double theta = 0.0;    // location
  double k = 0.2615;     // shape: > 0 gives the heavy tail
  double sigma = 25.45;  // scale
};

struct ValueSizeSpec {
  enum class Kind { kFixed, kUniform, kPareto };
  Kind kind = Kind::kFixed;
  uint32_t min = 100;  // fixed size, or lower bound
  uint32_t max = 100;  // upper bound (uniform: inclusive; pareto: clamp)
  ParetoParams pareto;

  // "N" (fixed), "A-B" (uniform, inclusive), "pareto" or "pareto:MAX" (generalized Pareto,
  // clamped to [10, MAX], MAX defaulting to 1024 as db_bench's mix_max_value_size).
  static bool parse(const std::string& text, ValueSizeSpec* out, std::string* error);
  std::string to_string() const;
};

class ValueSizeChooser {
 public:
  explicit ValueSizeChooser(const ValueSizeSpec& spec) : spec_(spec) {}
  uint32_t next(Rng& rng) const;
  const ValueSizeSpec& spec() const { return spec_; }

 private:
  ValueSizeSpec spec_;
};

// Inverse CDF of the generalized Pareto distribution at u in (0, 1], rounded up as db_bench's
// ParetoCdfInversion does.
int64_t pareto_cdf_inversion(double u, const ParetoParams& p);

}  // namespace hakmem::workloads
