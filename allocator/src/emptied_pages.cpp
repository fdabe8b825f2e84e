// Pages whose blocks have all come back, taken from any heap, this one included: they hold no
// live block, so there is no owner locality to protect. From a queue whose emptied hint is set
// (claim_emptied), or from an idle owner's partial list under its change lock
// (take_idle_emptied). The refill (refill.cpp), the background thread (background.cpp) and
// thread exit (heap_registry.cpp) decide when; these only take.
#include "ownership.hpp"
#include "ready_mask.hpp"

namespace hakmem {

// Unlinks up to *budget pages of owner's queue whose blocks have all come back, claims them
// and returns them as a list through Page::next. The queue's lock is held only for the walk:
// its owner may be waiting.
Page* Heap::claim_emptied(Heap* owner, size_t cls, uint32_t* budget) {
  PendingQueue& q = owner->pending[cls];
  if (*budget == 0 || q.emptied.load(std::memory_order_relaxed) == 0 || !q.pop_lock.try_lock()) {
    return nullptr;
  }
  uint32_t hinted = q.emptied.exchange(0, std::memory_order_acquire);  // only lock holders take
  g_masks.emptied[cls].fetch_sub(hinted, std::memory_order_relaxed);
  // Nobody writes `used` while the page is queued.
  Unlinked found = unlink_queued(q, cls, budget, hinted, all_blocks_free);
  // Out of budget before the end: what was not found may still be there, for the next walk.
  if (!found.ended && found.taken < hinted) {
    q.emptied.fetch_add(hinted - found.taken, std::memory_order_relaxed);
    g_masks.emptied[cls].fetch_add(hinted - found.taken, std::memory_order_relaxed);
  }
  refresh_ready_bit(owner, cls);
  q.pop_lock.unlock();
  for (Page* page = found.list; page != nullptr; page = page->next) claim(page);
  return found.list;
}

// An idle owner's partial pages whose every block came back: their blocks reached the pages'
// remote stacks, which only the owner drains, and it does not allocate. Taken off its lists
// (prepended to `list`, stacks dropped: no block of theirs is live) under the owner's change
// lock, which every change of the lists takes; it is only tried, since an owner that woke up
// holds it. The owner's lock-free paths touch a partial page only to free one of its blocks
// into it, and it holds none. A block still held in another thread's remote chain keeps the
// page (its count stays short). `used` is read with acquire: the owner's last local free
// released it.
Page* Heap::take_idle_emptied(Heap* owner, uint32_t* budget, Page* list) {
  if (!owner->change_lock.try_lock()) return list;
  for (size_t cls = 0; cls<kClassCount&& * budget> 0; ++cls) {
    if (owner->classes[cls].partial_count.load(std::memory_order_relaxed) == 0) continue;
    for (Page* page = owner->classes[cls].partial.head; page != nullptr && *budget > 0; --*budget) {
      Page* next = page->next;
      uint32_t used = page->used.load(std::memory_order_acquire);
      uint32_t back = xthread_count(page->xthread.load(std::memory_order_acquire));
      if (back != 0 && back == used) {
        owner->partial_remove(cls, page);
        page->xthread.store(kOwned, std::memory_order_relaxed);
        page->heap.store(this, std::memory_order_relaxed);
        page->next = list;
        list = page;
        counters.add(kCtr_idle_partial_released);
      }
      page = next;
    }
  }
  owner->change_lock.unlock();
  return list;
}

}  // namespace hakmem
