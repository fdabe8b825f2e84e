// libFuzzer: sequences of allocator operations on hakmem (the allocator's sources, linked
// directly). Every block is filled with a pattern when allocated and checked before it is
// reallocated or freed, so a block handed out twice, overlapping blocks, a bad realloc copy or
// a misaligned pointer aborts. Some frees happen on another thread (cross-thread frees).
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "hakmem/hakmem.h"

namespace {

struct Block {
  unsigned char* p = nullptr;
  size_t size = 0;
  unsigned char fill = 0;
};

// Every byte, compared 4 KiB at a time (memcmp: byte loops are slow under AddressSanitizer).
void check_bytes(const unsigned char* p, size_t size, unsigned char fill) {
  static unsigned char pattern[4096];
  std::memset(pattern, fill, sizeof pattern);
  for (size_t done = 0; done < size; done += sizeof pattern) {
    size_t n = size - done < sizeof pattern ? size - done : sizeof pattern;
    if (std::memcmp(p + done, pattern, n) != 0) std::abort();
  }
}

void check(const Block& b) {
  check_bytes(b.p, b.size, b.fill);
}

// A thread that frees what it is given, in order; drain() waits until it has freed everything.
class RemoteFreer {
 public:
  RemoteFreer() : thread_([this] { run(); }) {}
  void free(void* p) {
    std::lock_guard lock(mutex_);
    queue_.push_back(p);
    cv_.notify_all();
  }
  void drain() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [this] { return !queue_.empty(); });
      void* p = queue_.front();
      queue_.pop_front();
      busy_ = true;
      lock.unlock();
      hak_free(p);
      lock.lock();
      busy_ = false;
      cv_.notify_all();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<void*> queue_;
  bool busy_ = false;
  std::thread thread_;  // runs for the process's life, as libFuzzer never returns
};

RemoteFreer& remote() {
  static RemoteFreer* r = new RemoteFreer;
  return *r;
}

// Sizes spread over small classes, pages and large objects.
size_t size_from(uint8_t a, uint8_t b) {
  size_t base = (size_t(a) << 8) | b;
  switch (a >> 6) {
    case 0:
      return base & 0xff;  // tiny
    case 1:
      return base & 0xfff;  // up to 4 KiB
    case 2:
      return (base & 0x3fff) * 4;  // up to 64 KiB
    default:
      return (base & 0xff) * 1024;  // up to 256 KiB
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kSlots = 32;
  Block slots[kSlots];
  unsigned char next_fill = 1;
  for (size_t i = 0; i + 3 < size; i += 4) {
    const uint8_t op = data[i] % 7, slot = data[i + 1] % kSlots;
    Block& b = slots[slot];
    const size_t n = size_from(data[i + 2], data[i + 3]);
    const unsigned char fill = next_fill++;
    if (op <= 3 && b.p != nullptr) {  // the slot is reused: free its block first
      check(b);
      hak_free(b.p);
      b = Block{};
    }
    switch (op) {
      case 0:
        b.p = static_cast<unsigned char*>(hak_malloc(n));
        break;
      case 1: {
        b.p = static_cast<unsigned char*>(hak_calloc(1, n));
        if (b.p != nullptr) check_bytes(b.p, n, 0);
        break;
      }
      case 2: {
        size_t alignment = size_t{16} << (data[i + 2] % 9);  // 16 B .. 4 KiB
        b.p = static_cast<unsigned char*>(hak_aligned_alloc(alignment, n));
        if (reinterpret_cast<uintptr_t>(b.p) % alignment != 0) std::abort();
        break;
      }
      case 3:
        b.p = static_cast<unsigned char*>(hak_realloc(nullptr, n));
        break;
      case 4: {  // realloc the slot's block: its prefix survives
        if (b.p == nullptr) continue;
        check(b);
        auto* grown = static_cast<unsigned char*>(hak_realloc(b.p, n));
        if (n == 0) {
          b = Block{};  // realloc(p, 0) frees
          continue;
        }
        if (grown == nullptr) std::abort();
        check_bytes(grown, b.size < n ? b.size : n, b.fill);
        b.p = grown;
        break;
      }
      case 5:  // free here
        if (b.p != nullptr) {
          check(b);
          hak_free(b.p);
          b = Block{};
        }
        continue;
      case 6:  // free on another thread
        if (b.p != nullptr) {
          check(b);
          remote().free(b.p);
          b = Block{};
        } else {
          hak_collect(data[i + 2] == 0xff);  // forced (every empty page purged): rarely
        }
        continue;
    }
    if (b.p == nullptr) std::abort();  // hakmem never fails these sizes
    if (reinterpret_cast<uintptr_t>(b.p) % 16 != 0) std::abort();
    if (hak_usable_size(b.p) < n) std::abort();
    b.size = n;
    b.fill = fill;
    std::memset(b.p, fill, n);
  }
  for (Block& b : slots) {
    if (b.p != nullptr) {
      check(b);
      hak_free(b.p);
    }
  }
  remote().drain();
  return 0;
}
