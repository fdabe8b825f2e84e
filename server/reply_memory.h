// Reply bytes built and not yet written, all connections together (--max-total-output-bytes).
// A connection that finds no room leaves a wake-up here and is called back once replies drain
// below the limit. Thread-safe: workers reserve, I/O threads release.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

namespace hakmem::server {

class ReplyMemory {
 public:
  explicit ReplyMemory(size_t limit) : limit_(limit) {}

  // Room for `bytes` more. A reply that is first in its connection's order (`in_order`) may use
  // the whole limit; one built ahead of an unanswered earlier request only half of it, so those
  // (which cannot be sent yet) never take the room the first ones need to make progress.
  bool fits(size_t bytes, bool in_order) const;
  bool try_add(size_t bytes, bool in_order);
  void add(size_t bytes) { bytes_.fetch_add(bytes, std::memory_order_relaxed); }
  void release(size_t bytes);
  bool has_room() const { return bytes_.load() < limit_; }
  // wake runs once (on the releasing thread, or at once if there is room again already).
  void wait(std::function<void()> wake);

  size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  size_t limit() const { return limit_; }

 private:
  void wake_all();
  bool room(size_t before, size_t bytes, bool in_order) const;

  const size_t limit_;
  std::atomic<size_t> bytes_{0};
  std::atomic<bool> has_waiters_{false};
  std::mutex mutex_;
  std::vector<std::function<void()>> waiters_;
};

}  // namespace hakmem::server
