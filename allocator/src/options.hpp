// Run-time options: named integers in one table, read from HAKMEM_* at start and changeable
// at any moment through the C API. Readers load them relaxed on slow paths only, through the
// typed getters below, so a unit is converted in one place.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "hakmem/hakmem.h"

namespace hakmem {

// X(id, name, min, max, default, help): the one place each default is written.
#define HAK_OPTIONS(X)                                                                        \
  X(kOptRoute, route, 0, 3, 1, "slow-path policy: S (0), P (1), CDA (2) or A (3); default P") \
  X(kOptMustReuseBudget, must_reuse_budget, 1, 1024, 4,                                       \
    "pending pages examined per slow path before anything else; default 4, range 1..1024")    \
  X(kOptPurgeDelayMs, purge_delay_ms, 0, 3600000, 10,                                         \
    "milliseconds an empty page stays committed at least (doubled, up to 1 s, while purged "  \
    "pages are soon needed again); default 10, range 0..3600000")                             \
  X(kOptRfrWindowUs, rfr_window_us, 0, 10000000, 200,                                         \
    "right-of-first-refusal window after a page's first remote free (Route P); default 200, " \
    "range 0..10000000")                                                                      \
  X(kOptIdleThresholdUs, idle_threshold_us, 0, 10000000, 150,                                 \
    "owner idle time before its pages may be adopted (Route P); default 150, range "          \
    "0..10000000")                                                                            \
  X(kOptAdoptionThreshold, adoption_threshold, 0, 1000000, 4,                                 \
    "pending pages a class needs before adoption (Route P); default 4, range 0..1000000")     \
  X(kOptMinRemoteCount, min_remote_count, 0, 65536, 8,                                        \
    "remote frees a page needs before adoption (Route P), capped at half the page's blocks; " \
    "default 8, range 0..65536")                                                              \
  X(kOptRetainMb, retain_mb, 0, 1048576, 256,                                                 \
    "MiB of empty segments kept mapped for reuse (their memory is still purged after the "    \
    "delay); default 256, range 0..1048576")                                                  \
  X(kOptNotifyThreshold, notify_threshold, 1, 4096, 1,                                        \
    "remote frees a detached page holds before it is queued to its home (1: the 0->1 edge); " \
    "pages below it are queued by a sweep; default 1, range 1..4096")                         \
  X(kOptReenqueueAfterDrain, reenqueue_after_drain, 0, 1, 0,                                  \
    "1: a page that got remote frees while it was claimed is queued again instead of used; "  \
    "default 0")                                                                              \
  X(kOptRouteAWindow, route_a_window, 4, 1000000, 16,                                         \
    "Route A: adoptions + fresh pages of a class per open/close decision; default 16, range " \
    "4..1000000")                                                                             \
  X(kOptBackground, background, 0, 1, 0,                                                      \
    "1: a background thread releases idle heaps' emptied pages and purges on time; "          \
    "default 0")                                                                              \
  X(kOptTrimPages, trim_pages, 0, 1024, 16,                                                   \
    "own queued pages with live blocks whose free OS pages go back, at most, per new page "   \
    "(a pass every 8; 16 times as many examined); 0: off; default 16, range 0..1024")

enum OptionId : size_t {
#define HAK_OPTION_ID(id, name, min, max, def, help) id,
  HAK_OPTIONS(HAK_OPTION_ID)
#undef HAK_OPTION_ID
      kOptionCount,
};

struct OptionSpec {
  const char* name;  // also HAKMEM_<NAME IN UPPER CASE> in the environment
  const char* help;
  int64_t min;
  int64_t max;
  int64_t default_value;
};

extern const OptionSpec kOptionSpecs[kOptionCount];
extern std::atomic<int64_t> g_option_values[kOptionCount];

// Where an option's value came from, for HAKMEM_VERBOSE and the HAKMEM_STATS table.
enum OptionSource : uint8_t { kFromDefault, kFromEnvironment, kFromRunTime };
// "default", "environment" or "run-time".
const char* option_source_name(size_t index);

inline int64_t option(OptionId id) {
  return g_option_values[id].load(std::memory_order_relaxed);
}

inline hak_route route() {
  return static_cast<hak_route>(option(kOptRoute));
}
inline uint64_t purge_delay_ns() {
  return static_cast<uint64_t>(option(kOptPurgeDelayMs)) * 1000000;
}
inline uint64_t rfr_window_ns() {
  return static_cast<uint64_t>(option(kOptRfrWindowUs)) * 1000;
}
inline uint64_t idle_threshold_ns() {
  return static_cast<uint64_t>(option(kOptIdleThresholdUs)) * 1000;
}
inline uint64_t retain_bytes() {
  return static_cast<uint64_t>(option(kOptRetainMb)) << 20;
}

// Called after every successful run-time set, with the option's id (the background thread
// starts or stops on it). Installed once, after the environment was read.
void options_set_observer(void (*observer)(OptionId));

// Reads HAKMEM_* once; invalid values are reported on stderr and the default is kept.
// Unknown HAKMEM_* names are warned about with the nearest known name; HAKMEM_VERBOSE=1
// prints every option and where it came from.
void options_init_from_env();

}  // namespace hakmem
