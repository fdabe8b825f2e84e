// The cross-thread free path, whole: what free does with a block whose page the calling thread
// does not own (free_not_owned), the freeing thread's chains of other heaps' blocks, and the
// push that carries a chain to its page in one CAS. That CAS is also the 0->1 edge (DETACHED
// -> QUEUED: the pusher queues the page) and tells when a queued page got its last block back.
// With ownership.cpp, the only code that changes a page's state.
#include "large.hpp"
#include "options.hpp"
#include "ownership.hpp"

namespace hakmem {

// A free into a page this thread does not own: held in the page's chain (see RemoteChain).
// The fallback heap serves many threads at once, so it pushes at once.
void Heap::free_remote(Page* page, Block* block) {
  HAK_ASSERT((reinterpret_cast<uintptr_t>(block) & ~kListMask) == 0);  // fits the word
  if (chain_append(page, block)) return;
  bump(counters.frees_remote[page->size_class]);
  if (HAK_UNLIKELY(this == &g_fallback_heap)) return push_remote(page, block, block, 1);
  RemoteChain& chain = chain_for(page);
  push_chain(chain);
  uint32_t limit = chain_limit(page->block_size);
  if (limit < 2) return push_remote(page, block, block, 1);
  block->next = nullptr;
  chain = RemoteChain{page, block, block, 1, limit};
}

void Heap::push_chain(RemoteChain& chain) {
  if (chain.page == nullptr) return;
  push_remote(chain.page, chain.head, chain.tail, chain.count);
  chain.page = nullptr;
}

void Heap::flush_remote() {
  for (RemoteChain& chain : remote) push_chain(chain);
}

// The push that finds the page DETACHED turns it QUEUED in the same CAS: that is the 0->1
// edge, and exactly one pusher sees it. Everything read from the page happens before the
// push: once the blocks are on the stack the owner may collect them, empty the page and hand
// it to another class. Only the edge pusher may touch the page afterwards, because a QUEUED
// page nobody has queued yet cannot be claimed.
//
// With notify_threshold above 1 the edge is the push that brings the stack of a DETACHED
// page to the threshold. A push that leaves it below marks the page (gauge and segment bit)
// for the sweep first, while its own blocks still keep the page, and its segment, alive.
//
// A push into a QUEUED page that brings its last block back hints its home's queue (see
// PendingQueue::emptied). What that needs (`used`, home, class) is read before the CAS too:
// `used` does not change while the page is queued, and the acquire load sees the owner's last
// write (released when it detached the page).
void Heap::push_remote(Page* page, Block* head, Block* tail, uint32_t count) {
  uintptr_t word = page->xthread.load(std::memory_order_acquire);
  uintptr_t state, next_state;
  bool marked = false;  // counted in pages_below_threshold ahead of the CAS
  bool emptied = false;
  Heap* home = nullptr;
  size_t cls = 0;
  do {
    tail->next = xthread_list(word);
    state = xthread_state(word);
    next_state = state;
    emptied = false;
    if (state == kQueued) {
      emptied = xthread_count(word) + count == page->used_now();
      home = page->heap.load(std::memory_order_relaxed);
      cls = page->size_class;
    }
    if (HAK_UNLIKELY(state == kDetached)) {
      uint64_t threshold = static_cast<uint64_t>(option(kOptNotifyThreshold));
      next_state = xthread_count(word) + count >= threshold ? kQueued : kDetached;
      if (next_state == kDetached && xthread_list(word) == nullptr && !marked) {
        marked = true;
        g_counters.pages_below_threshold.fetch_add(1, std::memory_order_relaxed);
        Segment* seg = segment_of(page);
        seg->below_threshold.fetch_or(uint64_t{1} << (page - seg->pages),
                                      std::memory_order_release);
      }
    }
    if (page->xthread.compare_exchange_weak(word, xthread_push(word, head, count, next_state),
                                            std::memory_order_acq_rel, std::memory_order_acquire)) {
      break;
    }
  } while (true);
  if (emptied) return hint_emptied(home, cls);  // the page is not ours to touch any more
  // `word` is the value the CAS replaced.
  bool entered_below =
      state == kDetached && next_state == kDetached && xthread_list(word) == nullptr;
  if (marked && !entered_below) below_threshold_left();
  if (state != kDetached || next_state == kDetached) return;
  if (xthread_list(word) != nullptr) below_threshold_left();  // it was below until now
  queue_to_home(page, counters);
}

void free_not_owned(Page* page, Block* block, uintptr_t word, Heap* heap) {
  if (xthread_state(word) == kLargeObject) {
    Segment* segment = segment_of(block);
    Heap* counted = heap_for_free();
    counted->counters.add(kCtr_large_frees);
    counted->counters.add(kCtr_large_free_bytes, large_usable_size(segment, block));
    large_free(segment, block);
    return;
  }
  // Our own detached page: take it back, so the owner's frees stay local as they would in a
  // full-page list.
  if (xthread_state(word) == kDetached && heap != nullptr &&
      page->heap.load(std::memory_order_relaxed) == heap && heap->reclaim(page)) {
    heap->free_local(page, block);
    return;
  }
  heap_for_free()->free_remote(page, block);
}

void Heap::forget_remote_chains() {
  for (RemoteChain& chain : remote) chain = RemoteChain{};
}

}  // namespace hakmem
