#include "stats.h"

#include <malloc.h>

#include <algorithm>
#include <bit>
#include <fstream>
#include <string>

namespace hakmem::server {

size_t LatencyHistogram::bucket_of(uint64_t ns) {
  if (ns < (1u << kSubBits)) return static_cast<size_t>(ns);
  int exponent = 63 - std::countl_zero(ns);  // >= kSubBits
  uint64_t sub = (ns >> (exponent - kSubBits)) & ((1u << kSubBits) - 1);
  return (static_cast<size_t>(exponent - kSubBits + 1) << kSubBits) + sub;
}

uint64_t LatencyHistogram::bucket_upper_ns(size_t bucket) {
  if (bucket < (1u << kSubBits)) return bucket;
  int exponent = static_cast<int>(bucket >> kSubBits) + kSubBits - 1;
  uint64_t sub = bucket & ((1u << kSubBits) - 1);
  uint64_t base = (uint64_t{1} << kSubBits | sub) << (exponent - kSubBits);
  return base + (uint64_t{1} << (exponent - kSubBits)) - 1;
}

void LatencyHistogram::record(uint64_t ns) {
  buckets_[bucket_of(ns)].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  uint64_t seen = max_ns_.load(std::memory_order_relaxed);
  while (ns > seen && !max_ns_.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) {
  }
}

void LatencyHistogram::reset() {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  max_ns_.store(0, std::memory_order_relaxed);
}

LatencySummary LatencyHistogram::summary() const {
  std::array<uint64_t, kBuckets> counts;
  LatencySummary s;
  for (size_t i = 0; i < kBuckets; ++i) {
    counts[i] = buckets_[i].load(std::memory_order_relaxed);
    s.count += counts[i];
  }
  s.max_us = static_cast<double>(max_ns_.load(std::memory_order_relaxed)) / 1000.0;
  if (s.count == 0) return s;
  auto percentile = [&](double q) {
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(s.count - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts[i];
      if (seen >= rank) return std::min(static_cast<double>(bucket_upper_ns(i)) / 1000.0, s.max_us);
    }
    return s.max_us;
  };
  s.p50_us = percentile(0.50);
  s.p90_us = percentile(0.90);
  s.p99_us = percentile(0.99);
  s.p999_us = percentile(0.999);
  return s;
}

LatencyBuckets LatencyHistogram::buckets(int min_exp, int max_exp) const {
  LatencyBuckets out;
  size_t edge = 0;
  for (int k = std::max(min_exp, kSubBits); k <= std::min(max_exp, 63); ++k) {
    const uint64_t upper = (uint64_t{1} << k) - 1;
    for (; edge < kBuckets && bucket_upper_ns(edge) <= upper; ++edge) {
      out.count += buckets_[edge].load(std::memory_order_relaxed);
    }
    out.upper_ns.push_back(upper);
    out.cumulative.push_back(out.count);
  }
  for (; edge < kBuckets; ++edge) out.count += buckets_[edge].load(std::memory_order_relaxed);
  out.sum_ns = sum_ns_.load(std::memory_order_relaxed);
  return out;
}

uint64_t system_malloc_in_use() {
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

std::pair<uint64_t, uint64_t> read_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  uint64_t rss = 0, peak = 0;
  while (std::getline(status, line)) {
    auto kb = [&](const char* prefix, uint64_t* out) {
      if (line.rfind(prefix, 0) == 0)
        *out = std::stoull(line.substr(std::string(prefix).size())) * 1024;
    };
    kb("VmRSS:", &rss);
    kb("VmHWM:", &peak);
  }
  return {rss, peak};
}

}  // namespace hakmem::server
