// The slow path: which page serves the next allocation. Route S follows the seed's order
// (own pending queue under a budget, active page's remote frees, partial list, orphans, and
// only then a new page); Route P adds one gated adoption before orphans; CDA adopts first
// with every gate off, to reproduce the seed's failure. A "new" page is an emptied queued
// page when one exists (see reclaim_empty_queued), else a fresh one.
#include "heap.hpp"

#include <cerrno>

#include "hakmem/hakmem.h"
#include "large.hpp"
#include "options.hpp"
#include "os.hpp"
#include "page_allocator.hpp"
#include "ready_mask.hpp"

namespace hakmem {

Page g_empty_page;
ReadyMasks g_masks;

namespace {

// Blocks carved per extension: about one OS page, so a fresh page is touched gradually.
uint32_t extend_count(const Page* page) {
  uint32_t by_bytes = static_cast<uint32_t>(kOsPageSize / page->block_size);
  uint32_t n = by_bytes > 0 ? by_bytes : 1;
  uint32_t left = page->reserved - page->capacity;
  return n < left ? n : left;
}

// Every block of the page is free: its local list and remote stack hold all it handed out,
// so no free can reach it any more. The caller owns the page or popped it from a queue.
HAK_INLINE bool all_blocks_free(const Page* page) {
  return page->used == xthread_count(page->xthread.load(std::memory_order_acquire));
}

void refresh_ready_bit(Heap* heap, size_t cls) {
  if (!heap->pending[cls].empty()) return;
  g_masks.clear_ready(cls, heap->index);
  if (!heap->pending[cls].empty()) g_masks.set_ready(cls, heap->index);
}

}  // namespace

// pop_lock of heap->pending[cls] must be held.
Page* pending_pop(Heap* heap, size_t cls) {
  Page* page = heap->pending[cls].pop();
  if (page != nullptr) g_masks.adoptable[cls].fetch_sub(1, std::memory_order_relaxed);
  refresh_ready_bit(heap, cls);
  return page;
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

// Puts a remote stack (already taken from the page, with its length) on the page's local
// free list. Usually the local list is empty here and no block is touched at all.
uint32_t Heap::collect(Page* page, uintptr_t word) {
  Block* list = xthread_list(word);
  if (list == nullptr) return 0;
  uint32_t n = xthread_count(word);
  HAK_ASSERT(n > 0 && page->used >= n);
  if (page->used == n) {
    // Every block came back: carve the page afresh rather than walk a list whose blocks
    // other cores freed last (a cache miss per allocation); carving only writes.
    page->free = nullptr;
    page->capacity = 0;
    page->used = 0;
    return n;
  }
  if (page->free != nullptr) {
    Block* tail = list;
    while (tail->next != nullptr) tail = tail->next;
    tail->next = page->free;
  }
  page->free = list;
  page->used -= n;
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

// Ownership changes here and only here: the caller popped `page` from a pending queue, so no
// other heap can hold it (a page is in at most one queue, and one thread pops it).
// QUEUED -> OWNED. With an empty local list the remote stack comes along in the same
// exchange; otherwise it stays on the page until the local list runs out, as on any owned
// page, because appending it now would walk blocks another core freed.
void Heap::claim(Page* page) {
  page->heap.store(this, std::memory_order_relaxed);
  counters.add(kCtr_pending_drained);
  if (page->free == nullptr) {
    uintptr_t word = page->xthread.exchange(kOwned, std::memory_order_acq_rel);
    HAK_ASSERT(xthread_state(word) == kQueued);
    counters.add(kCtr_drain_attempts);
    if (collect(page, word) > 0) counters.add(kCtr_drain_successes);
    return;
  }
  uintptr_t word = page->xthread.load(std::memory_order_relaxed);
  do {
    HAK_ASSERT(xthread_state(word) == kQueued);
  } while (!page->xthread.compare_exchange_weak(word, xthread_with_state(word, kOwned),
                                                std::memory_order_acq_rel,
                                                std::memory_order_relaxed));
}

void Heap::partial_push(size_t cls, Page* page) {
  ClassQueue& q = classes[cls];
  page->next = nullptr;
  page->prev = q.partial_tail;
  if (q.partial_tail)
    q.partial_tail->next = page;
  else
    q.partial = page;
  q.partial_tail = page;
  page->in_partial = true;
  q.partial_count.store(q.partial_count.load(std::memory_order_relaxed) + 1,
                        std::memory_order_relaxed);
}

void Heap::partial_remove(size_t cls, Page* page) {
  ClassQueue& q = classes[cls];
  HAK_ASSERT(page->in_partial);
  if (page->prev)
    page->prev->next = page->next;
  else
    q.partial = page->next;
  if (page->next)
    page->next->prev = page->prev;
  else
    q.partial_tail = page->prev;
  page->next = page->prev = nullptr;
  page->in_partial = false;
  q.partial_count.store(q.partial_count.load(std::memory_order_relaxed) - 1,
                        std::memory_order_relaxed);
}

// An owned page leaves the active slot: partial list if it has free blocks, else retired.
// Retiring is OWNED -> DETACHED by CAS on an empty remote stack, so a remote free racing with
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
  if (page->used == 0) {
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

// DETACHED -> OWNED by the page's home, on an empty remote stack (DETACHED implies empty: the
// first push turns it QUEUED). Losing the CAS to that push means the page is queued now and
// must be reached through the pending queue like any other.
bool Heap::reclaim(Page* page) {
  uintptr_t expected = kDetached;
  if (!page->xthread.compare_exchange_strong(expected, kOwned, std::memory_order_acquire,
                                             std::memory_order_relaxed)) {
    return false;
  }
  partial_push(page->size_class, page);
  return true;
}

// An empty page goes back to the page allocator, counted.
void Heap::release_page(Page* page) {
  counters.add(kCtr_pages_freed);
  page_free(page);
}

void Heap::page_became_empty(Page* page) {
  size_t cls = page->size_class;
  if (page == classes[cls].active) return;  // keep it: the next allocation needs a page
  partial_remove(cls, page);
  release_page(page);
}

// 1. The must-reuse gate: the own pending queue comes before anything else.
Page* Heap::take_own_pending(size_t cls) {
  PendingQueue& q = pending[cls];
  if (q.head.load(std::memory_order_relaxed) == nullptr) return nullptr;
  int64_t budget = option(kOptMustReuseBudget);
  Page* found = nullptr;
  q.pop_lock.lock();
  for (int64_t i = 0; i < budget && found == nullptr; ++i) {
    Page* page = pending_pop(this, cls);
    if (page == nullptr) break;
    claim(page);
    if (page->has_free())
      found = page;
    else
      park(page);  // cannot happen (it was queued by a free), kept for safety
  }
  q.pop_lock.unlock();
  if (found) counters.add(kCtr_mustreuse_hits);
  return found;
}

// 3. The partial list.
Page* Heap::take_partial(size_t cls) {
  Page* page = classes[cls].partial;
  if (page == nullptr) return nullptr;
  // Of the oldest few, the one with the most free blocks: each slow path then serves more
  // allocations.
  int looked = 1;
  for (Page* p = page->next; p != nullptr && looked < 4; p = p->next, ++looked) {
    if (p->used < page->used) page = p;
  }
  partial_remove(cls, page);
  // Remote frees wait on the page's stack until its local list runs out: draining now would
  // walk the whole stack (blocks still in the freeing core's cache) to find its tail.
  if (page->free == nullptr) drain(page);
  HAK_ASSERT(page->has_free());
  counters.add(kCtr_partial_hits);
  return page;
}

namespace {
// Idle = no slow-path allocation for idle_threshold. An owner that still allocates from its
// current page does not need its pending pages yet, so counting only slow paths is right.
bool owner_idle(Heap* owner, uint64_t now, uint64_t idle_ns) {
  uint64_t epoch = owner->slow_epoch.load(std::memory_order_relaxed);
  if (owner->seen_epoch.exchange(epoch, std::memory_order_relaxed) != epoch) {
    owner->seen_epoch_ns.store(now, std::memory_order_relaxed);
    return idle_ns == 0;
  }
  return now - owner->seen_epoch_ns.load(std::memory_order_relaxed) >= idle_ns;
}
// How many remote frees wait on the page (the count travels in the xthread word).
uint64_t remote_frees(const Page* page) {
  return xthread_count(page->xthread.load(std::memory_order_relaxed));
}

}  // namespace

// 4. Adoption of another live heap's pending page (Route P gated, CDA ungated). A few
// candidate owners are examined (an active owner fails the idle gate, an idle one may pass);
// each examined owner counts as one attempt that ends allowed or blocked by one gate.
Page* Heap::try_adopt(size_t cls, bool gated) {
  constexpr size_t kCandidates = 4;
  Heap* candidates[kCandidates];
  size_t n = find_ready_heaps(cls, /*want_dead=*/false, this, &victim_cursor, candidates,
                              gated ? kCandidates : 1);
  if (n == 0) return nullptr;
  if (gated &&
      g_masks.adoptable[cls].load(std::memory_order_relaxed) <= option(kOptAdoptionThreshold)) {
    counters.add(kCtr_adoption_attempts);
    counters.add(kCtr_adoption_blocked_pressure);  // a property of the class, not of an owner
    return nullptr;
  }
  uint64_t now = gated ? os::now_ns() : 0;
  for (size_t i = 0; i < n; ++i) {
    counters.add(kCtr_adoption_attempts);
    if (Page* page = adopt_from(candidates[i], cls, now, gated)) return page;
  }
  return nullptr;
}

Page* Heap::adopt_from(Heap* victim, size_t cls, uint64_t now, bool gated) {
  if (gated) {
    if (!owner_idle(victim, now, idle_threshold_ns())) {
      counters.add(kCtr_adoption_blocked_idle);
      return nullptr;
    }
    if (victim->classes[cls].partial_count.load(std::memory_order_relaxed) > 0) {
      counters.add(kCtr_adoption_blocked_partial);
      return nullptr;
    }
  }
  PendingQueue& q = victim->pending[cls];
  if (!q.pop_lock.try_lock()) return nullptr;
  Page* page = q.head.load(std::memory_order_acquire);
  if (page == nullptr) {
    refresh_ready_bit(victim, cls);
    q.pop_lock.unlock();
    return nullptr;
  }
  if (gated) {
    if (now < page->rfr_deadline_ns.load(std::memory_order_relaxed)) {
      counters.add(kCtr_adoption_blocked_rfr);
      q.pop_lock.unlock();
      return nullptr;
    }
    // Relative to the page: a page of 8 large blocks can never collect 8 remote frees
    // while still holding live ones, so the bar is capped at half its blocks.
    uint64_t min_remote = static_cast<uint64_t>(option(kOptMinRemoteCount));
    if (min_remote > page->reserved / 2) min_remote = page->reserved / 2;
    if (remote_frees(page) < min_remote) {
      counters.add(kCtr_adoption_blocked_remote_min);
      q.pop_lock.unlock();
      return nullptr;
    }
  }
  bool popped = q.pop_if_head(page);
  if (popped) {
    g_masks.adoptable[cls].fetch_sub(1, std::memory_order_relaxed);
    refresh_ready_bit(victim, cls);
  }
  q.pop_lock.unlock();
  if (!popped) return nullptr;  // a push raced in on top; try again next slow path
  counters.add(kCtr_adoption_allowed);
  claim(page);
  counters.add(kCtr_pages_adopted);
  page->adopted = true;
  if (!page->has_free()) {  // cannot happen (it was queued by a free), kept for safety
    park(page);
    return nullptr;
  }
  return page;
}

// 5. A page of a thread that exited: it has no owner to protect, any heap may take it.
Page* Heap::claim_orphan(size_t cls) {
  for (int tries = 0; tries < 4; ++tries) {
    Heap* dead = nullptr;
    if (find_ready_heaps(cls, /*want_dead=*/true, this, &victim_cursor, &dead, 1) == 0) {
      return nullptr;
    }
    PendingQueue& q = dead->pending[cls];
    if (!q.pop_lock.try_lock()) continue;
    Page* page = pending_pop(dead, cls);
    q.pop_lock.unlock();
    if (page == nullptr) continue;
    claim(page);
    counters.add(kCtr_orphan_claims);
    if (page->has_free()) return page;
    park(page);
  }
  return nullptr;
}

// Queued pages whose blocks have all come back are free memory in disguise: only a heap
// short of pages of their class would take them. In the Larson pattern an exited thread's
// whole working set empties this way within a millisecond while its successor needs pages,
// and an idle thread's retired pages empty while it sleeps. Before a fresh page is taken,
// every such page of an exited heap, of this heap and (Route P, CDA) of an idle-or-not live
// heap is taken back: one of the right page size becomes the fresh page, the rest go back
// to the page allocator. A page with no live block has no owner locality to protect, so the
// adoption gates do not apply; Route S leaves other live heaps alone (owner-only drain).
// Pages with live blocks stay where they are. The walk examines a bounded number of queued
// pages, since queues of pages with live blocks can be long (thread churn); the bound is
// generous because emptied pages sit deep in long queues too (64 cost the server 6 MiB of
// RSS in the size-drift scenario, and churn runs as fast with 1024).
Page* Heap::reclaim_empty_queued(bool medium) {
  bool live_too = route() != HAK_ROUTE_S;
  Page* reuse = nullptr;
  Page** want = &reuse;
  uint32_t budget = 1024;
  for (size_t cls = 0; cls < kClassCount && budget > 0; ++cls) {
    // No page of the class is queued anywhere: nothing to look for (the common case).
    if (g_masks.adoptable[cls].load(std::memory_order_relaxed) <= 0) continue;
    if (!pending[cls].empty()) release_empty_pending(this, cls, medium, want, &budget);
    Heap* owners[8];
    size_t n = find_ready_heaps(cls, /*want_dead=*/true, this, &victim_cursor, owners, 8);
    for (size_t i = 0; i < n; ++i) release_empty_pending(owners[i], cls, medium, want, &budget);
    if (!live_too) continue;
    n = find_ready_heaps(cls, /*want_dead=*/false, this, &victim_cursor, owners, 8);
    for (size_t i = 0; i < n; ++i) release_empty_pending(owners[i], cls, medium, want, &budget);
  }
  return reuse;
}

// Walks owner's queue in place (up to *budget pages): empty ones are unlinked, claimed and
// either handed back through *want (the first of the wanted page size, when want is set) or
// freed. The queue's lock is held only for the walk: its owner may be waiting, and freeing
// a page may purge.
void Heap::release_empty_pending(Heap* owner, size_t cls, bool medium, Page** want,
                                 uint32_t* budget) {
  PendingQueue& q = owner->pending[cls];
  if (*budget == 0 || !q.pop_lock.try_lock()) return;
  Page* empty = nullptr;
  Page* prev = nullptr;
  for (Page* page = q.head.load(std::memory_order_acquire); page != nullptr && *budget > 0;
       --*budget) {
    Page* next = page->pending_next.load(std::memory_order_relaxed);
    // Nobody writes `used` while the page is queued.
    if (all_blocks_free(page)) {
      q.unlink(page, prev);
      g_masks.adoptable[cls].fetch_sub(1, std::memory_order_relaxed);
      page->next = empty;
      empty = page;
    } else {
      prev = page;
    }
    page = next;
  }
  refresh_ready_bit(owner, cls);
  q.pop_lock.unlock();
  while (Page* page = empty) {
    empty = page->next;
    page->next = nullptr;
    claim(page);
    bool page_medium = segment_of(page)->kind == SegmentKind::kMediumPages;
    if (want != nullptr && *want == nullptr && page_medium == medium) {
      *want = page;
    } else {
      release_page(page);
    }
  }
}

// 6. A fresh page, formatted for the class: an emptied queued page if there is one.
Page* Heap::new_page(size_t cls) {
  bool medium = !class_uses_small_pages(cls);
  Page* page = reclaim_empty_queued(medium);
  if (page != nullptr) {
    counters.add(kCtr_empty_pages_reused);
  } else {
    uint64_t segments = g_counters.segments_mapped.load(std::memory_order_relaxed);
    page = page_alloc(medium);
    if (page == nullptr) return nullptr;
    // Memory grew: a good moment to sample the in-use peak (rare, so the sum is affordable).
    if (g_counters.segments_mapped.load(std::memory_order_relaxed) != segments) {
      sample_in_use_peak();
    }
    counters.add(kCtr_new_pages);
  }
  Segment* seg = segment_of(page);
  uint32_t block = static_cast<uint32_t>(class_size(cls));
  page->start = seg->page_start(page);
  page->block_size = block;
  page->reserved = static_cast<uint32_t>(seg->page_size() / block);
  page->capacity = 0;
  page->used = 0;
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
  return page;
}

void* Heap::extend_and_alloc(Page* page) {
  uint32_t n = extend_count(page);
  uint8_t* first = page->start + static_cast<size_t>(page->capacity) * page->block_size;
  Block* head = reinterpret_cast<Block*>(first);
  Block* b = head;
  for (uint32_t i = 1; i < n; ++i) {
    Block* next = reinterpret_cast<Block*>(first + static_cast<size_t>(i) * page->block_size);
    b->next = next;
    b = next;
  }
  b->next = page->free;
  page->free = head;
  page->capacity += n;
  return alloc(page->size_class);
}

void* Heap::alloc_slow(size_t cls) {
  Page* active = classes[cls].active;
  // A fresh page still being carved: keep carving, no decision to make.
  if (active->capacity < active->reserved) return extend_and_alloc(active);

  slow_epoch.store(slow_epoch.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  flush_remote();  // what this thread holds of others' pages may be what they wait for
  if (--purge_countdown == 0) {
    purge_countdown = 64;  // a clock read is dear next to a slow path; page frees check too
    uint64_t now = os::now_ns();
    page_purge(now, Purge::kSlowPath);
    large_purge(now, Purge::kSlowPath);
  }

  hak_route route = hakmem::route();
  Page* page = nullptr;
  if (route == HAK_ROUTE_CDA) page = try_adopt(cls, /*gated=*/false);
  if (page == nullptr) page = take_own_pending(cls);
  if (page == nullptr && active != &g_empty_page && drain(active) > 0) {
    counters.add(kCtr_active_drain_hits);
    return alloc(cls);
  }
  if (page == nullptr) page = take_partial(cls);
  if (page == nullptr && route == HAK_ROUTE_P) page = try_adopt(cls, /*gated=*/true);
  if (page == nullptr) page = claim_orphan(cls);
  if (page == nullptr) page = new_page(cls);
  if (page == nullptr) return nullptr;
  set_active(cls, page);
  if (page->adopted) {
    page->adopted = false;
    counters.add(kCtr_adopted_reused);
  }
  return page->free != nullptr ? alloc(cls) : extend_and_alloc(page);
}

// A free into a page this thread does not own: held in the page's chain (see RemoteChain).
// The fallback heap serves many threads at once, so it pushes at once.
void Heap::free_remote(Page* page, Block* block) {
  HAK_ASSERT((reinterpret_cast<uintptr_t>(block) & ~kListMask) == 0);  // fits the word
  bump(counters.frees_remote[page->size_class]);
  if (HAK_UNLIKELY(this == &g_fallback_heap)) return push_remote(page, block, block, 1);
  RemoteChain& chain = remote[(reinterpret_cast<uintptr_t>(page) / sizeof(Page)) % kRemoteChains];
  if (chain.page == page) {
    block->next = chain.head;
    chain.head = block;
    // Full when one more block would pass a limit.
    ++chain.count;
    if (chain.count >= kRemoteChainMax ||
        (chain.count + 1) * page->block_size > kRemoteChainBytes) {
      push_chain(chain);
    }
    return;
  }
  push_chain(chain);
  // A chain of one would only delay the push.
  if (2 * page->block_size > kRemoteChainBytes) return push_remote(page, block, block, 1);
  block->next = nullptr;
  chain = RemoteChain{page, block, block, 1};
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
void Heap::push_remote(Page* page, Block* head, Block* tail, uint32_t count) {
  size_t cls = page->size_class;
  uintptr_t word = page->xthread.load(std::memory_order_relaxed);
  uintptr_t state;
  do {
    tail->next = xthread_list(word);
    state = xthread_state(word);
    uintptr_t next_state = state == kDetached ? kQueued : state;
    if (page->xthread.compare_exchange_weak(word, xthread_push(word, head, count, next_state),
                                            std::memory_order_acq_rel, std::memory_order_relaxed)) {
      break;
    }
  } while (true);
  if (state != kDetached) return;
  // The edge: queue the page to its home (alive or exited: homes are never freed).
  page->rfr_deadline_ns.store(os::now_ns() + rfr_window_ns(), std::memory_order_relaxed);
  Heap* home = page->heap.load(std::memory_order_relaxed);
  g_masks.adoptable[cls].fetch_add(1, std::memory_order_relaxed);
  if (home->pending[cls].push(page)) g_masks.set_ready(cls, home->index);
  counters.add(kCtr_pending_enqueued);
}

// Thread exit: give an owned page up. With free blocks it is queued (an orphan any heap may
// claim once this heap is marked dead); full, it is detached and queues itself on its next
// remote free.
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
  g_masks.adoptable[cls].fetch_add(1, std::memory_order_relaxed);
  if (pending[cls].push(page)) g_masks.set_ready(cls, index);
  counters.add(kCtr_orphan_publishes);
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

void Heap::abandon() {
  flush_remote();
  for (size_t cls = 0; cls < kClassCount; ++cls) {
    // What is queued comes back first, so that pages that emptied meanwhile are released.
    Page* owned = claim_all_pending(this, cls, nullptr);
    ClassQueue& cq = classes[cls];
    if (cq.active != &g_empty_page) {
      cq.active->next = owned;
      owned = cq.active;
      cq.active = &g_empty_page;
      set_direct(cls, &g_empty_page);
    }
    while (Page* page = cq.partial) {
      partial_remove(cls, page);
      page->next = owned;
      owned = page;
    }
    release_or_publish(owned);
  }
  // Every dead heap, indexed or not (heaps past kMaxIndexedHeaps have no ready bits).
  for (Heap* other = heaps_all(); other != nullptr; other = other->all_next) {
    if (other == this || !other->dead.load(std::memory_order_acquire)) continue;
    for (size_t cls = 0; cls < kClassCount; ++cls) {
      uint32_t unbounded = UINT32_MAX;
      if (!other->pending[cls].empty()) {
        release_empty_pending(other, cls, false, nullptr, &unbounded);
      }
    }
  }
}

void Heap::reset_locks_after_fork() {
  for (PendingQueue& q : pending) q.pop_lock.reset_after_fork();
}

}  // namespace hakmem
