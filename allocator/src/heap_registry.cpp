// Heaps come and go with threads. A heap object is never freed: pages point to their home
// heap, so a home must outlive every page that names it. An exiting thread's heap goes to a
// pool (its pages published as orphans meanwhile); the next new thread takes it over.
#include <pthread.h>

#include <new>

#include "heap.hpp"
#include "large.hpp"
#include "options.hpp"
#include "os.hpp"
#include "page_allocator.hpp"
#include "ready_mask.hpp"
#include "spin_lock.hpp"

namespace hakmem {

constinit thread_local Heap* t_heap __attribute__((tls_model("initial-exec"))) = nullptr;
constinit thread_local bool t_heap_released __attribute__((tls_model("initial-exec"))) = false;

namespace {

std::atomic<Heap*> g_heap_table[kMaxIndexedHeaps];
std::atomic<uint32_t> g_indexed_heaps{0};
std::atomic<Heap*> g_all_heaps{nullptr};

SpinLock g_pool_lock;
Heap* g_pool = nullptr;

pthread_once_t g_init_once = PTHREAD_ONCE_INIT;
pthread_key_t g_exit_key;

void on_thread_exit(void* value) {
  auto* heap = static_cast<Heap*>(value);
  if (heap == nullptr) return;
  t_heap = nullptr;
  t_heap_released = true;
  heap->abandon();
  heap->dead.store(true, std::memory_order_seq_cst);
  g_masks.set_dead(heap->index, true);
  SpinLockGuard guard(g_pool_lock);
  heap->pool_next = g_pool;
  g_pool = heap;
}

void fork_prepare() {
  g_pool_lock.lock();
  page_allocator_fork_prepare();
  large_fork_prepare();
}

void fork_parent() {
  large_fork_parent();
  page_allocator_fork_parent();
  g_pool_lock.unlock();
}

void fork_child() {
  large_fork_child();
  page_allocator_fork_child();
  counters_fork_child();
  g_pool_lock.reset_after_fork();
  if (t_heap != nullptr) t_heap->reset_locks_after_fork();
}

void init_process() {
  options_init_from_env();
  pthread_key_create(&g_exit_key, on_thread_exit);
  pthread_atfork(fork_prepare, fork_parent, fork_child);
}

Heap* create_heap() {
  void* mem = os::map(align_up(sizeof(Heap), kOsPageSize));
  if (mem == nullptr) return nullptr;
  Heap* heap = new (mem) Heap();
  uint32_t index = g_indexed_heaps.load(std::memory_order_relaxed);
  while (index < kMaxIndexedHeaps &&
         !g_indexed_heaps.compare_exchange_weak(index, index + 1, std::memory_order_relaxed)) {
  }
  if (index < kMaxIndexedHeaps) {
    heap->index = index;
    g_heap_table[index].store(heap, std::memory_order_release);
  }
  Heap* head = g_all_heaps.load(std::memory_order_relaxed);
  do {
    heap->all_next = head;
  } while (!g_all_heaps.compare_exchange_weak(head, heap, std::memory_order_release,
                                              std::memory_order_relaxed));
  add_event(g_counters.heaps_created);
  return heap;
}

}  // namespace

Heap* heap_acquire() {
  Heap* heap;
  {
    SpinLockGuard guard(g_pool_lock);
    heap = g_pool;
    if (heap != nullptr) g_pool = heap->pool_next;
  }
  if (heap != nullptr) {
    heap->pool_next = nullptr;
    g_masks.set_dead(heap->index, false);
    heap->dead.store(false, std::memory_order_seq_cst);
    add_event(g_counters.heaps_reused);
  } else {
    heap = create_heap();
    if (heap == nullptr) return nullptr;  // out of memory: callers fail cleanly
  }
  t_heap = heap;
  // Process init only after t_heap is set: init calls into libc (pthread_atfork, getenv,
  // snprintf), and under LD_PRELOAD (libhakmem.so) anything it allocates comes back here;
  // with the heap in place that nested malloc is served instead of re-entering pthread_once
  // on this thread, which would deadlock. Taking or creating a heap needs no init.
  pthread_once(&g_init_once, init_process);
  pthread_setspecific(g_exit_key, heap);
  return heap;
}

Heap* heap_at(uint32_t index) {
  return index < kMaxIndexedHeaps ? g_heap_table[index].load(std::memory_order_acquire) : nullptr;
}

Heap* heaps_all() {
  return g_all_heaps.load(std::memory_order_acquire);
}

uint32_t indexed_heap_words() {
  return (g_indexed_heaps.load(std::memory_order_relaxed) + 63) / 64;
}

}  // namespace hakmem
