// xmalloc: the shape of xmalloc-test. Producer threads only allocate objects of one size, in
// batches of 4096 pointers held in a batch that is itself malloc'ed (4096 pointers and a link,
// just over 32 KiB); they push the batches onto a bounded shared stack (100 batches, mutex and
// condition variables). As many consumer threads only pop batches and free every object and
// the batch. The figure is frees per second.
#pragma once

#include <cstdint>

namespace hakmem::bench {

struct XmallocParams {
  double seconds = 3;
  uint32_t threads = 2;  // producers, and as many consumers
  uint32_t size = 64;
  uint32_t stack_limit = 100;  // batches waiting on the shared stack
};

struct XmallocResult {
  uint64_t frees = 0;        // objects freed within the timed phase
  uint64_t frees_total = 0;  // with the batches drained after it
  double seconds = 0;        // the timed phase
  uint64_t bad_blocks = 0;
};

XmallocResult run_xmalloc(const XmallocParams& p);

}  // namespace hakmem::bench
