// A fork child of a process running the background thread has no such thread (only the
// forking thread exists there); its first slow paths start one again, and it allocates.
// Release only: ThreadSanitizer does not support threads started after a multithreaded fork.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "test_util.hpp"

using namespace hakmem::test;

namespace {

constexpr const char* kThreadName = "hakmem-bg";

// The allocator reads its environment and starts watching the option at its first use; an
// option set before that takes effect at the first slow path.
void start_allocator() {
  hak_free(hak_malloc(1));
}

// Exit codes: 0 fine, 3 a thread was inherited, 4 none started, 5 allocation failed,
// 6 a block was corrupted, 7 counters out of range.
[[noreturn]] void child() {
  alarm(60);  // a deadlock fails the test instead of hanging it
  if (threads_named(kThreadName) != 0) _exit(3);
  std::vector<void*> v;
  for (int i = 0; i < 20000; ++i) {
    size_t size = 16 + static_cast<size_t>(i * 37) % 4000;
    void* p = hak_malloc(size);
    if (p == nullptr) _exit(5);
    fill(p, size, 3);
    v.push_back(p);
  }
  if (!eventually([] { return threads_named(kThreadName) == 1; })) _exit(4);
  std::thread freer([&] {  // remote frees into the child's own pages, with the thread on
    for (size_t i = 0; i < v.size(); ++i) {
      if (!verify(v[i], 16 + (i * 37) % 4000, 3)) _exit(6);
      hak_free(v[i]);
    }
  });
  freer.join();
  hak_counters c = counters();
  if (c.bytes_in_use > c.bytes_committed || c.heaps_reclaimed_after_fork == 0) _exit(7);
  _exit(0);
}

}  // namespace

TEST(BackgroundFork, ChildStartsItsOwnThreadLazily) {
  start_allocator();
  int64_t saved = 0;
  hak_option_get("background", &saved);
  ASSERT_EQ(hak_option_set("background", 1, nullptr, 0), 0);
  ASSERT_TRUE(eventually([] { return threads_named(kThreadName) == 1; }));
  void* before = hak_malloc(1000);
  fill(before, 1000, 9);
  pid_t pid = fork();
  if (pid == 0) child();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(verify(before, 1000, 9));
  hak_free(before);
  EXPECT_EQ(threads_named(kThreadName), 1);  // the parent's keeps running
  hak_option_set("background", saved, nullptr, 0);
  EXPECT_TRUE(eventually([&] { return threads_named(kThreadName) == (saved != 0 ? 1 : 0); }));
}
