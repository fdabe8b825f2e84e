// A forked child can allocate, also when other threads were allocating at the fork, and gives
// up the heaps of the threads that do not exist in it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "test_util.hpp"

using namespace hakmem::test;

namespace {
// Runs in the child: allocate, verify, free; exit code says whether it worked.
[[noreturn]] void child_work() {
  alarm(20);  // a deadlock in the child fails the test instead of hanging it
  std::vector<void*> v;
  for (int i = 0; i < 20000; ++i) {
    size_t size = 1 + static_cast<size_t>(i * 37) % 50000;
    void* p = hak_malloc(size);
    if (p == nullptr) _exit(3);
    fill(p, size, static_cast<uint32_t>(i));
    v.push_back(p);
  }
  for (size_t i = 0; i < v.size(); ++i) {
    size_t size = 1 + (i * 37) % 50000;
    if (!verify(v[i], size, static_cast<uint32_t>(i))) _exit(4);
    hak_free(v[i]);
  }
  std::thread t([] { hak_free(hak_malloc(100)); });  // new threads work too
  t.join();
  _exit(0);
}

int run_child() {
  pid_t pid = fork();
  if (pid == 0) child_work();
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}
}  // namespace

TEST(Fork, ChildAllocates) {
  void* before = hak_malloc(1000);
  fill(before, 1000, 9);
  EXPECT_EQ(run_child(), 0);
  EXPECT_TRUE(verify(before, 1000, 9));
  hak_free(before);
}

TEST(Fork, ChildAllocatesWhileOtherThreadsAllocate) {
  std::atomic<bool> stop{false};
  std::atomic<int> allocating{0};
  std::vector<std::thread> busy;
  for (int t = 0; t < 2; ++t) {
    busy.emplace_back([&] {
      std::vector<void*> v(256, nullptr);
      for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        void*& slot = v[i % v.size()];
        hak_free(slot);
        slot = hak_malloc(1 + (i * 131) % 70000);
        if (i == 1000) allocating.fetch_add(1);
      }
      for (void* p : v) hak_free(p);
    });
  }
  // Fork only once both threads are in their hak_malloc loop. A thread still starting holds
  // the sanitizer runtime's own allocator lock for a moment (GCC 12's ASan calloc()s in its
  // thread set-up), and a child forked then deadlocks in ASan, not in hakmem.
  while (allocating.load() < 2) std::this_thread::yield();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(run_child(), 0) << "fork " << i;
  stop = true;
  for (auto& t : busy) t.join();
}

namespace {

// Two threads that keep allocating (a few live blocks, every small class touched, so each
// heap holds a page per class) until told to stop.
class BusyThreads {
 public:
  BusyThreads() {
    for (int t = 0; t < 2; ++t) {
      threads_.emplace_back([this, t] {
        void* live[8] = {};
        for (unsigned i = 0; !stop_.load(std::memory_order_relaxed); ++i) {
          size_t size = 16 + (i * 16 + static_cast<unsigned>(t) * 8) % 8192;
          hak_free(hak_malloc(size));
          void*& slot = live[i % 8];
          hak_free(slot);
          slot = hak_malloc(1 + i % 256);
          if (i == 2000) warm_.fetch_add(1);
        }
        for (void* p : live) hak_free(p);
      });
    }
    while (warm_.load() < 2) std::this_thread::yield();
  }
  ~BusyThreads() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> warm_{0};
  std::vector<std::thread> threads_;
};

// Each generation starts its busy threads, forks the next while they run, and reports its
// committed bytes (as the child sees them at its start) through the pipe.
[[noreturn]] void generation(int depth, int last, int report_fd) {
  alarm(60);
  uint64_t committed = hakmem::test::counters().bytes_committed;
  if (write(report_fd, &committed, sizeof committed) != sizeof committed) _exit(5);
  if (depth == last) _exit(0);
  pid_t pid;
  {
    BusyThreads busy;
    pid = fork();
    if (pid == 0) generation(depth + 1, last, report_fd);
  }  // the parent's threads stop: 200 generations of them would share two cores
  if (pid < 0) _exit(6);
  int status = 0;
  waitpid(pid, &status, 0);
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status));
}

}  // namespace

// Without the child giving up the vanished threads' heaps, every generation keeps their pages
// (about a page per class and thread, some MiB) and the next generation maps new ones.
TEST(Fork, GenerationsDoNotKeepTheirVanishedThreadsPages) {
  constexpr int kGenerations = 200;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    generation(1, kGenerations, fds[1]);
  }
  close(fds[1]);
  std::vector<uint64_t> committed;
  uint64_t value = 0;
  while (read(fds[0], &value, sizeof value) == sizeof value) committed.push_back(value);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "signal " << WTERMSIG(status);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT_EQ(committed.size(), static_cast<size_t>(kGenerations));
  // Each generation may keep what its threads had live at the fork (a few KiB), not pages.
  uint64_t early = committed[19], late = committed.back();
  uint64_t growth = late > early ? late - early : 0;
  EXPECT_LT(growth / (kGenerations - 20), 64u * 1024)
      << "committed at generation 20: " << early << ", at " << kGenerations << ": " << late;
}
