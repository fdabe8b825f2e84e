// Seeded, platform-independent random numbers. std:: distributions differ between standard
// libraries, so workloads use their own to stay reproducible from one seed everywhere.
#pragma once

#include <cstdint>

namespace hakmem::workloads {

// splitmix64: used to expand one seed into independent streams.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// xoshiro256**: fast, good quality, tiny state.
class Rng {
 public:
  explicit Rng(uint64_t seed = 1) {
    uint64_t sm = seed;
    for (auto& word : s_) word = splitmix64(sm);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 bits of precision.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform in [0, n) without modulo bias worth caring about (multiply-shift).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

  // Derive an independent stream (e.g. one per connection) from this seed.
  static Rng stream(uint64_t seed, uint64_t index) {
    uint64_t sm = seed ^ (0xD1B54A32D192ED03ull * (index + 1));
    return Rng(splitmix64(sm));
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace hakmem::workloads
