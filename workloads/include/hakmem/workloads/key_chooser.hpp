// Key choosers, following YCSB's generators so results compare with published YCSB numbers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "hakmem/workloads/rng.hpp"

namespace hakmem::workloads {

inline constexpr double kDefaultZipfConstant = 0.99;

enum class KeyDistribution { kUniform, kZipfian, kScrambledZipfian, kLatest };

// Parses "uniform", "zipfian", "scrambled" (or "scrambled-zipfian"), "latest".
bool parse_key_distribution(const std::string& name, KeyDistribution* out);
const char* key_distribution_name(KeyDistribution d);

// YCSB's fnvhash64 (FNV-1a over the 8 bytes, then made non-negative).
uint64_t fnv_hash64(uint64_t value);

// Sum_{i=1..n} 1 / i^theta.
double zeta(uint64_t n, double theta);

// YCSB ZipfianGenerator (Gray et al., "Quickly generating billion-record synthetic databases"):
// rank 0 is the most popular. The item count may grow; zeta is then extended incrementally.
class Zipfian {
 public:
  Zipfian(uint64_t items, double theta = kDefaultZipfConstant);
  // Precomputed zeta(items), as YCSB's scrambled zipfian does for its 10^10 item space.
  Zipfian(uint64_t items, double theta, double zetan);

  uint64_t next(Rng& rng) { return next(rng, items_); }
  // Draws over `items` (>= the count it was built with; grows the internal zeta).
  uint64_t next(Rng& rng, uint64_t items);
  uint64_t items() const { return items_; }
  double zetan() const { return zetan_; }

 private:
  void set_items(uint64_t items);

  uint64_t items_;
  double theta_;
  double alpha_;
  double zeta2_;
  double zetan_;
  double eta_;
};

// Chooses a key index. One instance per thread (not thread safe); `next` may read shared
// atomics (the insert counter for "latest").
class KeyChooser {
 public:
  virtual ~KeyChooser() = default;
  virtual uint64_t next(Rng& rng) = 0;
};

// keys: size of the key space [0, keys). insert_count: number of keys inserted so far, read
// by "latest" (which favours the most recent ones); others ignore it.
std::unique_ptr<KeyChooser> make_key_chooser(KeyDistribution d, uint64_t keys, double theta,
                                             const std::atomic<uint64_t>* insert_count);

}  // namespace hakmem::workloads
