// A thread's heap: per size class an active page, a partial list and a pending queue. The
// fast paths (allocate from the active page, free into an owned page) are inline here. Which
// page to use next is decided in refill.cpp; every change of a page's state or owner is made
// in ownership.cpp; thread exit is in heap_registry.cpp.
#pragma once

#include <atomic>
#include <cstdint>

#include "background_sleep.hpp"
#include "counters.hpp"
#include "page.hpp"
#include "page_list.hpp"
#include "pending_queue.hpp"
#include "segment.hpp"
#include "size_class.hpp"
#include "spin_lock.hpp"

namespace hakmem {

// Active page of a class that has none yet: it has no free block, so the fast path falls
// through to the slow path without a null check.
extern Page g_empty_page;

struct ClassQueue {
  Page* active = &g_empty_page;
  // Owned pages with free blocks, oldest first: a page that just got a block back waits at
  // the tail and gathers more before it is used again (LIFO would pick a page with one free
  // block and come back to the slow path at once).
  PageList partial;
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
  uint32_t limit = 0;  // pushed at this many blocks (chain_limit): the page's size read once
};
inline constexpr size_t kRemoteChains = 16;  // direct-mapped by page
// A chain holds up to 64 blocks and 8 KiB, so a thread holds at most 128 KiB of other
// threads' memory: a server worker freeing 2 KiB values would otherwise keep 2 MiB away
// from the thread that allocates them.
inline constexpr uint32_t kRemoteChainMax = 64;
inline constexpr uint32_t kRemoteChainBytes = 8192;
// Blocks of `block_size` a chain holds before it is pushed: the most that stay within both
// limits. Below 2 a chain would only delay the push.
HAK_INLINE uint32_t chain_limit(uint32_t block_size) {
  uint32_t by_bytes = kRemoteChainBytes / block_size;
  return by_bytes < kRemoteChainMax ? by_bytes : kRemoteChainMax;
}

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
  RemoteChain remote[kRemoteChains];  // owner-only
  // Held by the owner while it changes its lists (the refill, a page emptying, thread exit),
  // and taken for every heap around fork(), so a fork child never sees a heap mid-change.
  alignas(64) SpinLock change_lock;
  uint32_t purge_countdown = 1;   // slow paths until the next purge check
  uint32_t sweep_countdown = 1;   // new pages until the next below-threshold sweep
  uint32_t idle_countdown = 1;    // new pages until idle owners' partial pages are looked at
  uint32_t victim_cursor = 0;     // spreads adoptions over victims
  uint32_t trim_cursor = 0;       // the class whose queue the next trim looks at first
  uint32_t trim_countdown = 1;    // new pages until the next trim pass
  std::atomic<bool> dead{false};  // thread exited; pages are orphans until reuse
  Heap* pool_next = nullptr;
  Heap* all_next = nullptr;
  PendingQueue pending[kClassCount];  // written by other threads: kept apart
  // Bit c: pending[c] may hold pages (set with the ready bit by push_pending, cleared with it
  // by refresh_ready_bit), so that a trim pass does not read every class's queue line.
  std::atomic<uint64_t> queued_classes{0};
  // Route A: pages adopted from this heap since its last fresh page, per class (adopters add).
  std::atomic<uint32_t> robbed[kClassCount] = {};

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
    page->add_used(1);
    bump(counters.mallocs[page->alloc_class]);
    return block;
  }

  HAK_INLINE RemoteChain& chain_for(const Page* page) {
    return remote[(reinterpret_cast<uintptr_t>(page) / sizeof(Page)) % kRemoteChains];
  }
  // A cross-thread free into a page this thread already holds a chain for (the common case:
  // a consumer frees a run of one producer's blocks) is appended here, inline; false: no chain
  // for the page (free_remote starts one). `page` is another heap's, OWNED or QUEUED.
  HAK_INLINE bool chain_append(Page* page, Block* block) {
    RemoteChain& chain = chain_for(page);
    if (chain.page != page) return false;
    bump(counters.frees_remote[page->size_class]);
    block->next = chain.head;
    chain.head = block;
    if (HAK_UNLIKELY(++chain.count >= chain.limit)) push_chain(chain);
    return true;
  }

  // page belongs to this heap and is OWNED.
  HAK_INLINE void free_local(Page* page, Block* block) {
    block->next = page->free;
    page->free = block;
    bump(counters.frees_local[page->size_class]);
    if (HAK_UNLIKELY(page->add_used(-1) == 0)) page_became_empty(page);
  }

  // ---- refill.cpp: the slow path chooses a page (with a free block), then pops from it ----
  void* alloc_slow(size_t cls);

  // ---- ownership.cpp: the only code that changes a page's state or owner ----
  void page_became_empty(Page* page);
  void release_empty_page(Page* page);  // not the active one: back to the page allocator
  void free_remote(Page* page, Block* block);
  // Pushes every held chain to its page (slow paths, thread exit).
  void flush_remote();
  // Takes back a detached page of this heap; false if a remote free queued it first.
  bool reclaim(Page* page);
  // Fork child: locks may have been held by threads that no longer exist.
  void reset_locks_after_fork();
  // Fork child, for the heap of a thread that does not exist there: drop the chains it held
  // (a chain may have been mid-update; its blocks stay counted as used, a bounded leak).
  void forget_remote_chains();

  // ---- heap_registry.cpp ----
  // Thread exit: return empty pages, publish the rest as orphans.
  void abandon();

  // ---- background.cpp ----
  // The emptied pages of every other heap that is dead or (live_too) idle past idle_threshold
  // (queued, or an idle owner's partial ones) go to the page allocator; returns how many.
  // *waiting is set when some may empty later. The caller holds its own change lock.
  uint32_t release_idle_heaps(uint64_t now, bool* waiting, bool live_too);
  // Its two parts, per owner: `owner`'s queued pages whose blocks have all come back (returns
  // how many, and sets *left when pages stay queued), and an idle live owner's partial pages
  // whose blocks have all come back.
  uint32_t release_idle_emptied(Heap* owner, bool* left);
  uint32_t release_idle_partial(Heap* owner);

 private:
  // refill.cpp: the steps, in the order a route takes them, each counted by its counter.
  Page* refill(size_t cls);
  bool reuse_before_carving(Page* active);  // active_drain_hits
  void replenish(Page* page);               // carves, or restores trimmed blocks
  Page* choose_page(size_t cls, hak_route route);
  Page* adopt(size_t cls, bool gated);   // pages_adopted (CDA ungated, Route P gated)
  Page* must_reuse(size_t cls);          // mustreuse_hits
  Page* active_drain(size_t cls);        // active_drain_hits
  Page* partial_reuse(size_t cls);       // partial_hits
  Page* orphan_claim(size_t cls);        // orphan_claims
  Page* empty_page_reuse(size_t cls);    // empty_pages_reused
  Page* idle_partial_reuse(size_t cls);  // idle_partial_reused (and _released)
  Page* threshold_sweep(size_t cls);     // pages_swept, then mustreuse_hits
  Page* new_page(size_t cls);            // new_pages
  Page* adopt_from(Heap* victim, size_t cls, uint64_t now, bool gated, HeapCounterId* verdict);
  bool adoption_would_pass(size_t cls);  // Route A's probe while the class is closed
  Page* release_emptied(Heap* owner, size_t cls, bool medium, uint32_t* budget, Page* want);
  Page* keep_one(Page* list, bool medium, Page* want);
  void release_idle(uint64_t now);  // idle_pages_released

  // ownership.cpp
  uint32_t collect(Page* page, uintptr_t word);
  uint32_t drain(Page* page);
  bool claim(Page* page);
  bool requeue_if_raced(Page* page);  // reenqueue_after_drain
  void set_active(size_t cls, Page* page);
  void set_direct(size_t cls, Page* page);
  void park(Page* page);
  void release_page(Page* page);
  uint32_t release_pages(Page* list);  // through Page::next; returns how many
  void partial_push(size_t cls, Page* page);
  void partial_remove(size_t cls, Page* page);
  Page* claim_emptied(Heap* owner, size_t cls, uint32_t* budget);
  // Every class's; tries owner->change_lock; prepends to `list` through Page::next.
  Page* take_idle_emptied(Heap* owner, uint32_t* budget, Page* list);
  Page* claim_all_pending(Heap* owner, size_t cls, Page* list);
  void format(Page* page, size_t cls);
  void publish(Page* page);
  void release_or_publish(Page* list);
  void push_remote(Page* page, Block* head, Block* tail, uint32_t count);
  void push_chain(RemoteChain& chain);  // pushes a held chain, if any, and empties the slot

  // page_trim.cpp: free OS pages inside own queued pages that keep live blocks.
  void trim_queued(size_t cls);  // pages_trimmed, trimmed_bytes
  uint32_t trim_page(Page* page);
  void requeue(Page* page);
  void restore_released(Page* page, bool carve);  // trimmed_bytes_reused when carving
};

