#include "churn.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "block.hpp"
#include "handoff_queue.hpp"

namespace hakmem::bench {

namespace {

using Clock = std::chrono::steady_clock;

struct Slot {
  void* block = nullptr;
  uint32_t size = 0;
};

// Frees a slot's block after checking its tag; false when the tag was wrong.
bool release(Slot& s) {
  bool ok = block_intact(s.block, &s, s.size);
  free(s.block);
  s.block = nullptr;
  return ok;
}

void refill(Slot& s, Rng& rng, uint32_t min, uint32_t max) {
  s.size = rng.between(min, max);
  s.block = checked_malloc(s.size);
  tag_block(s.block, &s, s.size);
}

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

ChurnResult run_churn(const ChurnParams& p) {
  std::vector<Slot> slots(p.slots);
  std::atomic<uint64_t> bad{0};
  ChurnResult r;
  auto start = Clock::now();
  for (uint32_t round = 0; round < p.rounds; ++round) {
    std::vector<std::thread> threads;
    for (uint32_t t = 0; t < p.threads; ++t) {
      // Stretches rotate, so a thread never takes over the stretch of the same thread index.
      uint32_t stretch = (t + round) % p.threads;
      size_t lo = static_cast<size_t>(p.slots) * stretch / p.threads;
      size_t hi = static_cast<size_t>(p.slots) * (stretch + 1) / p.threads;
      threads.emplace_back([&, lo, hi, round, t] {
        Rng rng{p.seed * 7919ULL + static_cast<uint64_t>(round) * p.threads + t};
        uint64_t b = 0;
        for (uint32_t k = 0; k < p.objects; ++k) {
          Slot& s = slots[lo + k % (hi - lo)];
          if (s.block != nullptr && !release(s)) ++b;
          refill(s, rng, p.min_size, p.max_size);
        }
        bad.fetch_add(b);
      });
    }
    for (auto& th : threads) th.join();
    r.threads += p.threads;
  }
  r.seconds = since(start);
  r.ops = static_cast<uint64_t>(p.rounds) * p.threads * p.objects;
  uint64_t b = bad.load();
  for (Slot& s : slots) {
    if (s.block != nullptr && !release(s)) ++b;
  }
  r.bad_blocks = b;
  return r;
}

ChurnResult run_handoff(const HandoffParams& p) {
  HandoffQueue q(64);
  std::atomic<uint64_t> bad{0};
  // The consumer frees what the short-lived threads hand it. A handed vector's buffer moves
  // through the queue intact, so an entry's address stays the tag's holder.
  std::thread consumer([&] {
    std::vector<Object> batch;
    uint64_t b = 0;
    while (q.pop(&batch)) {
      for (Object& o : batch) {
        if (!block_intact(o.p, &o, o.size)) ++b;
        free(o.p);
      }
    }
    bad.fetch_add(b);
  });
  auto worker = [&](uint32_t index) {
    Rng rng{p.seed * 104729ULL + index};
    std::vector<Object> handed(p.objects / 2), own(p.objects - p.objects / 2);
    for (uint32_t k = 0; k < p.objects; ++k) {
      Object& o = k % 2 ? own[k / 2] : handed[k / 2];
      o.size = rng.between(p.min_size, p.max_size);
      o.p = checked_malloc(o.size);
      tag_block(o.p, &o, o.size);
    }
    q.push(std::move(handed));
    uint64_t b = 0;
    for (Object& o : own) {
      if (!block_intact(o.p, &o, o.size)) ++b;
      free(o.p);
    }
    bad.fetch_add(b);
  };
  auto start = Clock::now();
  for (uint32_t first = 0; first < p.threads_total; first += p.concurrent) {
    std::vector<std::thread> wave;
    for (uint32_t i = first; i < std::min(p.threads_total, first + p.concurrent); ++i)
      wave.emplace_back(worker, i);
    for (auto& th : wave) th.join();
  }
  q.close();
  consumer.join();
  ChurnResult r;
  r.seconds = since(start);
  r.threads = p.threads_total;
  r.ops = static_cast<uint64_t>(p.threads_total) * p.objects;
  r.bad_blocks = bad.load();
  return r;
}

}  // namespace hakmem::bench
