// A heap's pending queue for one size class: pages that received remote frees after their
// owner detached them. Pushes are lock-free (any thread, on a page's 0->1 edge); pops take a
// tiny lock because more than one heap may pop (the home, adopters, orphan claimers), and a
// single popper at a time is what makes the Treiber pop free of ABA.
#pragma once

#include <atomic>

#include "page.hpp"
#include "spin_lock.hpp"

namespace hakmem {

struct alignas(64) PendingQueue {
  std::atomic<Page*> head{nullptr};
  SpinLock pop_lock;
  // Pages of the queue that had all their blocks back when last pushed to or queued, not yet
  // looked for: a hint (a page popped meanwhile leaves it stale), so that the walk for emptied
  // pages (claim_emptied) skips queues that have none and stops once it found them.
  std::atomic<uint32_t> emptied{0};

  // Returns true when the queue was empty before (the caller then sets the ready bit).
  bool push(Page* page) {
    Page* old = head.load(std::memory_order_relaxed);
    do {
      page->pending_next.store(old, std::memory_order_relaxed);
    } while (!head.compare_exchange_weak(old, page, std::memory_order_seq_cst,
                                         std::memory_order_relaxed));
    return old == nullptr;
  }

  // pop_lock must be held.
  Page* pop() {
    Page* page = head.load(std::memory_order_acquire);
    while (page != nullptr) {
      Page* next = page->pending_next.load(std::memory_order_relaxed);
      if (head.compare_exchange_weak(page, next, std::memory_order_seq_cst,
                                     std::memory_order_acquire)) {
        break;
      }
    }
    return page;
  }

  // pop_lock must be held. Pops `page` only if it is still the head.
  bool pop_if_head(Page* page) {
    Page* next = page->pending_next.load(std::memory_order_relaxed);
    return head.compare_exchange_strong(page, next, std::memory_order_seq_cst,
                                        std::memory_order_acquire);
  }

  // pop_lock must be held. Removes `page`, whose predecessor was `prev` (nullptr: the head)
  // when the caller walked past it. Only pushes can have happened since, and they only put
  // pages on top, so a page that is no longer the head has its predecessor among those.
  void unlink(Page* page, Page* prev) {
    Page* next = page->pending_next.load(std::memory_order_relaxed);
    if (prev == nullptr) {
      Page* top = page;
      if (head.compare_exchange_strong(top, next, std::memory_order_seq_cst,
                                       std::memory_order_acquire)) {
        return;
      }
      prev = top;
      while (prev->pending_next.load(std::memory_order_relaxed) != page) {
        prev = prev->pending_next.load(std::memory_order_relaxed);
      }
    }
    prev->pending_next.store(next, std::memory_order_relaxed);
  }

  bool empty() const { return head.load(std::memory_order_seq_cst) == nullptr; }
};

}  // namespace hakmem
