// What a quiet process keeps: after a workload's threads go idle, committed memory is sampled
// every millisecond for a window, to see how soon it falls to the live bytes (hakmem with
// --background releases idle owners' emptied pages and purges them after purge_delay_ms).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace hakmem::bench {

struct MemReading {
  uint64_t committed = 0;  // hakmem: bytes_committed; other allocators: RSS
  uint64_t live = 0;       // hakmem: bytes_in_use; other allocators: what the bench holds
};
// Reads the allocator's figures; `bench_live` is what the workload knows it still holds.
using MemReader = std::function<MemReading(uint64_t bench_live)>;

// The reader for this process: the preloaded hakmem's counters, else RSS and bench_live.
MemReader memory_reader();
// hakmem's purge_delay_ms, or `fallback` for other allocators.
double allocator_purge_delay_ms(double fallback);

// Samples for window_ms; the figures (idle_*) go into *figures:
//   idle_live_bytes, idle_committed_start, idle_committed_at_2x_purge_delay, idle_committed_end,
//   idle_settle_ms (first sample within 10% of the live bytes, -1: none in the window) and
//   idle_within_10pct_at_2x_purge_delay (1 or 0).
void watch_idle_memory(const MemReader& read, uint64_t bench_live, double purge_delay_ms,
                       double window_ms, std::map<std::string, double>* figures);

}  // namespace hakmem::bench
