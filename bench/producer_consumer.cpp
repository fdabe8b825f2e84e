#include "producer_consumer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <thread>
#include <vector>

#include "block.hpp"
#include "handoff_queue.hpp"

namespace hakmem::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Objects are copied from queue to queue, so a block is tagged with its own address and size
// (block.hpp); the consumer checks them.
Object make(uint32_t size) {
  Object o{checked_malloc(size), size};
  tag_block(o.p, o.p, size);
  return o;
}

struct Consumers {
  std::vector<std::thread> threads;
  std::atomic<uint64_t> freed{0}, bad{0};

  void start(uint32_t n, HandoffQueue& q, uint32_t hold) {
    for (uint32_t i = 0; i < n; ++i) {
      threads.emplace_back([&, hold] {
        std::vector<Object> batch;
        std::deque<Object> held;
        uint64_t f = 0, b = 0;
        auto release = [&](const Object& o) {
          if (!block_intact(o.p, o.p, o.size)) ++b;
          free(o.p);
          ++f;
        };
        while (q.pop(&batch)) {
          for (const Object& o : batch) {
            held.push_back(o);
            if (held.size() > hold) {
              release(held.front());
              held.pop_front();
            }
          }
        }
        for (const Object& o : held) release(o);
        freed.fetch_add(f);
        bad.fetch_add(b);
      });
    }
  }
  void join() {
    for (auto& t : threads) t.join();
  }
};

// Lets the run go on for its time, then stops the producers and drains the consumers.
ProdConsResult finish(const ProdConsParams& p, Clock::time_point start, std::atomic<bool>& stop,
                      std::vector<std::thread>& producers, HandoffQueue& q, Consumers& consumers) {
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

}  // namespace

ProdConsResult run_prodcons(const ProdConsParams& p) {
  HandoffQueue q(p.queue);
  Consumers consumers;
  consumers.start(p.consumers, q, p.hold);
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
        for (uint32_t k = 0; k < p.batch; ++k)
          batch.push_back(make(p.min_size + rng.next() % range));
        q.push(std::move(batch));
      }
    });
  }
  return finish(p, start, stop, producers, q, consumers);
}

ProdConsResult run_idle_owner(const ProdConsParams& p, const std::function<void()>& when_idle) {
  HandoffQueue q(p.queue);
  Consumers consumers;
  consumers.start(p.consumers, q, p.hold);
  std::atomic<bool> stop{false}, released{false};
  std::atomic<uint32_t> idle{0};
  std::atomic<uint64_t> turns{0};
  uint32_t range = p.max_size - p.min_size + 1;
  auto start = Clock::now();
  auto turn_len = std::chrono::milliseconds(p.turn_ms);
  std::vector<std::thread> producers;
  // Turn t (turn_ms long) belongs to one producer. The run is split into one shift per
  // group (producer i is in group i % groups); a group works only in its own shift, its
  // members taking turns, and is idle for the rest of the run while its objects are freed.
  uint32_t groups = std::max(1u, std::min(p.groups, p.producers));
  double shift_turns = p.seconds * 1000.0 / groups / p.turn_ms;
  auto owner_of = [&](uint64_t t) {
    uint64_t group =
        std::min<uint64_t>(static_cast<uint64_t>(t / std::max(1.0, shift_turns)), groups - 1);
    uint64_t members = (p.producers - group + groups - 1) / groups;
    return static_cast<uint32_t>(group + groups * (t % members));
  };
  for (uint32_t i = 0; i < p.producers; ++i) {
    producers.emplace_back([&, i] {
      Rng rng{p.seed * 1231ULL + i};
      uint64_t last_turn = static_cast<uint64_t>(p.seconds * 1000.0 / p.turn_ms) + 1;
      for (uint64_t t = 0; t <= last_turn; ++t) {
        if (owner_of(t) != i) continue;
        std::this_thread::sleep_until(start + turn_len * t);
        if (stop.load()) break;
        for (uint32_t done = 0; done < p.burst; done += p.batch) {
          std::vector<Object> batch;
          batch.reserve(p.batch);
          for (uint32_t k = 0; k < p.batch; ++k)
            batch.push_back(make(p.min_size + rng.next() % range));
          q.push(std::move(batch));
        }
        turns.fetch_add(1);
      }
      // An idle owner stays alive: a thread that exits turns its pages into orphans that
      // any heap may claim, which is a different (and easier) case.
      while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      idle.fetch_add(1);
      while (!released.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(p.seconds));
  stop = true;
  // The producers stay alive, idle, while the consumers free what they still hold.
  while (idle.load() < p.producers) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  q.close();
  consumers.join();
  ProdConsResult r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (when_idle) when_idle();
  released = true;
  for (auto& t : producers) t.join();
  r.objects = consumers.freed.load();
  r.bad_blocks = consumers.bad.load();
  r.turns = turns.load();
  return r;
}

}  // namespace hakmem::bench
