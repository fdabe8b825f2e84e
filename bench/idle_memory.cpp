#include "idle_memory.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "preload.hpp"

namespace hakmem::bench {

namespace {

uint64_t rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      uint64_t kib = 0;
      fields >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

}  // namespace

MemReader memory_reader() {
  const HakmemApi* hk = preloaded_hakmem();
  if (hk == nullptr) {
    return [](uint64_t bench_live) { return MemReading{rss_bytes(), bench_live}; };
  }
  return [hk](uint64_t) {
    hak_counters c;
    hk->counters_get(&c);
    return MemReading{c.bytes_committed, c.bytes_in_use};
  };
}

double allocator_purge_delay_ms(double fallback) {
  const HakmemApi* hk = preloaded_hakmem();
  int64_t ms = 0;
  if (hk == nullptr || hk->option_get("purge_delay_ms", &ms) != 0) return fallback;
  return static_cast<double>(ms);
}

void watch_idle_memory(const MemReader& read, uint64_t bench_live, double purge_delay_ms,
                       double window_ms, std::map<std::string, double>* figures) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  MemReading first = read(bench_live);
  double live = static_cast<double>(first.live);
  double settle_ms = -1, at_2x = static_cast<double>(first.committed);
  MemReading last = first;
  for (double t = 0;; t = std::chrono::duration<double, std::milli>(Clock::now() - start).count()) {
    MemReading m = t == 0 ? first : read(bench_live);
    last = m;
    if (settle_ms < 0 && static_cast<double>(m.committed) <= 1.1 * live) settle_ms = t;
    if (t <= 2 * purge_delay_ms) at_2x = static_cast<double>(m.committed);
    if (t >= window_ms) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto& f = *figures;
  f["idle_live_bytes"] = live;
  f["idle_committed_start"] = static_cast<double>(first.committed);
  f["idle_committed_at_2x_purge_delay"] = at_2x;
  f["idle_committed_end"] = static_cast<double>(last.committed);
  f["idle_settle_ms"] = settle_ms;
  f["idle_within_10pct_at_2x_purge_delay"] = at_2x <= 1.1 * live ? 1 : 0;
  f["purge_delay_ms"] = purge_delay_ms;
}

}  // namespace hakmem::bench
