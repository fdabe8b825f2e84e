// A forked child can allocate, also when other threads were allocating at the fork.
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
  std::vector<std::thread> busy;
  for (int t = 0; t < 2; ++t) {
    busy.emplace_back([&] {
      std::vector<void*> v(256, nullptr);
      for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        void*& slot = v[i % v.size()];
        hak_free(slot);
        slot = hak_malloc(1 + (i * 131) % 70000);
      }
      for (void* p : v) hak_free(p);
    });
  }
  for (int i = 0; i < 10; ++i) ASSERT_EQ(run_child(), 0) << "fork " << i;
  stop = true;
  for (auto& t : busy) t.join();
}
