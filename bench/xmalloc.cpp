#include "xmalloc.hpp"

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

using Clock = std::chrono::steady_clock;

constexpr size_t kBatchObjects = 4096;

// malloc'ed like any object, and freed by the consumer.
struct Batch {
  void* objs[kBatchObjects];
  Batch* next;
};

// A bounded LIFO of batches. Stopping has two steps: release() lets producers push past the
// limit (so none stays blocked), close() tells consumers to leave once it is empty.
class BatchStack {
 public:
  explicit BatchStack(size_t limit) : limit_(limit) {}
  void push(Batch* b) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return count_ < limit_ || released_; });
    b->next = head_;
    head_ = b;
    ++count_;
    not_empty_.notify_one();
  }
  // nullptr once closed and empty.
  Batch* pop() {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return head_ != nullptr || closed_; });
    Batch* b = head_;
    if (b == nullptr) return nullptr;
    head_ = b->next;
    --count_;
    not_full_.notify_one();
    return b;
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    not_full_.notify_all();
  }
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  Batch* head_ = nullptr;
  size_t count_ = 0;
  size_t limit_;
  bool released_ = false, closed_ = false;
};

}  // namespace

XmallocResult run_xmalloc(const XmallocParams& p) {
  BatchStack stack(p.stack_limit);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> freed{0}, bad{0};
  std::vector<std::thread> producers, consumers;
  for (uint32_t i = 0; i < p.threads; ++i) {
    consumers.emplace_back([&] {
      uint64_t b = 0;
      while (Batch* batch = stack.pop()) {
        for (size_t k = 0; k < kBatchObjects; ++k) {
          if (!block_intact(batch->objs[k], &batch->objs[k], p.size)) ++b;
          free(batch->objs[k]);
        }
        free(batch);
        freed.fetch_add(kBatchObjects, std::memory_order_relaxed);
      }
      bad.fetch_add(b);
    });
  }
  auto start = Clock::now();
  for (uint32_t i = 0; i < p.threads; ++i) {
    producers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        auto* batch = static_cast<Batch*>(checked_malloc(sizeof(Batch)));
        for (size_t k = 0; k < kBatchObjects; ++k) {
          batch->objs[k] = checked_malloc(p.size);
          tag_block(batch->objs[k], &batch->objs[k], p.size);
        }
        stack.push(batch);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(p.seconds));
  XmallocResult r;
  r.frees = freed.load();
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  stack.release();
  for (auto& t : producers) t.join();
  stack.close();
  for (auto& t : consumers) t.join();
  r.frees_total = freed.load();
  r.bad_blocks = bad.load();
  return r;
}

}  // namespace hakmem::bench
