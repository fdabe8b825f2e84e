// The optional background thread (option `background`, like jemalloc's background_thread).
// Without it an idle owner's queued pages wait until it allocates again, exits or another
// thread's slow path gives them back (refill.cpp), and free pages are purged only when some
// thread passes a slow path. With it, one thread releases
// the emptied queued pages of idle and dead heaps (never an active owner's: Route S's first
// refusal holds), purges free pages and spans when their delay runs out, and sleeps on a
// futex in between, woken by the 0->1 edge of a page whose home is idle. It exists only while
// the option is 1: started at a slow path or by the option set, it exits when set to 0.
#pragma once

#include <atomic>

#include "config.hpp"
#include "options.hpp"

namespace hakmem {

// True while the thread runs or is being started.
extern std::atomic<bool> g_background_running;
// Starts the thread unless it runs. The caller holds no allocator lock and is not inside a
// refill: pthread_create allocates.
void background_start();

// Every slow path: starts the thread once the option is on (two relaxed loads otherwise).
HAK_INLINE void background_poll() {
  if (HAK_UNLIKELY(option(kOptBackground) != 0) &&
      !g_background_running.load(std::memory_order_relaxed)) {
    background_start();
  }
}

// Process init, once the environment is read: from now on the thread may start, and a run-time
// set of the option starts or stops it.
void background_init();
// Fork child: the thread does not exist there; the next slow path starts it again.
void background_fork_child();

}  // namespace hakmem
