// Heaps come and go with threads. A heap object is never freed: pages point to their home
// heap, so a home must outlive every page that names it. An exiting thread's heap goes to a
// pool (its pages published as orphans meanwhile, see Heap::abandon); the next new thread
// takes it over. The ready masks say which heaps have queued pages.
#include <pthread.h>

#include <new>

#include "background.hpp"
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
ReadyMasks g_masks;

namespace {

std::atomic<Heap*> g_heap_table[kMaxIndexedHeaps];
std::atomic<uint32_t> g_indexed_heaps{0};
std::atomic<Heap*> g_all_heaps{nullptr};

SpinLock g_pool_lock;
Heap* g_pool = nullptr;

pthread_once_t g_init_once = PTHREAD_ONCE_INIT;
pthread_key_t g_exit_key;

void pool_push(Heap* heap) {
  SpinLockGuard guard(g_pool_lock);
  heap->pool_next = g_pool;
  g_pool = heap;
}

void on_thread_exit(void* value) {
  auto* heap = static_cast<Heap*>(value);
  if (heap == nullptr) return;
  t_heap = nullptr;
  t_heap_released = true;
  heap->abandon();
  heap->dead.store(true, std::memory_order_seq_cst);
  g_masks.set_dead(heap->index, true);
  pool_push(heap);
}

// Lock order: the pool, every heap's change lock (list order), the page allocator, large
// objects. A heap's owner takes its change lock before the page allocator's, never the pool's.
void fork_prepare() {
  g_pool_lock.lock();
  for (Heap* heap = heaps_all(); heap != nullptr; heap = heap->all_next) heap->change_lock.lock();
  page_allocator_fork_prepare();
  large_fork_prepare();
}

void fork_parent() {
  large_fork_parent();
  page_allocator_fork_parent();
  for (Heap* heap = heaps_all(); heap != nullptr; heap = heap->all_next) {
    heap->change_lock.unlock();
  }
  g_pool_lock.unlock();
}

// Only the forking thread exists in the child. Every other thread's heap is given up as if
// that thread had exited: its empty pages go back, the rest become orphans that any heap may
// claim, so a process that forks again and again does not keep every generation's pages.
void fork_child() {
  background_fork_child();
  large_fork_child();
  page_allocator_fork_child();
  counters_fork_child();
  g_pool_lock.reset_after_fork();
  for (Heap* heap = heaps_all(); heap != nullptr; heap = heap->all_next) {
    heap->reset_locks_after_fork();
  }
  for (Heap* heap = heaps_all(); heap != nullptr; heap = heap->all_next) {
    if (heap == t_heap || heap->dead.load(std::memory_order_relaxed)) continue;
    heap->forget_remote_chains();
    heap->abandon();
    heap->dead.store(true, std::memory_order_seq_cst);
    g_masks.set_dead(heap->index, true);
    pool_push(heap);
    add_event(g_counters.heaps_reclaimed_after_fork);
  }
}

void init_process() {
  options_init_from_env();
  pthread_key_create(&g_exit_key, on_thread_exit);
  pthread_atfork(fork_prepare, fork_parent, fork_child);
  background_init();  // last: the thread may start from the next slow path on
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

Heap* heap_for_free_slow() {
  // A free after this thread's exit handler returned its heap (glibc frees per-thread state,
  // e.g. the dlerror buffer, after the TSD destructors): a heap taken now would never be
  // given back, one leaked heap per exiting thread. The free needs no heap of its own.
  if (t_heap_released) return &g_fallback_heap;
  Heap* heap = heap_acquire();
  return HAK_LIKELY(heap != nullptr) ? heap : &g_fallback_heap;
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

size_t find_ready_heaps(size_t cls, bool want_dead, const Heap* self, uint32_t* cursor, Heap** out,
                        size_t max) {
  uint32_t used_words = indexed_heap_words();
  size_t found = 0;
  uint32_t start = used_words ? *cursor % used_words : 0;
  for (uint32_t i = 0; i < used_words && found < max; ++i) {
    uint32_t w = (start + i) % used_words;
    uint64_t dead = g_masks.dead[w].load(std::memory_order_relaxed);
    uint64_t bits =
        g_masks.ready[cls][w].load(std::memory_order_relaxed) & (want_dead ? dead : ~dead);
    if (self->index != kNoHeapIndex && self->index / 64 == w) {
      bits &= ~(uint64_t{1} << (self->index % 64));
    }
    for (; bits != 0 && found < max; bits &= bits - 1) {
      Heap* heap = heap_at(w * 64 + static_cast<uint32_t>(__builtin_ctzll(bits)));
      if (heap != nullptr) out[found++] = heap;
    }
    if (found > 0) *cursor = w + 1;
  }
  return found;
}

// Thread exit: what is queued comes back first, so that pages that emptied meanwhile are
// released; then every owned page is released (empty) or published (an orphan).
void Heap::abandon() {
  SpinLockGuard guard(change_lock);
  flush_remote();
  sweep_below_threshold(this, this);  // own detached pages below the threshold come back too
  for (size_t cls = 0; cls < kClassCount; ++cls) {
    Page* owned = claim_all_pending(this, cls, nullptr);
    ClassQueue& cq = classes[cls];
    if (cq.active != &g_empty_page) {
      cq.active->next = owned;
      owned = cq.active;
      cq.active = &g_empty_page;
      set_direct(cls, &g_empty_page);
    }
    while (Page* page = cq.partial.head) {
      partial_remove(cls, page);
      page->next = owned;
      owned = page;
    }
    release_or_publish(owned);
  }
  // Every dead heap's emptied pages, indexed or not (heaps past kMaxIndexedHeaps have no
  // ready bits, so nobody else would find them).
  for (Heap* other = heaps_all(); other != nullptr; other = other->all_next) {
    if (other == this || !other->dead.load(std::memory_order_acquire)) continue;
    for (size_t cls = 0; cls < kClassCount; ++cls) {
      uint32_t unbounded = UINT32_MAX;
      if (!other->pending[cls].empty()) release_or_publish(claim_emptied(other, cls, &unbounded));
    }
  }
}

}  // namespace hakmem
