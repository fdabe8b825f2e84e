#include "os.hpp"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "config.hpp"
#include "counters.hpp"

namespace hakmem {

void assert_fail(const char* cond, const char* file, int line) {
  char buf[512];
  // Integer formatting by hand: snprintf is avoided on this path only to stay allocation-free.
  char num[16];
  int n = 0;
  for (int v = line; v > 0 && n < 15; v /= 10) num[n++] = static_cast<char>('0' + v % 10);
  char digits[16];
  for (int i = 0; i < n; ++i) digits[i] = num[n - 1 - i];
  digits[n] = '\0';
  buf[0] = '\0';
  strncat(buf, "hakmem: assertion failed: ", sizeof buf - 1);
  strncat(buf, cond, sizeof buf - strlen(buf) - 1);
  strncat(buf, " at ", sizeof buf - strlen(buf) - 1);
  strncat(buf, file, sizeof buf - strlen(buf) - 1);
  strncat(buf, ":", sizeof buf - strlen(buf) - 1);
  strncat(buf, digits, sizeof buf - strlen(buf) - 1);
  strncat(buf, "\n", sizeof buf - strlen(buf) - 1);
  os::write_stderr(buf);
  abort();
}

namespace os {

namespace {
bool failed() {
  add_event(g_counters.os_failures);
  return false;
}
}  // namespace

void* map(size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p != MAP_FAILED) return p;
  failed();
  return nullptr;
}

void* map_aligned(size_t size, size_t alignment) {
  // Over-reserve, then trim both ends: the kernel has no aligned mmap.
  size_t span = size + alignment;
  if (span < size) return nullptr;
  auto* raw = static_cast<char*>(map(span));
  if (raw == nullptr) return nullptr;
  uintptr_t start = (reinterpret_cast<uintptr_t>(raw) + alignment - 1) & ~(alignment - 1);
  auto* aligned = reinterpret_cast<char*>(start);
  size_t head = static_cast<size_t>(aligned - raw);
  size_t tail = span - head - size;
  // A trim that fails (it splits a mapping, which can exceed the mapping limit) gives the
  // whole reservation back rather than keep a mapping nobody accounts for.
  if ((head > 0 && !unmap(raw, head)) || (tail > 0 && !unmap(aligned + size, tail))) {
    munmap(raw, span);  // whatever of it is still mapped
    return nullptr;
  }
  return aligned;
}

bool unmap(void* p, size_t size) {
  return munmap(p, size) == 0 || failed();
}

bool decommit(void* p, size_t size) {
  return madvise(p, size, MADV_DONTNEED) == 0 || failed();
}

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Private futexes: the word is never shared with another process.
void futex_wait(const uint32_t* word, uint32_t expected, uint64_t timeout_ns) {
  timespec ts{static_cast<time_t>(timeout_ns / 1000000000u),
              static_cast<long>(timeout_ns % 1000000000u)};
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, timeout_ns != 0 ? &ts : nullptr, nullptr,
          0);
}

void futex_wake(const uint32_t* word) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

void write_stderr(const char* text) {
  size_t len = strlen(text);
  while (len > 0) {
    ssize_t n = write(2, text, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text += n;
    len -= static_cast<size_t>(n);
  }
}

}  // namespace os
}  // namespace hakmem