// Idle = no slow-path allocation for idle_ns, as seen by whoever asks (adopters, the
// background thread); the first look after a change starts the clock (refill.cpp).
bool owner_idle(Heap* owner, uint64_t now, uint64_t idle_ns);
// Route P's gates (refill.cpp), in the order they are checked, for adopting `head` from
// `victim`; the verdict is the counter it bumps (kCtr_adoption_allowed: go ahead).
HeapCounterId adoption_gate(size_t cls, Heap* victim, const Page* head, uint64_t now);

// The 0->1 edge, while the background thread sleeps (one relaxed load otherwise): wakes it
// when the page's home is idle or dead (background.cpp).
void background_wake(Heap* home);
HAK_INLINE void background_edge(Heap* home) {
  if (HAK_UNLIKELY(g_background_until.load(std::memory_order_relaxed) != 0)) background_wake(home);
}

// Queues detached pages holding remote frees below notify_threshold to their homes (only
// `home`'s, unless null); counts in `counted`, the calling thread's heap. Cheap when there
// are none (ownership.cpp).
void sweep_below_threshold(Heap* counted, const Heap* home = nullptr);
// pop_lock of heap->pending[cls] must be held (ownership.cpp).
Page* pending_pop(Heap* heap, size_t cls);
void refresh_ready_bit(Heap* heap, size_t cls);
// Up to `max` heaps whose pending queue of the class is (probably) non-empty, dead ones or
// live ones other than self, starting where the cursor left off. Returns how many.
size_t find_ready_heaps(size_t cls, bool want_dead, const Heap* self, uint32_t* cursor, Heap** out,
                        size_t max);

// ---- thread heaps ----------------------------------------------------------------------

extern constinit thread_local Heap* t_heap __attribute__((tls_model("initial-exec")));
// Set when the thread's exit handler gave its heap back (see heap_for_free).
extern constinit thread_local bool t_heap_released __attribute__((tls_model("initial-exec")));
Heap* heap_acquire();  // creates or reuses a heap for the calling thread
// The heap a free is counted in: the thread's own in one load; never creates one for a thread
// whose heap was given back (heap_for_free_slow).
Heap* heap_for_free_slow();
// Counts frees by threads that have no heap (the OS refused one, or the thread is exiting).
extern Heap g_fallback_heap;
Heap* heap_at(uint32_t index);
Heap* heaps_all();              // list through Heap::all_next, for counter sums
uint32_t indexed_heap_words();  // mask words in use (ceil(indexed heaps / 64))

HAK_INLINE Heap* this_heap() {
  Heap* h = t_heap;
  return HAK_LIKELY(h != nullptr) ? h : heap_acquire();
}
HAK_INLINE Heap* heap_for_free() {
  Heap* h = t_heap;
  return HAK_LIKELY(h != nullptr) ? h : heap_for_free_slow();
}

}  // namespace hakmem
