// free's owner decision, whole: a block goes onto its page's local list when the calling
// thread owns the page, or onto the chain this thread holds for another heap's page; everything
// else (a detached own page, a first block of another heap's page, a large object) is decided
// in remote_free.cpp.
#pragma once

#include "heap.hpp"
#include "ready_mask.hpp"

namespace hakmem {

// Not owned by `heap` (which may be null): large object, own detached page or remote free
// (remote_free.cpp).
void free_not_owned(Page* page, Block* block, uintptr_t word, Heap* heap);

// Between ownership.cpp and remote_free.cpp.
// The 0->1 edge: the caller moved `page` to QUEUED and nobody has queued it yet.
void queue_to_home(Page* page, HeapCounters& counted);
// A page in home's queue of class `cls` has all its blocks back.
void hint_emptied(Heap* home, size_t cls);
// A detached page left the below-threshold state (queued, reclaimed or swept).
void below_threshold_left();
// Pushes `page` onto home's queue of the class; the first page of an empty queue sets home's
// ready bit and its queued-classes hint.
HAK_INLINE void push_pending(Heap* home, size_t cls, Page* page) {
  if (!home->pending[cls].push(page)) return;
  g_masks.set_ready(cls, home->index);
  home->queued_classes.fetch_or(uint64_t{1} << cls, std::memory_order_release);
}
static_assert(kClassCount <= 64, "queued_classes has a bit per class");

// What unlink_queued found: the pages taken (through Page::next, last found first), how many,
// and whether the walk reached the end of the queue.
struct Unlinked {
  Page* list = nullptr;
  uint32_t taken = 0;
  bool ended = false;
};

// With q's pop lock held (q is the queue of class `cls`): walks it from the head, looking at
// no more than *budget pages (decremented) and taking no more than max_take, and unlinks the
// pages `take` accepts; they leave the class's adoptable count. Only pushes can happen
// meanwhile, and they only put pages on top (PendingQueue::unlink).
template <class Take>
Unlinked unlink_queued(PendingQueue& q, size_t cls, uint32_t* budget, uint32_t max_take,
                       Take take) {
  Unlinked out;
  Page* prev = nullptr;
  Page* page = q.head.load(std::memory_order_acquire);
  for (; page != nullptr && *budget > 0 && out.taken < max_take; --*budget) {
    Page* next = page->pending_next.load(std::memory_order_relaxed);
    if (take(page)) {
      q.unlink(page, prev);
      g_masks.adoptable[cls].fetch_sub(1, std::memory_order_relaxed);
      page->next = out.list;
      out.list = page;
      ++out.taken;
    } else {
      prev = page;
    }
    page = next;
  }
  out.ended = page == nullptr;
  return out;
}

// Every block of the page is free: its local list and remote stack hold all it handed out,
// so no free can reach it any more. The caller owns the page or holds its queue's pop lock.
HAK_INLINE bool all_blocks_free(const Page* page) {
  return page->used_now() == xthread_count(page->xthread.load(std::memory_order_acquire));
}

HAK_INLINE void free_block(Page* page, Block* block) {
  Heap* heap = t_heap;
  // State first, then owner: a claimer writes the owner before it publishes OWNED, so an
  // OWNED read here comes with the owner it was published with.
  uintptr_t word = page->xthread.load(std::memory_order_acquire);
  if (HAK_LIKELY(xthread_state(word) == kOwned &&
                 page->heap.load(std::memory_order_relaxed) == heap && heap != nullptr)) {
    heap->free_local(page, block);
  } else if (HAK_LIKELY(heap != nullptr && xthread_state(word) != kDetached &&
                        xthread_state(word) != kLargeObject && heap->chain_append(page, block))) {
    // Another heap's block, added to this thread's chain for its page.
  } else {
    free_not_owned(page, block, word, heap);
  }
}

}  // namespace hakmem
