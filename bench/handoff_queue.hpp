// A bounded multi-producer multi-consumer queue of object batches for the producer-consumer
// benchmarks. A full queue blocks producers, so the live set stays bounded.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace hakmem::bench {

struct Object {
  void* p;
  uint32_t size;
};

class HandoffQueue {
 public:
  explicit HandoffQueue(size_t capacity) : capacity_(capacity) {}
  void push(std::vector<Object>&& batch) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return q_.size() < capacity_ || closed_; });
    q_.push_back(std::move(batch));
    not_empty_.notify_one();
  }
  // false once closed and drained.
  bool pop(std::vector<Object>* out) {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return false;
    *out = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<std::vector<Object>> q_;
  size_t capacity_;
  bool closed_ = false;
};

}  // namespace hakmem::bench
