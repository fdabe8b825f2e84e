#include "hakmem/workloads/key_chooser.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <utility>

namespace hakmem::workloads {

bool parse_key_distribution(const std::string& name, KeyDistribution* out) {
  if (name == "uniform") {
    *out = KeyDistribution::kUniform;
  } else if (name == "zipfian") {
    *out = KeyDistribution::kZipfian;
  } else if (name == "scrambled" || name == "scrambled-zipfian") {
    *out = KeyDistribution::kScrambledZipfian;
  } else if (name == "latest") {
    *out = KeyDistribution::kLatest;
  } else {
    return false;
  }
  return true;
}

const char* key_distribution_name(KeyDistribution d) {
  switch (d) {
    case KeyDistribution::kUniform:
      return "uniform";
    case KeyDistribution::kZipfian:
      return "zipfian";
    case KeyDistribution::kScrambledZipfian:
      return "scrambled";
    case KeyDistribution::kLatest:
      return "latest";
  }
  return "?";
}

uint64_t fnv_hash64(uint64_t value) {
  constexpr uint64_t kOffsetBasis = 0xCBF29CE484222325ull;
  constexpr uint64_t kPrime = 1099511628211ull;
  uint64_t hash = kOffsetBasis;
  for (int i = 0; i < 8; ++i) {
    hash ^= value & 0xff;
    hash *= kPrime;
    value >>= 8;
  }
  // YCSB takes Math.abs of the signed result.
  const auto signed_hash = static_cast<int64_t>(hash);
  return signed_hash < 0 ? 0 - hash : hash;
}

static double zeta_range(uint64_t from, uint64_t to, double theta, double initial) {
  double sum = initial;
  for (uint64_t i = from; i < to; ++i) sum += 1.0 / std::pow(static_cast<double>(i + 1), theta);
  return sum;
}

double zeta(uint64_t n, double theta) {
  return zeta_range(0, n, theta, 0.0);
}

// zeta(n) costs O(n) pow() calls (~0.2 s for 10^7 keys) and every connection builds its own
// chooser over the same key space: compute it once per process.
static double cached_zeta(uint64_t n, double theta) {
  static std::mutex mu;
  static std::map<std::pair<uint64_t, double>, double> cache;
  std::lock_guard lock(mu);
  const auto key = std::make_pair(n, theta);
  if (const auto it = cache.find(key); it != cache.end()) return it->second;
  return cache[key] = zeta(n, theta);
}

Zipfian::Zipfian(uint64_t items, double theta)
    : Zipfian(items, theta, cached_zeta(std::max<uint64_t>(items, 1), theta)) {}

Zipfian::Zipfian(uint64_t items, double theta, double zetan)
    : items_(std::max<uint64_t>(items, 1)),
      theta_(theta),
      alpha_(1.0 / (1.0 - theta)),
      zeta2_(zeta(2, theta)),
      zetan_(zetan) {
  eta_ =
      (1.0 - std::pow(2.0 / static_cast<double>(items_), 1.0 - theta_)) / (1.0 - zeta2_ / zetan_);
}

void Zipfian::set_items(uint64_t items) {
  zetan_ = zeta_range(items_, items, theta_, zetan_);
  items_ = items;
  eta_ =
      (1.0 - std::pow(2.0 / static_cast<double>(items_), 1.0 - theta_)) / (1.0 - zeta2_ / zetan_);
}

uint64_t Zipfian::next(Rng& rng, uint64_t items) {
  if (items > items_) set_items(items);
  const double u = rng.uniform();
  const double uz = u * zetan_;
  if (uz < 1.0) return 0;
  if (uz < 1.0 + std::pow(0.5, theta_)) return std::min<uint64_t>(1, items - 1);
  const auto rank =
      static_cast<uint64_t>(static_cast<double>(items) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
  return std::min(rank, items - 1);
}

namespace {

class UniformChooser final : public KeyChooser {
 public:
  explicit UniformChooser(uint64_t keys) : keys_(std::max<uint64_t>(keys, 1)) {}
  uint64_t next(Rng& rng) override { return rng.below(keys_); }

 private:
  uint64_t keys_;
};

class ZipfianChooser final : public KeyChooser {
 public:
  ZipfianChooser(uint64_t keys, double theta) : zipf_(keys, theta) {}
  uint64_t next(Rng& rng) override { return zipf_.next(rng); }

 private:
  Zipfian zipf_;
};

// YCSB ScrambledZipfianGenerator: draw from a zipfian over a huge item space and hash the rank
// into the key space, so popular keys are spread instead of clustered at the low indices.
class ScrambledZipfianChooser final : public KeyChooser {
 public:
  ScrambledZipfianChooser(uint64_t keys, double theta)
      : keys_(std::max<uint64_t>(keys, 1)), zipf_(make(keys_, theta)) {}
  uint64_t next(Rng& rng) override { return fnv_hash64(zipf_.next(rng)) % keys_; }

 private:
  static Zipfian make(uint64_t keys, double theta) {
    // YCSB's precomputed zeta(10^10, 0.99); for other constants zeta over 10^10 items would
    // take minutes, so the zipfian then ranges over the key space itself.
    constexpr uint64_t kItemCount = 10'000'000'000ull;
    constexpr double kZetan = 26.46902820178302;
    if (theta == kDefaultZipfConstant) return Zipfian(kItemCount, theta, kZetan);
    return Zipfian(keys, theta);
  }

  uint64_t keys_;
  Zipfian zipf_;
};

// YCSB SkewedLatestGenerator: the newest inserted key is the most popular (rank 0).
class LatestChooser final : public KeyChooser {
 public:
  LatestChooser(uint64_t keys, double theta, const std::atomic<uint64_t>* insert_count)
      : count_(insert_count), zipf_(std::max<uint64_t>(current(keys), 1), theta), keys_(keys) {}

  uint64_t next(Rng& rng) override {
    const uint64_t count = current(keys_);
    if (count == 0) return 0;
    return count - 1 - zipf_.next(rng, count);
  }

 private:
  uint64_t current(uint64_t fallback) const {
    return count_ ? count_->load(std::memory_order_relaxed) : fallback;
  }

  const std::atomic<uint64_t>* count_;
  Zipfian zipf_;
  uint64_t keys_;
};

}  // namespace

std::unique_ptr<KeyChooser> make_key_chooser(KeyDistribution d, uint64_t keys, double theta,
                                             const std::atomic<uint64_t>* insert_count) {
  switch (d) {
    case KeyDistribution::kUniform:
      return std::make_unique<UniformChooser>(keys);
    case KeyDistribution::kZipfian:
      return std::make_unique<ZipfianChooser>(keys, theta);
    case KeyDistribution::kScrambledZipfian:
      return std::make_unique<ScrambledZipfianChooser>(keys, theta);
    case KeyDistribution::kLatest:
      return std::make_unique<LatestChooser>(keys, theta, insert_count);
  }
  return nullptr;
}

}  // namespace hakmem::workloads
