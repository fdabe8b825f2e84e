#include "larson.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "block.hpp"

namespace hakmem::bench {

namespace {

struct Slot {
  char* block = nullptr;
  uint32_t size = 0;
};

struct Shared {
  const LarsonParams* params;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ops{0};
  std::atomic<uint64_t> bad{0};
  std::atomic<uint64_t> started{0};
  std::mutex mu;
  std::condition_variable cv;
  int live = 0;
  // --exchange: lanes swap their array with this spare one now and then, so live threads
  // free each other's blocks (the seed's "thread A passes objects to thread B").
  std::mutex mailbox_mu;
  std::vector<Slot>* mailbox = nullptr;
};

struct Lane {
  Shared* shared;
  std::vector<Slot>* slots;
  Rng rng;
};

// Each block is tagged with its slot and size (block.hpp).
void fill(Slot& s, uint32_t size) {
  s.block = static_cast<char*>(checked_malloc(size));
  s.size = size;
  tag_block(s.block, &s, size);
}

bool intact(const Slot& s) {
  return block_intact(s.block, &s, s.size);
}

void lane_main(Lane lane) {
  Shared& sh = *lane.shared;
  const LarsonParams& p = *sh.params;
  uint32_t range = p.max_size - p.min_size + 1;
  uint64_t steps = static_cast<uint64_t>(p.rounds) * p.chunks;
  uint64_t done = 0, bad = 0;
  for (; done < steps; ++done) {
    std::vector<Slot>& slots = *lane.slots;
    Slot& s = slots[lane.rng.next() % slots.size()];
    if (p.check_blocks && !intact(s)) ++bad;
    free(s.block);
    fill(s, p.min_size + lane.rng.next() % range);
    if ((done & 1023) == 0 && sh.stop.load(std::memory_order_relaxed)) break;
    if (p.exchange != 0 && done % p.exchange == p.exchange - 1) {
      std::lock_guard<std::mutex> lock(sh.mailbox_mu);
      std::swap(lane.slots, sh.mailbox);
    }
  }
  sh.ops.fetch_add(done, std::memory_order_relaxed);
  sh.bad.fetch_add(bad, std::memory_order_relaxed);
  if (!sh.stop.load(std::memory_order_relaxed)) {
    // Hand the array to a successor: it will free this thread's blocks.
    sh.started.fetch_add(1, std::memory_order_relaxed);
    std::thread(lane_main, lane).detach();
    return;
  }
  std::lock_guard<std::mutex> lock(sh.mu);
  if (--sh.live == 0) sh.cv.notify_all();
}

}  // namespace

LarsonResult run_larson(const LarsonParams& p) {
  Shared sh;
  sh.params = &p;
  // With --exchange, one spare array waits in the mailbox.
  size_t spare = p.exchange != 0 ? 1 : 0;
  std::vector<std::vector<Slot>> arrays(p.threads + spare, std::vector<Slot>(p.chunks));
  if (spare) sh.mailbox = &arrays[p.threads];
  Rng warm{p.seed};
  uint32_t range = p.max_size - p.min_size + 1;
  // Warm-up by the main thread: the first frees of every worker are cross-thread.
  for (auto& arr : arrays) {
    for (Slot& s : arr) fill(s, p.min_size + warm.next() % range);
  }
  sh.live = static_cast<int>(p.threads);
  auto start = std::chrono::steady_clock::now();
  for (uint32_t t = 0; t < p.threads; ++t) {
    sh.started.fetch_add(1, std::memory_order_relaxed);
    std::thread(lane_main, Lane{&sh, &arrays[t], Rng{p.seed * 7919ULL + t + 1}}).detach();
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(p.seconds));
  sh.stop.store(true);
  {
    std::unique_lock<std::mutex> lock(sh.mu);
    sh.cv.wait(lock, [&] { return sh.live == 0; });
  }
  auto end = std::chrono::steady_clock::now();
  LarsonResult r;
  r.ops = sh.ops.load();
  r.threads_started = sh.started.load();
  r.seconds = std::chrono::duration<double>(end - start).count();
  r.bad_blocks = sh.bad.load();
  for (auto& arr : arrays) {
    for (Slot& s : arr) free(s.block);
  }
  return r;
}

}  // namespace hakmem::bench
