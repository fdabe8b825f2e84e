// Thread churn: short-lived threads whose objects outlive them.
//
// churn: rounds of threads, created and joined. The threads of a round share a transfer array
// of slots, each thread its own stretch of it (rotating from round to round): for every object
// it frees what a thread of the previous round left in the slot, checks it, and puts a new
// object there, of a size drawn uniformly from [min, max]. One op = one malloc (and the free
// of the slot's previous object).
//
// handoff: many short-lived threads, a few alive at a time; each allocates `objects` objects
// of sizes drawn uniformly from [min, max], hands half of them to one long-lived consumer
// thread that frees them, and frees the other half itself before it exits. One op = one
// object allocated and freed; the figure to watch is the wall time.
#pragma once

#include <cstdint>

namespace hakmem::bench {

struct ChurnParams {
  uint32_t rounds = 100;
  uint32_t threads = 4;     // per round
  uint32_t objects = 1000;  // mallocs per thread
  uint32_t slots = 4000;    // threads * objects: every free is of a previous round's object
  uint32_t min_size = 1;
  uint32_t max_size = 128 << 10;
  uint32_t seed = 1;
};

struct HandoffParams {
  uint32_t threads_total = 1000;  // the third-party program runs 20000
  uint32_t concurrent = 2;        // short-lived threads alive at once
  uint32_t objects = 1000;        // per thread, half of them handed to the consumer
  uint32_t min_size = 1;
  uint32_t max_size = 132 << 10;
  uint32_t seed = 1;
};

struct ChurnResult {
  uint64_t ops = 0;
  uint64_t threads = 0;  // threads created
  double seconds = 0;
  uint64_t bad_blocks = 0;
};

ChurnResult run_churn(const ChurnParams& p);
ChurnResult run_handoff(const HandoffParams& p);

}  // namespace hakmem::bench
