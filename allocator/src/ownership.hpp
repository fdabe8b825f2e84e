// free's owner decision, whole: a block goes onto its page's local list when the calling
// thread owns the page, and everything else (a detached own page, another heap's page, a
// large object) is decided in ownership.cpp.
#pragma once

#include "heap.hpp"

namespace hakmem {

// Not owned by `heap` (which may be null): large object, own detached page or remote free.
void free_not_owned(Page* page, Block* block, uintptr_t word, Heap* heap);

HAK_INLINE void free_block(Page* page, Block* block) {
  Heap* heap = t_heap;
  // State first, then owner: a claimer writes the owner before it publishes OWNED, so an
  // OWNED read here comes with the owner it was published with.
  uintptr_t word = page->xthread.load(std::memory_order_acquire);
  if (HAK_LIKELY(xthread_state(word) == kOwned &&
                 page->heap.load(std::memory_order_relaxed) == heap && heap != nullptr)) {
    heap->free_local(page, block);
  } else {
    free_not_owned(page, block, word, heap);
  }
}

}  // namespace hakmem
