#include "producer_consumer.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "handoff_queue.hpp"

namespace hakmem::bench {

namespace {

using Clock = std::chrono::steady_clock;

struct Rng {
  uint64_t s;
  uint32_t next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(s >> 33);
  }
};

// The first 8 bytes carry the block's own address and size; the consumer checks them.
inline uint64_t tag(const Object& o) {
  return reinterpret_cast<uintptr_t>(o.p) ^ (static_cast<uint64_t>(o.size) << 48);
}

Object make(const AllocApi& a, uint32_t size) {
  Object o{a.malloc(size), size};
  uint64_t t = tag(o);
  memcpy(o.p, &t, 8);
  return o;
}

struct Consumers {
  std::vector<std::thread> threads;
  std::atomic<uint64_t> freed{0}, bad{0};

  void start(uint32_t n, HandoffQueue& q, const AllocApi& a) {
    for (uint32_t i = 0; i < n; ++i) {
      threads.emplace_back([&] {
        std::vector<Object> batch;
        uint64_t f = 0, b = 0;
        while (q.pop(&batch)) {
          for (const Object& o : batch) {
            uint64_t seen;
            memcpy(&seen, o.p, 8);
            if (seen != tag(o)) ++b;
            a.free(o.p);
          }
          f += batch.size();
        }
        freed.fetch_add(f);
        bad.fetch_add(b);
      });
    }
  }
  void join() {
    for (auto& t : threads) t.join();
  }
};

}  // namespace

ProdConsResult run_prodcons(const ProdConsParams& p, const AllocApi& a) {
  HandoffQueue q(p.queue);
  Consumers consumers;
  consumers.start(p.consumers, q, a);
  std::atomic<bool> stop{false};
  uint32_t range = p.max_size - p.min_size + 1;
  auto start = Clock::now();
  std::vector<std::thread> producers;
  for (uint32_t i = 0; i < p.producers; ++i) {
    producers.emplace_back([&, i] {
      Rng rng{p.seed * 977ULL + i};
      while (!stop.load(std::memory_order_relaxed)) {
        std::vector<Object> batch;
        batch.reserve(p.batch);
        for (uint32_t k = 0; k < p.batch; ++k) batch.push_back(make(a, p.min_size + rng.next() % range));
        q.push(std::move(batch));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(p.seconds));
  stop = true;
  for (auto& t : producers) t.join();
  q.close();
  consumers.join();
  ProdConsResult r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.objects = consumers.freed.load();
  r.bad_blocks = consumers.bad.load();
  return r;
}

ProdConsResult run_idle_owner(const ProdConsParams& p, const AllocApi& a) {
  HandoffQueue q(p.queue);
  Consumers consumers;
  consumers.start(p.consumers, q, a);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> turns{0};
  uint32_t range = p.max_size - p.min_size + 1;
  auto start = Clock::now();
  auto turn_len = std::chrono::milliseconds(p.turn_ms);
  std::vector<std::thread> producers;
  for (uint32_t i = 0; i < p.producers; ++i) {
    producers.emplace_back([&, i] {
      Rng rng{p.seed * 1231ULL + i};
      for (uint64_t turn = 0;; ++turn) {
        // Turn k belongs to producer k % producers; the others sleep through it.
        auto my_turn = start + turn_len * (turn * p.producers + i);
        std::this_thread::sleep_until(my_turn);
        if (stop.load()) return;
        for (uint32_t done = 0; done < p.burst; done += p.batch) {
          std::vector<Object> batch;
          batch.reserve(p.batch);
          for (uint32_t k = 0; k < p.batch; ++k) batch.push_back(make(a, p.min_size + rng.next() % range));
          q.push(std::move(batch));
        }
        turns.fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(p.seconds));
  stop = true;
  for (auto& t : producers) t.join();
  q.close();
  consumers.join();
  ProdConsResult r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.objects = consumers.freed.load();
  r.bad_blocks = consumers.bad.load();
  r.turns = turns.load();
  return r;
}

}  // namespace hakmem::bench
