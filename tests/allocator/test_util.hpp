// Helpers shared by the allocator tests: a content pattern that is written after allocation
// and verified before free (so a block handed out twice or corrupted is caught), and counter
// access by name.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "hakmem/hakmem.h"

namespace hakmem::test {

inline uint8_t pattern_byte(const void* p, size_t i, uint32_t seed) {
  auto a = reinterpret_cast<uintptr_t>(p);
  return static_cast<uint8_t>((a >> 4) * 31 + i * 7 + seed);
}

// Writes the whole block for small sizes, and the first/last 64 bytes for large ones.
inline void fill(void* p, size_t size, uint32_t seed) {
  auto* b = static_cast<uint8_t*>(p);
  if (size <= 256) {
    for (size_t i = 0; i < size; ++i) b[i] = pattern_byte(p, i, seed);
    return;
  }
  for (size_t i = 0; i < 64; ++i) b[i] = pattern_byte(p, i, seed);
  for (size_t i = size - 64; i < size; ++i) b[i] = pattern_byte(p, i, seed);
}

inline bool verify(const void* p, size_t size, uint32_t seed) {
  auto* b = static_cast<const uint8_t*>(p);
  auto ok = [&](size_t i) { return b[i] == pattern_byte(p, i, seed); };
  if (size <= 256) {
    for (size_t i = 0; i < size; ++i) {
      if (!ok(i)) return false;
    }
    return true;
  }
  for (size_t i = 0; i < 64; ++i) {
    if (!ok(i)) return false;
  }
  for (size_t i = size - 64; i < size; ++i) {
    if (!ok(i)) return false;
  }
  return true;
}

inline hak_counters counters() {
  hak_counters c;
  hak_counters_get(&c);
  return c;
}

inline uint64_t rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream f(line.substr(6));
      uint64_t kib = 0;
      f >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

// Threads of this process whose name (comm) is `name`, e.g. "hakmem-bg".
inline int threads_named(const std::string& name) {
  int n = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "comm");
    std::string comm;
    if (std::getline(in, comm) && comm == name) ++n;
  }
  return n;
}

// Polls `done` until it holds or `seconds` pass: effects that take time are waited for with a
// generous deadline, never timed.
template <class F>
bool eventually(F done, double seconds = 60) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A one-shot signal between test threads.
class Latch {
 public:
  void open() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Route and options are process-wide: tests that change them restore them.
class ScopedRoute {
 public:
  explicit ScopedRoute(hak_route r) : saved_(hak_get_route()) { hak_set_route(r); }
  ~ScopedRoute() { hak_set_route(saved_); }

 private:
  hak_route saved_;
};

class ScopedOption {
 public:
  ScopedOption(const char* name, int64_t value) : name_(name) {
    hak_option_get(name, &saved_);
    hak_option_set(name, value, nullptr, 0);
  }
  ~ScopedOption() { hak_option_set(name_, saved_, nullptr, 0); }

 private:
  const char* name_;
  int64_t saved_ = 0;
};

}  // namespace hakmem::test
