// A thread's heap: per size class an active page, a partial list and a pending queue. The
// fast paths (allocate from the active page, free into an owned page) are inline here; every
// decision about which page to use next lives in heap.cpp.
#pragma once

#include <atomic>
#include <cstdint>

#include "counters.hpp"
#include "page.hpp"
#include "pending_queue.hpp"
#include "segment.hpp"
#include "size_class.hpp"

namespace hakmem {

// Active page of a class that has none yet: it has no free block, so the fast path falls
// through to the slow path without a null check.
extern Page g_empty_page;

struct ClassQueue {
  Page* active = &g_empty_page;
  // Owned pages with free blocks, oldest first: a page that just got a block back waits at
  // the tail and gathers more before it is used again (LIFO would pick a page with one free
  // block and come back to the slow path at once).
  Page* partial = nullptr;
  Page* partial_tail = nullptr;
  std::atomic<uint32_t> partial_count{0};  // read by adopters (Route P's partial gate)
};

// Remote frees wait in the freeing heap, one chain per destination page, and reach the page
// in one CAS: a locked instruction per free would wait for the store into the freed block (a
// cache miss, since another core wrote it last) before the next free could start. A held
// block keeps its page's used count up, so the page cannot be recycled under the chain.
struct RemoteChain {
  Page* page = nullptr;  // nullptr: the slot is empty
  Block* head = nullptr;
  Block* tail = nullptr;
  uint32_t count = 0;
};
inline constexpr size_t kRemoteChains = 16;  // direct-mapped by page
// A chain holds up to 64 blocks and 8 KiB, so a thread holds at most 128 KiB of other
// threads' memory: a server worker freeing 2 KiB values would otherwise keep 2 MiB away
// from the thread that allocates them.
inline constexpr uint32_t kRemoteChainMax = 64;
inline constexpr uint32_t kRemoteChainBytes = 8192;

struct Heap {
  // direct[slot] == classes[size_to_class(slot * 16)].active, kept so by set_active: the
  // commonest mallocs find their page in one load (no class computation, as in mimalloc).
  Page* direct[kDirectSlots];
  ClassQueue classes[kClassCount];
  HeapCounters counters;
  uint32_t index = kNoHeapIndex;  // bit in the ready masks
  // Route P's idle gate without a clock on the owner's side: the owner bumps slow_epoch on
  // every slow-path allocation; adopters note when they last saw it change.
  std::atomic<uint64_t> slow_epoch{0};
  alignas(64) std::atomic<uint64_t> seen_epoch{0};  // written by adopters: own cache line
  std::atomic<uint64_t> seen_epoch_ns{0};
  RemoteChain remote[kRemoteChains];         // owner-only
  alignas(64) uint32_t purge_countdown = 1;  // slow paths until the next purge check
  uint32_t victim_cursor = 0;                // spreads adoptions over victims
  std::atomic<bool> dead{false};             // thread exited; pages are orphans until reuse
  Heap* pool_next = nullptr;
  Heap* all_next = nullptr;
  PendingQueue pending[kClassCount];  // written by other threads: kept apart

  constexpr Heap() {
    for (Page*& p : direct) p = &g_empty_page;
  }

  HAK_INLINE void* alloc(size_t cls) {
    if (Block* block = pop_block(classes[cls].active)) return block;
    return alloc_slow(cls);
  }

  // Sizes up to kDirectMaxSize: the active page in one load, without computing the class.
  HAK_INLINE void* alloc_direct(size_t size) {
    Page* page = direct[direct_slot(size)];
    HAK_ASSERT(page == &g_empty_page || page->size_class == size_to_class(size));
    if (Block* block = pop_block(page)) return block;
    return alloc_slow(size_to_class(size));
  }

  HAK_INLINE Block* pop_block(Page* page) {
    Block* block = page->free;
    if (HAK_UNLIKELY(block == nullptr)) return nullptr;
    Block* next = block->next;
    page->free = next;
    // The next allocation of this class takes `next`; start loading it now (free lists
    // are LIFO, so it was freed a while ago and has likely left the cache).
    __builtin_prefetch(next, 1);
    ++page->used;
    bump(counters.mallocs[page->alloc_class]);
    return block;
  }

  // page belongs to this heap and is OWNED.
  HAK_INLINE void free_local(Page* page, Block* block) {
    block->next = page->free;
    page->free = block;
    bump(counters.frees_local[page->size_class]);
    if (HAK_UNLIKELY(--page->used == 0)) page_became_empty(page);
  }

  void* alloc_slow(size_t cls);
  void page_became_empty(Page* page);
  void free_remote(Page* page, Block* block);
  // Pushes every held chain to its page (slow paths, thread exit).
  void flush_remote();
  // Takes back a retired (DETACHED) page of this heap; false if a remote free queued it first.
  bool reclaim(Page* page);
  // Thread exit: return empty pages, publish the rest as orphans.
  void abandon();
  // Fork child: pop locks may have been held by threads that no longer exist.
  void reset_locks_after_fork();

 private:
  uint32_t collect(Page* page, uintptr_t word);
  uint32_t drain(Page* page);
  void claim(Page* page);
  void set_active(size_t cls, Page* page);
  void set_direct(size_t cls, Page* page);
  void park(Page* page);
  void release_page(Page* page);
  void partial_push(size_t cls, Page* page);
  void partial_remove(size_t cls, Page* page);
  Page* take_own_pending(size_t cls);
  Page* take_partial(size_t cls);
  Page* try_adopt(size_t cls, bool gated);
  Page* adopt_from(Heap* victim, size_t cls, uint64_t now, bool gated);
  Page* claim_orphan(size_t cls);
  Page* new_page(size_t cls);
  Page* reclaim_empty_queued(bool medium);
  void release_empty_pending(Heap* owner, size_t cls, bool medium, Page** want, uint32_t* budget);
  void publish(Page* page);
  void push_remote(Page* page, Block* head, Block* tail, uint32_t count);
  void push_chain(RemoteChain& chain);  // pushes a held chain, if any, and empties the slot
  Page* claim_all_pending(Heap* owner, size_t cls, Page* list);
  void release_or_publish(Page* list);
  void* extend_and_alloc(Page* page);
};

Page* pending_pop(Heap* heap, size_t cls);
// Up to `max` heaps whose pending queue of the class is (probably) non-empty, dead ones or
// live ones other than self, starting where the cursor left off. Returns how many.
size_t find_ready_heaps(size_t cls, bool want_dead, const Heap* self, uint32_t* cursor, Heap** out,
                        size_t max);

// ---- thread heaps ----------------------------------------------------------------------

extern constinit thread_local Heap* t_heap __attribute__((tls_model("initial-exec")));
// Set when the thread's exit handler gave its heap back (see heap_for_free in api.cpp).
extern constinit thread_local bool t_heap_released __attribute__((tls_model("initial-exec")));
Heap* heap_acquire();  // creates or reuses a heap for the calling thread
// Counts frees by threads that have no heap (the OS refused one, or the thread is exiting).
extern Heap g_fallback_heap;
Heap* heap_at(uint32_t index);
Heap* heaps_all();              // list through Heap::all_next, for counter sums
uint32_t indexed_heap_words();  // mask words in use (ceil(indexed heaps / 64))

HAK_INLINE Heap* this_heap() {
  Heap* h = t_heap;
  return HAK_LIKELY(h != nullptr) ? h : heap_acquire();
}

}  // namespace hakmem
