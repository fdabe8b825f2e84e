#include "larson.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace hakmem::bench {

namespace {

// Park-Miller style generator, as small and deterministic as the original's.
struct Rng {
  uint64_t state;
  uint32_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  }
};

struct Slot {
  char* block = nullptr;
  uint32_t size = 0;
};

struct Shared {
  const LarsonParams* params;
  const AllocApi* alloc;
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

// Each block starts with a 64-bit tag naming its slot and size, written after malloc and
// checked before free: a block handed out twice, or lost and reused, shows up as a wrong
// tag. Like the original benchmark, only the block's first bytes are touched.
inline uint64_t tag_of(const Slot& s, const void* slot_addr) {
  return (static_cast<uint64_t>(s.size) << 40) ^ reinterpret_cast<uintptr_t>(slot_addr);
}

void fill(Slot& s, const AllocApi& a, uint32_t size) {
  s.block = static_cast<char*>(a.malloc(size));
  s.size = size;
  uint64_t tag = tag_of(s, &s);
  memcpy(s.block, &tag, size < 8 ? size : 8);
}

bool intact(const Slot& s) {
  uint64_t tag = tag_of(s, &s), seen = 0;
  memcpy(&seen, s.block, s.size < 8 ? s.size : 8);
  return s.size >= 8 ? seen == tag : memcmp(&seen, &tag, s.size) == 0;
}

void lane_main(Lane lane) {
  Shared& sh = *lane.shared;
  const LarsonParams& p = *sh.params;
  const AllocApi& a = *sh.alloc;
  uint32_t range = p.max_size - p.min_size + 1;
  uint64_t steps = static_cast<uint64_t>(p.rounds) * p.chunks;
  uint64_t done = 0, bad = 0;
  for (; done < steps; ++done) {
    std::vector<Slot>& slots = *lane.slots;
    Slot& s = slots[lane.rng.next() % slots.size()];
    if (!intact(s)) ++bad;
    a.free(s.block);
    fill(s, a, p.min_size + lane.rng.next() % range);
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

LarsonResult run_larson(const LarsonParams& p, const AllocApi& alloc) {
  Shared sh;
  sh.params = &p;
  sh.alloc = &alloc;
  // With --exchange, one spare array waits in the mailbox.
  size_t spare = p.exchange != 0 ? 1 : 0;
  std::vector<std::vector<Slot>> arrays(p.threads + spare, std::vector<Slot>(p.chunks));
  if (spare) sh.mailbox = &arrays[p.threads];
  Rng warm{p.seed};
  uint32_t range = p.max_size - p.min_size + 1;
  // Warm-up by the main thread: the first frees of every worker are cross-thread.
  for (auto& arr : arrays) {
    for (Slot& s : arr) fill(s, alloc, p.min_size + warm.next() % range);
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
    for (Slot& s : arr) alloc.free(s.block);
  }
  return r;
}

}  // namespace hakmem::bench
