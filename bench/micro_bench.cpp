// Same-thread malloc/free pairs, hakmem against the system malloc, over several sizes.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "hakmem/hakmem.h"

namespace {

template <void* (*Malloc)(size_t), void (*Free)(void*)>
void pairs(benchmark::State& state) {
  size_t size = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    void* p = Malloc(size);
    benchmark::DoNotOptimize(p);
    Free(p);
  }
  state.SetItemsProcessed(state.iterations());
}

// A batch of 64 live blocks per iteration, so free lists are really walked.
template <void* (*Malloc)(size_t), void (*Free)(void*)>
void batches(benchmark::State& state) {
  size_t size = static_cast<size_t>(state.range(0));
  void* blocks[64];
  for (auto _ : state) {
    for (auto& b : blocks) b = Malloc(size);
    benchmark::DoNotOptimize(blocks);
    for (auto& b : blocks) Free(b);
  }
  state.SetItemsProcessed(state.iterations() * 64);
}

void* sys_malloc(size_t n) {
  return std::malloc(n);
}
void sys_free(void* p) {
  std::free(p);
}

}  // namespace

BENCHMARK(pairs<hak_malloc, hak_free>)->Name("pair/hakmem")->RangeMultiplier(8)->Range(16, 32768);
BENCHMARK(pairs<sys_malloc, sys_free>)->Name("pair/system")->RangeMultiplier(8)->Range(16, 32768);
BENCHMARK(batches<hak_malloc, hak_free>)
    ->Name("batch64/hakmem")
    ->RangeMultiplier(8)
    ->Range(16, 32768);
BENCHMARK(batches<sys_malloc, sys_free>)
    ->Name("batch64/system")
    ->RangeMultiplier(8)
    ->Range(16, 32768);

BENCHMARK_MAIN();
