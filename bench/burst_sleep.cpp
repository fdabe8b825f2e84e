#include "burst_sleep.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "block.hpp"
#include "handoff_queue.hpp"

namespace hakmem::bench {

namespace {

using Clock = std::chrono::steady_clock;

double cpu_ms(int who) {
  rusage u{};
  getrusage(who, &u);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

// Threads report that they reached the quiet point, then block (no CPU) until the end.
class Quiet {
 public:
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mu_);
    ++arrived_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return over_; });
  }
  void wait_for(uint32_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return arrived_ >= n; });
  }
  void end() {
    std::lock_guard<std::mutex> lock(mu_);
    over_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  uint32_t arrived_ = 0;
  bool over_ = false;
};

}  // namespace

BurstSleepResult run_burst_sleep(const BurstSleepParams& p, const MemReader& read,
                                 double purge_delay_ms) {
  HandoffQueue q(p.queue);
  Quiet producers_quiet, consumers_quiet;
  std::atomic<uint64_t> freed{0}, bad{0}, live_bytes{0};
  uint64_t live_each = (static_cast<uint64_t>(p.live_mb) << 20) / p.producers;
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (uint32_t i = 0; i < p.consumers; ++i) {
    threads.emplace_back([&] {
      // Everything is held until the producers are done, so it is freed while they are idle.
      // Room for the whole burst up front: a growing vector or a deque's map would leave
      // their freed buffers (8-128 KiB) as the consumer's own empty pages, memory the
      // workload keeps rather than the allocator.
      std::vector<Object> batch, held;
      held.reserve(static_cast<size_t>(p.producers) * p.burst);
      uint64_t f = 0, b = 0;
      while (q.pop(&batch)) held.insert(held.end(), batch.begin(), batch.end());
      std::vector<Object>().swap(batch);  // the last batch's buffer came from a producer
      for (const Object& o : held) {
        if (!block_intact(o.p, o.p, o.size)) ++b;
        free(o.p);
        ++f;
      }
      std::vector<Object>().swap(held);
      freed.fetch_add(f);
      bad.fetch_add(b);
      consumers_quiet.arrive_and_wait();  // stays alive, as a server's worker would
    });
  }
  for (uint32_t i = 0; i < p.producers; ++i) {
    threads.emplace_back([&, i] {
      Rng rng{p.seed * 7919ULL + i};
      // Sized exactly, in one allocation: a growing vector would leave its freed buffers in
      // the producer's pages, memory the workload itself keeps rather than the allocator.
      Rng count_rng = rng;
      size_t count = 0;
      for (uint64_t bytes = 0; bytes < live_each; ++count)
        bytes += count_rng.between(p.min_size, p.max_size);
      std::vector<Object> live;
      live.reserve(count);
      uint64_t kept = 0;
      while (kept < live_each) {
        uint32_t size = rng.between(p.min_size, p.max_size);
        void* block = checked_malloc(size);
        tag_block(block, block, size);
        live.push_back({block, size});
        kept += size;
      }
      live_bytes.fetch_add(kept);
      for (uint32_t done = 0; done < p.burst; done += p.batch) {
        std::vector<Object> batch;
        batch.reserve(p.batch);
        for (uint32_t k = 0; k < p.batch && done + k < p.burst; ++k) {
          uint32_t size = rng.between(p.min_size, p.max_size);
          void* block = checked_malloc(size);
          tag_block(block, block, size);
          batch.push_back({block, size});
        }
        q.push(std::move(batch));
      }
      producers_quiet.arrive_and_wait();  // idle owner from here on
      uint64_t b = 0;
      for (const Object& o : live) {
        if (!block_intact(o.p, o.p, o.size)) ++b;
        free(o.p);
      }
      bad.fetch_add(b);
    });
  }
  producers_quiet.wait_for(p.producers);
  q.close();
  consumers_quiet.wait_for(p.consumers);
  BurstSleepResult r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // Every thread is blocked now: the process sleeps.
  double process_before = cpu_ms(RUSAGE_SELF), self_before = cpu_ms(RUSAGE_THREAD);
  auto sleep_start = Clock::now();
  double window = p.window_ms > 0 ? p.window_ms : std::max(40.0, 4 * purge_delay_ms);
  window = std::min(window, p.sleep_seconds * 1e3);
  watch_idle_memory(read, live_bytes.load(), purge_delay_ms, window, &r.figures);
  // After the window the sampling thread only sleeps: what is spent then is the allocator's
  // cost of staying idle, apart from the work of giving the burst back.
  double process_window = cpu_ms(RUSAGE_SELF), self_window = cpu_ms(RUSAGE_THREAD);
  std::this_thread::sleep_until(sleep_start + std::chrono::duration<double>(p.sleep_seconds));
  double process_ms = cpu_ms(RUSAGE_SELF) - process_before;
  double self_ms = cpu_ms(RUSAGE_THREAD) - self_before;
  r.figures["sleep_seconds"] = p.sleep_seconds;
  r.figures["sleep_cpu_ms_process"] = process_ms;
  r.figures["sleep_cpu_ms_sampling"] = self_ms;
  r.figures["sleep_cpu_ms_allocator"] = process_ms - self_ms;
  r.figures["sleep_cpu_ms_allocator_after_window"] =
      (cpu_ms(RUSAGE_SELF) - process_window) - (cpu_ms(RUSAGE_THREAD) - self_window);
  r.figures["idle_committed_after_sleep"] = static_cast<double>(read(live_bytes.load()).committed);
  producers_quiet.end();
  consumers_quiet.end();
  for (auto& t : threads) t.join();
  r.objects = freed.load();
  r.bad_blocks = bad.load();
  return r;
}

}  // namespace hakmem::bench
