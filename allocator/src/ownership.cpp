// Page ownership: with remote_free.cpp and emptied_pages.cpp, the only code that changes a
// page's state (the CAS on `xthread`) or owner (`Page::heap`), and the owner-only lists a page
// moves through (active, partial). The state machine (its invariant is stated in page.hpp):
//
// clang-format off
//   OWNED    --park, full-->                                  DETACHED
//   DETACHED --remote frees reach notify_threshold (1: 0->1)--> QUEUED
//   DETACHED --below the threshold, swept-->                  QUEUED
//   DETACHED --reclaim (its owner frees into it)-->           OWNED
//   QUEUED   --claim (whoever popped it from the queue)-->    OWNED
//   OWNED    --publish (thread exit)-->                       QUEUED (free blocks) or DETACHED (full)
// clang-format on
//
// The remote frees that push blocks and queue pages (DETACHED -> QUEUED) are remote_free.cpp's;
// taking pages whose blocks have all come back from other heaps is emptied_pages.cpp's.
// The refill (refill.cpp) decides which of these to ask for; it never does one itself.
#include "ownership.hpp"

#include "large.hpp"
#include "options.hpp"
#include "os.hpp"
#include "page_allocator.hpp"
#include "ready_mask.hpp"

namespace hakmem {

Page g_empty_page;

// A page in home's queue has all its blocks back: said after the push that made it so (a
// walker that sees the hint sees the blocks).
void hint_emptied(Heap* home, size_t cls) {
  home->pending[cls].emptied.fetch_add(1, std::memory_order_release);
  g_masks.emptied[cls].fetch_add(1, std::memory_order_relaxed);
}

// The edge: the caller moved `page` to QUEUED and nobody has queued it yet, so only the caller
// may touch it; it goes to its home's queue (alive or exited: homes are never freed). Whether
// its blocks are all back is read before the push: after it, another heap may claim the page.
// A remote free that brings the last block back later sees QUEUED and says so itself.
void queue_to_home(Page* page, HeapCounters& counted) {
  size_t cls = page->size_class;
  uint64_t now = os::now_ns();
  page->queued_ns.store(now, std::memory_order_relaxed);
  page->rfr_deadline_ns.store(now + rfr_window_ns(), std::memory_order_relaxed);
  Heap* home = page->heap.load(std::memory_order_relaxed);
  bool emptied = all_blocks_free(page);
  g_masks.adoptable[cls].fetch_add(1, std::memory_order_relaxed);
  push_pending(home, cls, page);
  if (emptied) hint_emptied(home, cls);
  counted.add(kCtr_pending_enqueued);
  background_edge(home);
}

// A detached page left the below-threshold state (queued, reclaimed or swept).
void below_threshold_left() {
  g_counters.pages_below_threshold.fetch_sub(1, std::memory_order_relaxed);
}

namespace {

struct Sweep {
  HeapCounters* counted;
  const Heap* home;  // only this home's pages; nullptr: every page
};

void sweep_segment(Segment* seg, void* arg) {
  const Sweep& sweep = *static_cast<Sweep*>(arg);
  uint64_t bits = seg->below_threshold.exchange(0, std::memory_order_acq_rel);
  uint64_t kept = 0;  // other homes' pages, marked again
  for (; bits != 0; bits &= bits - 1) {
    Page* page = &seg->pages[__builtin_ctzll(bits)];
    uintptr_t word = page->xthread.load(std::memory_order_acquire);
    // A detached page's home does not change until it leaves DETACHED.
    if (sweep.home != nullptr && xthread_state(word) == kDetached &&
        page->heap.load(std::memory_order_relaxed) != sweep.home) {
      kept |= bits & -bits;
      continue;
    }
    while (xthread_state(word) == kDetached && xthread_list(word) != nullptr) {
      if (page->xthread.compare_exchange_weak(word, xthread_with_state(word, kQueued),
                                              std::memory_order_acq_rel,
                                              std::memory_order_acquire)) {
        below_threshold_left();
        add_event(g_counters.pages_swept);
        queue_to_home(page, *sweep.counted);
        break;
      }
    }
  }
  if (kept != 0) seg->below_threshold.fetch_or(kept, std::memory_order_release);
}

}  // namespace

// Pages that got fewer remote frees than notify_threshold while detached are in no queue:
// the sweep queues them to their homes, as the free that reached the threshold would have,
// so no block is stranded however few frees a page gets. The page allocator's lock, held
// meanwhile, keeps every segment mapped; only pages marked in their segment are examined.
void sweep_below_threshold(Heap* counted, const Heap* home) {
  if (g_counters.pages_below_threshold.load(std::memory_order_relaxed) == 0) return;
  add_event(g_counters.threshold_sweeps);
  Sweep sweep{&counted->counters, home};
  page_segments_visit(sweep_segment, &sweep);
}

// The queue looked empty: its ready bit and queued-classes hint are cleared, then the queue is
// looked at again, so a push in between (which sets both after it pushed) is never lost.
void refresh_ready_bit(Heap* heap, size_t cls) {
  if (!heap->pending[cls].empty()) return;
  uint64_t bit = uint64_t{1} << cls;
  g_masks.clear_ready(cls, heap->index);
  heap->queued_classes.fetch_and(~bit, std::memory_order_acq_rel);
  if (!heap->pending[cls].empty()) {
    g_masks.set_ready(cls, heap->index);
    heap->queued_classes.fetch_or(bit, std::memory_order_relaxed);
  }
}

Page* pending_pop(Heap* heap, size_t cls) {
  Page* page = heap->pending[cls].pop();
  if (page != nullptr) g_masks.adoptable[cls].fetch_sub(1, std::memory_order_relaxed);
  refresh_ready_bit(heap, cls);
  return page;
}

// Puts a remote stack (already taken from the page, with its length) on the page's local
// free list. Usually the local list is empty here and no block is touched at all.
uint32_t Heap::collect(Page* page, uintptr_t word) {
  Block* list = xthread_list(word);
  if (list == nullptr) return 0;
  uint32_t n = xthread_count(word);
  HAK_ASSERT(n > 0 && page->used_now() >= n);
  if (page->used_now() == n) {
    // Every block came back: carve the page afresh rather than walk a list whose blocks
    // other cores freed last (a cache miss per allocation); carving only writes.
    page->free = nullptr;
    page->capacity = 0;
    page->used.store(0, std::memory_order_relaxed);
    restore_released(page, /*carve=*/false);
    return n;
  }
  if (page->free != nullptr) {
    Block* tail = list;
    while (tail->next != nullptr) tail = tail->next;
    tail->next = page->free;
  }
  page->free = list;
  page->add_used(-static_cast<int32_t>(n));
  return n;
}

// The owner takes what other threads freed into an OWNED page.
uint32_t Heap::drain(Page* page) {
  counters.add(kCtr_drain_attempts);
  if (xthread_list(page->xthread.load(std::memory_order_relaxed)) == nullptr) return 0;
  uintptr_t word = page->xthread.exchange(kOwned, std::memory_order_acquire);
  HAK_ASSERT(xthread_state(word) == kOwned);
  uint32_t n = collect(page, word);
  if (n > 0) counters.add(kCtr_drain_successes);
  return n;
}

// QUEUED -> OWNED. The caller popped `page` from a pending queue, so no other heap can hold
// it (a page is in at most one queue, and one thread pops it). With an empty local list the
// remote stack comes along in the same exchange; otherwise it stays on the page until the
// local list runs out, as on any owned page, because appending it now would walk blocks
// another core freed. Returns whether the stack came along.
bool Heap::claim(Page* page) {
  page->heap.store(this, std::memory_order_relaxed);
  counters.add(kCtr_pending_drained);
  if (page->free == nullptr) {
    uintptr_t word = page->xthread.exchange(kOwned, std::memory_order_acq_rel);
    HAK_ASSERT(xthread_state(word) == kQueued);
    counters.add(kCtr_drain_attempts);
    if (collect(page, word) > 0) counters.add(kCtr_drain_successes);
    return true;
  }
  uintptr_t word = page->xthread.load(std::memory_order_relaxed);
  do {
    HAK_ASSERT(xthread_state(word) == kQueued);
  } while (!page->xthread.compare_exchange_weak(word, xthread_with_state(word, kOwned),
                                                std::memory_order_acq_rel,
                                                std::memory_order_relaxed));
  return false;
}

void Heap::partial_push(size_t cls, Page* page) {
  ClassQueue& q = classes[cls];
  q.partial.push_back(page);
  page->in_partial = true;
  q.partial_count.store(q.partial_count.load(std::memory_order_relaxed) + 1,
                        std::memory_order_relaxed);
}

void Heap::partial_remove(size_t cls, Page* page) {
  ClassQueue& q = classes[cls];
  HAK_ASSERT(page->in_partial);
  q.partial.remove(page);
  page->in_partial = false;
  q.partial_count.store(q.partial_count.load(std::memory_order_relaxed) - 1,
                        std::memory_order_relaxed);
}

// An owned page leaves the active slot: partial list if it has free blocks, else detached.
// Detaching is OWNED -> DETACHED by CAS on an empty remote stack, so a remote free racing with
// it either lands before (the CAS fails and we keep the page) or after (it sees DETACHED and
// queues the page): no block is ever stranded.
void Heap::park(Page* page) {
  drain(page);
  while (!page->has_free()) {
    uintptr_t expected = kOwned;
    if (page->xthread.compare_exchange_strong(expected, kDetached, std::memory_order_release,
                                              std::memory_order_relaxed)) {
      return;  // no longer ours: do not touch it again
    }
    drain(page);
  }
  if (page->used_now() == 0) {
    release_page(page);
    return;
  }
  partial_push(page->size_class, page);
}

void Heap::set_direct(size_t cls, Page* page) {
  size_t size = class_size(cls);
  if (size > kDirectMaxSize) return;
  size_t first = cls == 0 ? 0 : class_size(cls - 1) / 16 + 1;
  for (size_t slot = first; slot <= size / 16; ++slot) direct[slot] = page;
}

void Heap::set_active(size_t cls, Page* page) {
  Page* old = classes[cls].active;
  classes[cls].active = page;
  set_direct(cls, page);
  if (old != &g_empty_page && old != page) park(old);
}

// DETACHED -> OWNED by the page's home. Its remote stack is empty unless notify_threshold is
// above 1 (then the frees below it stay on the stack of the now owned page, drained as on any
// other). Losing the CAS to the push that queued it means the page must be reached through
// the pending queue like any other.
bool Heap::reclaim(Page* page) {
  SpinLockGuard guard(change_lock);
  uintptr_t word = page->xthread.load(std::memory_order_relaxed);
  do {
    if (xthread_state(word) != kDetached) return false;
  } while (!page->xthread.compare_exchange_weak(word, xthread_with_state(word, kOwned),
                                                std::memory_order_acquire,
                                                std::memory_order_relaxed));
  if (xthread_list(word) != nullptr) below_threshold_left();
  partial_push(page->size_class, page);
  return true;
}

// reenqueue_after_drain: the original design's fix for remote frees that arrive while a page
// is drained. The page just claimed (its stack taken) got blocks again: it goes back to its
// new home's queue instead of serving the allocation. Kept to reproduce the note's row.
bool Heap::requeue_if_raced(Page* page) {
  if (option(kOptReenqueueAfterDrain) == 0) return false;
  uintptr_t word = page->xthread.load(std::memory_order_relaxed);
  do {
    if (xthread_list(word) == nullptr) return false;
  } while (!page->xthread.compare_exchange_weak(word, xthread_with_state(word, kQueued),
                                                std::memory_order_release,
                                                std::memory_order_relaxed));
  counters.add(kCtr_pending_reenqueued);
  queue_to_home(page, counters);
  return true;
}

// An empty page goes back to the page allocator, counted.
void Heap::release_page(Page* page) {
  counters.add(kCtr_pages_freed);
  bump(counters.pages_released[page->size_class]);
  restore_released(page, /*carve=*/false);
  page->reserved = 0;  // no longer formatted for a class
  page_free(page);
}

// A list of empty pages (through Page::next) goes back to the page allocator; returns how many.
uint32_t Heap::release_pages(Page* list) {
  uint32_t released = 0;
  while (Page* page = list) {
    list = page->next;
    page->next = nullptr;
    release_page(page);
    ++released;
  }
  return released;
}

void Heap::page_became_empty(Page* page) {
  if (page == classes[page->size_class].active) return;  // kept: the next malloc needs a page
  release_empty_page(page);
}

// Apart from the check above, so that a page emptying in its active slot (a malloc/free pair)
// costs no register saves for the lock below.
HAK_NOINLINE void Heap::release_empty_page(Page* page) {
  SpinLockGuard guard(change_lock);
  partial_remove(page->size_class, page);
  release_page(page);
}

// Takes every page queued in `owner`'s pending queue of the class into a list (claimed).
Page* Heap::claim_all_pending(Heap* owner, size_t cls, Page* list) {
  PendingQueue& q = owner->pending[cls];
  if (q.head.load(std::memory_order_relaxed) == nullptr) return list;
  if (owner == this) {
    q.pop_lock.lock();
  } else if (!q.pop_lock.try_lock()) {
    return list;
  }
  while (Page* page = pending_pop(owner, cls)) {
    claim(page);
    page->next = list;
    list = page;
  }
  q.pop_lock.unlock();
  return list;
}

// An empty page (fresh from the page allocator, or emptied and claimed) becomes this heap's,
// formatted for the class, with nothing carved yet.
void Heap::format(Page* page, size_t cls) {
  // An emptied page taken back leaves its old class here; a page from the page allocator
  // left it in release_page.
  if (page->reserved != 0) {
    bump(counters.pages_released[page->size_class]);
  }
  restore_released(page, /*carve=*/false);
  page->trim_live = 0;
  bump(counters.pages_formatted[cls]);
  Segment* seg = segment_of(page);
  uint32_t block = static_cast<uint32_t>(class_size(cls));
  page->start = seg->page_start(page);
  page->block_size = block;
  page->reserved = static_cast<uint32_t>(seg->page_size() / block);
  page->capacity = 0;
  page->used.store(0, std::memory_order_relaxed);
  page->free = nullptr;
  page->size_class = static_cast<uint8_t>(cls);
  page->alloc_class = page->size_class;
  page->in_partial = false;
  page->adopted = false;
  page->next = page->prev = nullptr;
  page->pending_next.store(nullptr, std::memory_order_relaxed);
  // An emptied page's stack still holds its old blocks; no free can reach them any more.
  page->xthread.store(kOwned, std::memory_order_relaxed);
  page->heap.store(this, std::memory_order_relaxed);
}

// ---- thread exit --------------------------------------------------------------------------

// Gives an owned page up. With free blocks it is queued (an orphan any heap may claim once
// this heap is marked dead); full, it is detached and queues itself on its next remote free.
void Heap::publish(Page* page) {
  size_t cls = page->size_class;
  uintptr_t word = page->xthread.load(std::memory_order_relaxed);
  bool queue;
  do {
    HAK_ASSERT(xthread_state(word) == kOwned);
    queue = page->has_free() || xthread_list(word) != nullptr;
    uintptr_t next = xthread_with_state(word, queue ? kQueued : kDetached);
    if (page->xthread.compare_exchange_weak(word, next, std::memory_order_release,
                                            std::memory_order_relaxed)) {
      break;
    }
  } while (true);
  if (!queue) return;
  bool emptied = all_blocks_free(page);  // the last block came back after the caller looked
  g_masks.adoptable[cls].fetch_add(1, std::memory_order_relaxed);
  push_pending(this, cls, page);
  if (emptied) hint_emptied(this, cls);
  counters.add(kCtr_orphan_publishes);
}

// Empty pages go back to the page allocator (and so, after the delay, to the OS); the rest
// is published as orphans of this (exiting) heap.
void Heap::release_or_publish(Page* list) {
  while (list != nullptr) {
    Page* page = list;
    list = page->next;
    page->next = nullptr;
    if (all_blocks_free(page)) {
      release_page(page);
    } else {
      publish(page);
    }
  }
}

void Heap::reset_locks_after_fork() {
  change_lock.reset_after_fork();
  for (PendingQueue& q : pending) q.pop_lock.reset_after_fork();
}

}  // namespace hakmem
