#include "stats.hpp"

namespace hakmem::load {

uint64_t Stats::error_count() const {
  uint64_t n = 0;
  for (const auto& [kind, count] : errors) n += count;
  return n;
}

void Stats::merge(const Stats& other) {
  latency.merge(other.latency);
  uncorrected_latency.merge(other.uncorrected_latency);
  for (size_t i = 0; i < ops_by_type.size(); ++i) ops_by_type[i] += other.ops_by_type[i];
  ops += other.ops;
  misses += other.misses;
  for (const auto& [kind, count] : other.errors) errors[kind] += count;
}

void Stats::reset() {
  latency.reset();
  uncorrected_latency.reset();
  ops_by_type.fill(0);
  ops = 0;
  misses = 0;
  errors.clear();
}

void StatsSink::drain_into(Stats& out) {
  std::lock_guard lock(mu_);
  out.merge(stats_);
  stats_.reset();
}

}  // namespace hakmem::load
