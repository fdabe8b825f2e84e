// SLOWLOG: the most recent requests whose execution took at least slowlog-log-slower-than
// microseconds (-1: never, 0: every request), at most slowlog-max-len of them. The fast path
// (a request under the threshold) is one relaxed load.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "request.h"

namespace hakmem::server {

struct SlowlogEntry {
  int64_t id = 0;
  int64_t unix_seconds = 0;
  int64_t duration_us = 0;
  std::vector<std::string> args;  // trimmed as Redis trims them (32 args, 128 bytes each)
  std::string client_addr;
  std::string client_name;
};

class Slowlog {
 public:
  static constexpr int64_t kDefaultSlowerThanUs = 10000;
  static constexpr int64_t kDefaultMaxLen = 128;
  static constexpr size_t kMaxArgs = 32;
  static constexpr size_t kMaxArgBytes = 128;

  // Records the request when duration_us reaches the threshold.
  void record(const Request& request, int64_t duration_us, std::string client_addr,
              std::string client_name);
  bool wants(int64_t duration_us) const {
    int64_t threshold = slower_than_us.load(std::memory_order_relaxed);
    return threshold >= 0 && duration_us >= threshold;
  }
  // The newest `count` entries, newest first (count < 0: all).
  std::vector<SlowlogEntry> newest(int64_t count) const;
  size_t size() const;
  void reset();
  // Applies a smaller max_len at once.
  void set_max_len(int64_t max_len);

  std::atomic<int64_t> slower_than_us{kDefaultSlowerThanUs};
  std::atomic<int64_t> max_len{kDefaultMaxLen};

 private:
  mutable std::mutex mu_;
  std::deque<SlowlogEntry> entries_;  // newest at the front
  int64_t next_id_ = 0;
};

}  // namespace hakmem::server
