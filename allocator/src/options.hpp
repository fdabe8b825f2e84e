// Run-time options: named integers in one table, read from HAKMEM_* at start and changeable
// at any moment through the C API. Readers load them relaxed on slow paths only.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace hakmem {

enum OptionId : size_t {
  kOptRoute,
  kOptMustReuseBudget,
  kOptPurgeDelayMs,
  kOptRfrWindowUs,
  kOptIdleThresholdUs,
  kOptAdoptionThreshold,
  kOptMinRemoteCount,
  kOptionCount,
};

struct OptionSpec {
  const char* name;
  const char* env;
  const char* help;
  int64_t min;
  int64_t max;
  int64_t default_value;
};

extern const OptionSpec kOptionSpecs[kOptionCount];
extern std::atomic<int64_t> g_option_values[kOptionCount];

inline int64_t option(OptionId id) {
  return g_option_values[id].load(std::memory_order_relaxed);
}

// Reads HAKMEM_* once; invalid values are reported on stderr and the default is kept.
void options_init_from_env();

}  // namespace hakmem
