// A tiny lock for short critical sections on slow paths. It never allocates (pthread mutexes
// don't either, but this one can be reset in a fork child and tried without blocking).
#pragma once

#include <sched.h>

#include <atomic>

namespace hakmem {

class SpinLock {
 public:
  bool try_lock() {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }
  void lock() {
    for (unsigned spins = 0; !try_lock(); ++spins) {
      if (spins > 64) sched_yield();
    }
  }
  void unlock() { locked_.store(false, std::memory_order_release); }
  // Only for a fork child, where the holder no longer exists.
  void reset_after_fork() { locked_.store(false, std::memory_order_relaxed); }

 private:
  std::atomic<bool> locked_{false};
};

class SpinLockGuard {
 public:
  explicit SpinLockGuard(SpinLock& lock) : lock_(lock) { lock_.lock(); }
  ~SpinLockGuard() { lock_.unlock(); }
  SpinLockGuard(const SpinLockGuard&) = delete;
  SpinLockGuard& operator=(const SpinLockGuard&) = delete;

 private:
  SpinLock& lock_;
};

}  // namespace hakmem
