// The Larson & Krishnan server benchmark: each thread repeatedly frees a random slot of its
// array and refills it with a block of random size; after `rounds * chunks` such steps the
// thread hands its array to a new thread and exits. The successor frees its predecessor's
// blocks, and the first threads free blocks the main thread allocated: the lifetimes of
// objects cross threads, as in a server.
#pragma once

#include <cstdint>

namespace hakmem::bench {

struct LarsonParams {
  double seconds = 5;
  uint32_t min_size = 8;
  uint32_t max_size = 1000;
  uint32_t chunks = 5000;  // slots per thread
  uint32_t rounds = 100;   // a thread makes rounds * chunks steps, then hands over
  uint32_t seed = 4141;
  uint32_t threads = 2;
  uint32_t exchange = 0;  // steps between array swaps with other live threads; 0 = classic
  // Read each block's tag before freeing it (counts bad_blocks). mimalloc-bench's larson does
  // not, and the read brings the block into the freeing core's cache before free writes it,
  // which changes the ranking (README, "hakmem-bench, every pattern").
  bool check_blocks = true;
};

struct LarsonResult {
  uint64_t ops = 0;  // one op = one free + one malloc
  uint64_t threads_started = 0;
  double seconds = 0;       // measured wall time of the timed phase
  uint64_t bad_blocks = 0;  // blocks whose contents did not survive (must be 0)
};

LarsonResult run_larson(const LarsonParams& params);

}  // namespace hakmem::bench
