// Producer-consumer benchmarks: objects allocated on one thread and freed on another.
//
// prodcons: producers allocate continuously and consumers free, in batches of --batch objects
// through a bounded queue (the xmalloc subcommand is xmalloc-test's own shape); the figure is
// frees per second.
//
// idle-owner: the run is split into shifts, one per producer group; in its shift a group's
// producers take turns, each turn a burst handed to the consumers. After its shift a group
// stays idle while consumers (which hold objects a while, like requests in service) free
// what it allocated. Consumers hold objects for
// a while (a window, like requests in service), so an idle producer's objects are freed
// while it sleeps. An owner-only policy (Route S) keeps every idle producer's pages for its next
// turn; Route P lets the producer whose turn it is adopt them. The figure to watch is peak
// committed memory.
#pragma once

#include <cstdint>
#include <functional>

namespace hakmem::bench {

struct ProdConsParams {
  double seconds = 3;
  uint32_t producers = 1;
  uint32_t consumers = 1;
  uint32_t min_size = 16;
  uint32_t max_size = 256;
  uint32_t batch = 256;    // objects per hand-off
  uint32_t queue = 64;     // batches in flight
  uint32_t burst = 20000;  // idle-owner: objects per turn
  uint32_t turn_ms = 20;   // idle-owner: length of a producer's turn
  uint32_t hold = 0;       // objects each consumer keeps before freeing the oldest
  uint32_t groups = 2;     // idle-owner: producer groups, each working one shift of the run
  uint32_t seed = 1;
};

struct ProdConsResult {
  uint64_t objects = 0;  // allocated and freed (each on another thread)
  double seconds = 0;
  uint64_t bad_blocks = 0;
  uint64_t turns = 0;
};

ProdConsResult run_prodcons(const ProdConsParams& p);
// `when_idle`, if given, runs after the timed phase once the consumers have freed every object
// and while the producers are still alive and idle (hakmem-bench samples memory there).
ProdConsResult run_idle_owner(const ProdConsParams& p,
                              const std::function<void()>& when_idle = nullptr);

}  // namespace hakmem::bench
