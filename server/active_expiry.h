// Removes expired keys in the background, as Redis' active expire does: every cycle scans a
// bounded slice of the keyspace (one SCAN step) and deletes what has expired, so keys nobody
// reads again give their memory back. Readers still remove expired keys they meet.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "key_locks.h"
#include "store.h"

namespace hakmem::server {

class ActiveExpiry {
 public:
  static constexpr size_t kKeysPerCycle = 200;

  ActiveExpiry(Store& store, KeyLocks& locks) : store_(store), locks_(locks) {}
  ~ActiveExpiry() { stop(); }
  ActiveExpiry(const ActiveExpiry&) = delete;
  ActiveExpiry& operator=(const ActiveExpiry&) = delete;

  // Runs a cycle every period on a thread of its own, until stop().
  void start(std::chrono::milliseconds period);
  void stop();
  // One cycle, on the calling thread; returns how many keys it removed.
  size_t run_cycle();
  uint64_t removed() const { return removed_.load(std::memory_order_relaxed); }

 private:
  Store& store_;
  KeyLocks& locks_;
  uint64_t cursor_ = 0;  // only the cycle's thread touches it
  std::atomic<uint64_t> removed_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hakmem::server
