// The background thread: a round releases idle and dead heaps' emptied queued pages and
// purges what is due, then the thread sleeps until the next purge deadline (or without limit
// when nothing waits), or until an idle home's 0->1 edge wakes it.
#include "background.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>

#include "heap.hpp"
#include "large.hpp"
#include "os.hpp"
#include "page_allocator.hpp"

namespace hakmem {

std::atomic<bool> g_background_running{false};

namespace {

constinit std::atomic<bool> g_ready{false};   // process init done
constinit std::atomic<bool> g_failed{false};  // pthread_create refused: retried on an option set

// A storm of edges costs at most one round a millisecond.
constexpr uint64_t kMinRoundGapNs = 1000000;
// Queued pages that still hold live blocks get no further edge when they empty: they are
// looked at again, less and less often while nothing comes of it, at least once a second.
constexpr uint64_t kMaxRecheckNs = 1000000000;

bool has_queued(const Heap* heap) {
  for (const PendingQueue& q : heap->pending) {
    if (q.head.load(std::memory_order_relaxed) != nullptr) return true;
  }
  return false;
}

struct Round {
  uint32_t drained = 0;
  bool waiting = false;  // queued pages may still empty, or an owner may still go idle
};

// Under the thread's own change lock, so a fork happens between rounds, as for any heap.
Round drain_idle_heaps(Heap* self, uint64_t now) {
  Round r;
  SpinLockGuard guard(self->change_lock);
  r.drained = self->release_idle_heaps(now, &r.waiting, /*live_too=*/true);
  return r;
}

uint64_t earliest(uint64_t a, uint64_t b) {  // 0: none
  return a == 0 ? b : (b == 0 || a < b ? a : b);
}

uint64_t purge_due() {
  return earliest(page_purge_due_ns(), large_purge_due_ns());
}

bool any_queued(const Heap* self) {
  for (Heap* heap = heaps_all(); heap != nullptr; heap = heap->all_next) {
    if (heap != self && has_queued(heap)) return true;
  }
  return false;
}

// Waits until `due` (0: until woken), then keeps rounds kMinRoundGapNs apart. Returns whether
// a wake (not the deadline) ended the wait. `waiting`: the round left queued pages to look at.
bool sleep_until(uint64_t due, uint64_t round_start, bool waiting, const Heap* self) {
  uint32_t seq = g_background_wakes.load(std::memory_order_acquire);
  g_background_until.store(due == 0 ? UINT64_MAX : due, std::memory_order_seq_cst);
  // Work made since the round, before the deadline was visible: a page freed (its list is read
  // under the lock its freer checked the deadline under), a page queued, the option set to 0
  // (the fence pairs with on_option_set's).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  uint64_t due_now = purge_due();
  bool more = (due_now != 0 && (due == 0 || due_now < due)) || (!waiting && any_queued(self));
  if (option(kOptBackground) != 0 && !more) {
    uint64_t now = os::now_ns();
    if (due == 0) {
      os::futex_wait(background_wake_word(), seq, 0);
    } else if (due > now) {
      os::futex_wait(background_wake_word(), seq, due - now);
    }
  }
  g_background_until.store(0, std::memory_order_relaxed);
  bool woken = more || g_background_wakes.load(std::memory_order_acquire) != seq;
  uint64_t now = os::now_ns();
  if (now < round_start + kMinRoundGapNs) {
    const uint32_t never_changes = 0;
    os::futex_wait(&never_changes, 0, round_start + kMinRoundGapNs - now);
  }
  return woken;
}

void run(Heap* self) {
  uint64_t recheck_ns = 0;
  bool woken = true;
  while (true) {
    if (option(kOptBackground) == 0) {
      g_background_running.store(false, std::memory_order_seq_cst);
      // Set back to 1 meanwhile: that set found the thread running and started none.
      if (option(kOptBackground) == 0 ||
          g_background_running.exchange(true, std::memory_order_acq_rel)) {
        return;
      }
    }
    uint64_t now = os::now_ns();
    Round r = drain_idle_heaps(self, now);
    uint64_t purged = page_purge(now, Purge::kBackground) + large_purge(now, Purge::kBackground);
    if (r.drained > 0) add_event(g_counters.background_pages_drained, r.drained);
    if (purged > 0) add_event(g_counters.background_bytes_purged, purged);
    uint64_t due = purge_due();
    if (r.waiting) {
      uint64_t base = idle_threshold_ns() > kMinRoundGapNs ? idle_threshold_ns() : kMinRoundGapNs;
      recheck_ns = woken || r.drained > 0 || recheck_ns == 0 ? base : recheck_ns * 2;
      if (recheck_ns > kMaxRecheckNs) recheck_ns = kMaxRecheckNs;
      due = earliest(due, now + recheck_ns);
    }
    woken = sleep_until(due, now, r.waiting, self);
    add_event(g_counters.background_wakeups);
  }
}

void* thread_main(void*) {
  prctl(PR_SET_NAME, "hakmem-bg", 0, 0, 0);
  // Its own heap: the pages it takes are counted there, and its change lock orders it with fork.
  Heap* self = this_heap();
  if (self != nullptr) {
    run(self);
  } else {
    g_background_running.store(false, std::memory_order_release);
  }
  return nullptr;
}

void on_option_set(OptionId id) {
  if (id != kOptBackground) return;
  if (option(kOptBackground) != 0) {
    g_failed.store(false, std::memory_order_relaxed);
    background_start();
    return;
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);
  background_wake_now();  // it sees 0 and exits
}

}  // namespace

void background_wake(Heap* home) {
  if (!home->dead.load(std::memory_order_relaxed) &&
      !owner_idle(home, os::now_ns(), idle_threshold_ns())) {
    return;  // an active owner takes its page itself
  }
  background_wake_now();
}

void background_start() {
  if (!g_ready.load(std::memory_order_acquire) || g_failed.load(std::memory_order_relaxed)) return;
  if (g_background_running.exchange(true, std::memory_order_acq_rel)) return;
  // Signals stay with the application's threads.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, thread_main, nullptr);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) {
    g_failed.store(true, std::memory_order_relaxed);
    g_background_running.store(false, std::memory_order_release);
  }
}

void background_init() {
  options_set_observer(on_option_set);
  g_ready.store(true, std::memory_order_release);
}

void background_fork_child() {
  g_background_running.store(false, std::memory_order_relaxed);
  g_background_until.store(0, std::memory_order_relaxed);
}

// The background thread's round, and without it a slow path's (refill.cpp): an active owner's
// pages are left to it, so Route S's first refusal holds.
uint32_t Heap::release_idle_heaps(uint64_t now, bool* waiting, bool live_too) {
  uint32_t released = 0;
  uint64_t idle_ns = idle_threshold_ns();
  for (Heap* heap = heaps_all(); heap != nullptr; heap = heap->all_next) {
    if (heap == this) continue;
    bool dead = heap->dead.load(std::memory_order_acquire);
    bool queued = has_queued(heap);
    if (!dead && (!live_too || !owner_idle(heap, now, idle_ns))) {
      *waiting |= queued;  // an active owner's pages are its own to take
      continue;
    }
    if (queued) {
      bool left = false;
      released += release_idle_emptied(heap, &left);
      *waiting |= left;
    }
    if (!dead) released += release_idle_partial(heap);
  }
  return released;
}

// The idle owner's partial pages whose blocks have all come back (take_idle_emptied), given
// to the page allocator.
uint32_t Heap::release_idle_partial(Heap* owner) {
  uint32_t budget = 1024;  // partial pages examined
  return release_pages(take_idle_emptied(owner, &budget, nullptr));
}

// Claims each class's queued pages whose blocks have all come back (claim_emptied, as the
// refill does) and gives them to the page allocator, where the purge delay runs as for any.
uint32_t Heap::release_idle_emptied(Heap* owner, bool* left) {
  uint32_t released = 0;
  for (size_t cls = 0; cls < kClassCount; ++cls) {
    if (owner->pending[cls].head.load(std::memory_order_relaxed) == nullptr) continue;
    uint32_t budget = 1024;  // pages examined: the owner may want its queue's lock
    released += release_pages(claim_emptied(owner, cls, &budget));
    if (owner->pending[cls].head.load(std::memory_order_relaxed) != nullptr) *left = true;
  }
  return released;
}

}  // namespace hakmem
