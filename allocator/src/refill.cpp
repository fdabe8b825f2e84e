// The refill: which page serves the next allocation once the active page has no free block.
// `choose_page` is the whole policy, one step a line, each step counted by the counter named
// like it. Route S follows the original design's order (own pending queue under a budget, active
// page's remote frees, partial list, orphans, and only then an emptied or a new page); Route P adds
// one gated adoption before orphans; CDA adopts first with every gate off, to reproduce the
// original design's failure; Route A takes Route P's step only for classes it has opened
// (route_auto.hpp). Its gates are `adoption_gate` below, the verdict named by its counter;
// carrying an allowed adoption out is adoption.cpp's. The steps only choose: the state changes
// they need are made by ownership.cpp.

#include "background.hpp"
#include "demand_swing.hpp"
#include "hakmem/hakmem.h"
#include "large.hpp"
#include "options.hpp"
#include "os.hpp"
#include "ownership.hpp"
#include "page_allocator.hpp"
#include "ready_mask.hpp"
#include "route_auto.hpp"
#include "spin_lock.hpp"

namespace hakmem {

void* Heap::alloc_slow(size_t cls) {
  Page* page = refill(cls);
  if (page == nullptr) return nullptr;
  void* block = pop_block(page);
  // No lock is held and the block is taken (starting a thread allocates): a safe point.
  background_poll();
  return block;
}

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

// Route P's gates, in the order they are checked; the verdict is the counter it bumps.
// `head`: the victim's queued page that adoption would take.
HeapCounterId adoption_gate(size_t cls, Heap* victim, const Page* head, uint64_t now) {
  if (g_masks.adoptable[cls].load(std::memory_order_relaxed) <= option(kOptAdoptionThreshold)) {
    return kCtr_adoption_blocked_pressure;
  }
  if (!owner_idle(victim, now, idle_threshold_ns())) return kCtr_adoption_blocked_idle;
  if (victim->classes[cls].partial_count.load(std::memory_order_relaxed) > 0) {
    return kCtr_adoption_blocked_partial;
  }
  if (now < head->rfr_deadline_ns.load(std::memory_order_relaxed)) {
    return kCtr_adoption_blocked_rfr;
  }
  // Relative to the page: a page of 8 large blocks can never collect 8 remote frees while
  // still holding live ones, so the bar is capped at half its blocks.
  uint64_t min_remote = static_cast<uint64_t>(option(kOptMinRemoteCount));
  if (min_remote > head->reserved / 2) min_remote = head->reserved / 2;
  if (xthread_count(head->xthread.load(std::memory_order_relaxed)) < min_remote) {
    return kCtr_adoption_blocked_remote_min;
  }
  return kCtr_adoption_allowed;
}

// What a purge check does at most every 10 ms across threads (the sum over heaps and the walk
// of idle heaps are dearer than a slow path); one thread at a time, the others skip.
namespace {
struct IdleTick {
  std::atomic<uint64_t> next_ns{0};
  SpinLock lock;  // try-locked (a fork child may keep it taken, and then keeps the last budget)
  DemandSwing swing;
};
constinit IdleTick g_idle_tick;

// True when this thread's purge check is the one of this 10 ms. It then also bounds the free
// pages the adaptive purge delay keeps by how far the live set swung lately
// (demand_swing.hpp); beyond that they wait only purge_delay_ms (page_keep_budget).
bool idle_tick(uint64_t now) {
  constexpr uint64_t kTickNs = 10000000;
  if (now < g_idle_tick.next_ns.load(std::memory_order_relaxed) || !g_idle_tick.lock.try_lock()) {
    return false;
  }
  bool due = now >= g_idle_tick.next_ns.load(std::memory_order_relaxed);
  if (due) {
    g_idle_tick.next_ns.store(now + kTickNs, std::memory_order_relaxed);
    page_keep_budget(g_idle_tick.swing.sample(now, sample_in_use()));
  }
  g_idle_tick.lock.unlock();
  return due;
}
}  // namespace

// Without the background thread, what idle and exited heaps hold empty waits for a heap short
// of pages (empty_page_reuse, idle_partial_reuse): threads that allocate from the pages they
// have would never give back an idle thread's emptied pages (Larson's main thread, when no
// successor needs fresh pages: 412 pages in use for 10.5 MB live, to the end). So the purge
// check of each idle tick gives them to the page allocator, where the purge delay runs.
// Route S leaves live owners' pages to them, as its refill does. The background thread, when
// on, does this itself.
void Heap::release_idle(uint64_t now) {
  if (option(kOptBackground) != 0) return;
  bool waiting = false;
  uint32_t released = release_idle_heaps(now, &waiting, route() != HAK_ROUTE_S);
  if (released > 0) counters.add(kCtr_idle_pages_released, released);
}

// Returns the class's active page with a free block on its local list, or nullptr (out of
// memory).
Page* Heap::refill(size_t cls) {
  Page* active = classes[cls].active;
  // A fresh page still being carved: keep carving, no decision to make (nor a list to change,
  // so no lock: pages of 4 KiB blocks carve one block per allocation). Except that blocks of
  // an OS page or more that came back first: carving touches memory never used (a fault
  // each, and RSS: a server's reply buffers freed by another thread would otherwise fill
  // their page before one is reused).
  // OS pages given back by a trim: their blocks come back, as above without a lock.
  bool uncarved = active->capacity < active->reserved;
  if (uncarved || HAK_UNLIKELY(active->has_released())) {
    if (uncarved && active->block_size >= kOsPageSize && reuse_before_carving(active)) {
      return active;
    }
    replenish(active);
    return active;
  }
  SpinLockGuard guard(change_lock);
  slow_epoch.store(slow_epoch.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  flush_remote();  // what this thread holds of others' pages may be what they wait for
  if (--purge_countdown == 0) {
    purge_countdown = 64;  // a clock read is dear next to a slow path; page frees check too
    uint64_t now = os::now_ns();
    bool tick = idle_tick(now);
    page_purge(now, Purge::kSlowPath);
    large_purge(now, Purge::kSlowPath);
    if (tick) release_idle(now);
  }
  Page* page = choose_page(cls, route());
  if (page == nullptr) return nullptr;
  bump(counters.pages_taken[cls]);
  set_active(cls, page);
  if (page->adopted) {
    page->adopted = false;
    counters.add(kCtr_adopted_reused);
  }
  if (page->free == nullptr) replenish(page);
  return page;
}

// A page with no free block listed but has_free(): blocks not carved yet, or blocks of OS pages
// a trim gave back.
void Heap::replenish(Page* page) {
  if (page->capacity < page->reserved) {
    carve_blocks(page);
    account_carved(page);
  } else {
    restore_released(page, /*carve=*/true);
  }
}

// The active page's remote frees, if any, instead of carving further (see refill).
bool Heap::reuse_before_carving(Page* active) {
  if (xthread_list(active->xthread.load(std::memory_order_relaxed)) == nullptr) return false;
  SpinLockGuard guard(change_lock);
  // All came back: the page is carved afresh from its start, over memory already touched.
  if (drain(active) == 0 || active->free == nullptr) return false;
  counters.add(kCtr_active_drain_hits);
  return true;
}

Page* Heap::choose_page(size_t cls, hak_route route) {
  Page* page = nullptr;
  if (route == HAK_ROUTE_CDA && (page = adopt(cls, /*gated=*/false))) return page;
  if ((page = must_reuse(cls))) return page;
  if ((page = active_drain(cls))) return page;
  if ((page = partial_reuse(cls))) return page;
  if (route == HAK_ROUTE_P && (page = adopt(cls, /*gated=*/true))) return page;
  if (route == HAK_ROUTE_A && route_a_open(cls) && (page = adopt(cls, /*gated=*/true))) return page;
  if ((page = orphan_claim(cls))) return page;
  if ((page = empty_page_reuse(cls))) return page;
  if (route != HAK_ROUTE_S && (page = idle_partial_reuse(cls))) return page;
  if ((page = threshold_sweep(cls))) return page;
  return new_page(cls);
}

// The must-reuse gate: the own pending queue comes before anything else.
Page* Heap::must_reuse(size_t cls) {
  PendingQueue& q = pending[cls];
  if (q.head.load(std::memory_order_relaxed) == nullptr) return nullptr;
  int64_t budget = option(kOptMustReuseBudget);
  Page* found = nullptr;
  q.pop_lock.lock();
  for (int64_t i = 0; i < budget && found == nullptr; ++i) {
    Page* page = pending_pop(this, cls);
    if (page == nullptr) break;
    if (claim(page) && requeue_if_raced(page)) break;  // it would come straight back
    HAK_ASSERT(page->has_free());                      // it was queued by a free
    found = page;
  }
  q.pop_lock.unlock();
  if (found) counters.add(kCtr_mustreuse_hits);
  return found;
}

// The active page's own remote frees.
Page* Heap::active_drain(size_t cls) {
  Page* active = classes[cls].active;
  if (active == &g_empty_page || drain(active) == 0) return nullptr;
  counters.add(kCtr_active_drain_hits);
  return active;
}

Page* Heap::partial_reuse(size_t cls) {
  Page* page = classes[cls].partial.head;
  if (page == nullptr) return nullptr;
  // Of the oldest few, the one with the most free blocks: each slow path then serves more
  // allocations.
  int looked = 1;
  for (Page* p = page->next; p != nullptr && looked < 4; p = p->next, ++looked) {
    if (p->used_now() < page->used_now()) page = p;
  }
  partial_remove(cls, page);
  // Remote frees wait on the page's stack until its local list runs out: draining now would
  // walk the whole stack (blocks still in the freeing core's cache) to find its tail.
  if (page->free == nullptr) drain(page);
  HAK_ASSERT(page->has_free());
  counters.add(kCtr_partial_hits);
  return page;
}

// A page of a thread that exited: it has no owner to protect, any heap may take it.
Page* Heap::orphan_claim(size_t cls) {
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
    if (claim(page) && requeue_if_raced(page)) continue;
    counters.add(kCtr_orphan_claims);
    HAK_ASSERT(page->has_free());  // an orphan was published or queued with free blocks
    return page;
  }
  return nullptr;
}

// Queued pages whose blocks have all come back are free memory in disguise: only a heap
// short of pages of their class would take them. In the Larson pattern an exited thread's
// whole working set empties this way within a millisecond while its successor needs pages,
// and an idle thread's detached pages empty while it sleeps. Before a new page is taken,
// every such page of an exited heap, of this heap and (Route P, CDA) of an idle-or-not live
// heap is taken back: one of the right page size becomes the new page, the rest go back
// to the page allocator. A page with no live block has no owner locality to protect, so the
// adoption gates do not apply; Route S leaves other live heaps alone (owner-only drain).
// Pages with live blocks stay where they are. Only queues hinted to hold an emptied page are
// walked (the free that brought a queued page's last block back said so), and each walk
// stops once it found what was hinted, since queues of pages with live blocks can be long
// (thread churn). It examines at most 1024 pages: emptied pages sit deep in long queues too
// (64 cost the server 6 MiB of RSS in the size-drift scenario).
Page* Heap::empty_page_reuse(size_t cls) {
  bool medium = !class_uses_small_pages(cls);
  bool live_too = route() != HAK_ROUTE_S;
  Page* reuse = nullptr;
  uint32_t budget = 1024;
  for (size_t c = 0; c < kClassCount && budget > 0; ++c) {
    // No queued page of the class has emptied since the last walks (the common case).
    if (g_masks.emptied[c].load(std::memory_order_relaxed) <= 0) continue;
    reuse = release_emptied(this, c, medium, &budget, reuse);
    Heap* owners[8];
    size_t n = find_ready_heaps(c, /*want_dead=*/true, this, &victim_cursor, owners, 8);
    for (size_t i = 0; i < n; ++i) reuse = release_emptied(owners[i], c, medium, &budget, reuse);
    if (!live_too) continue;
    n = find_ready_heaps(c, /*want_dead=*/false, this, &victim_cursor, owners, 8);
    for (size_t i = 0; i < n; ++i) reuse = release_emptied(owners[i], c, medium, &budget, reuse);
  }
  if (reuse == nullptr) return nullptr;
  format(reuse, cls);
  counters.add(kCtr_empty_pages_reused);
  return reuse;
}

// Claims owner's emptied queued pages; keeps one of the wanted page size (keep_one).
Page* Heap::release_emptied(Heap* owner, size_t cls, bool medium, uint32_t* budget, Page* want) {
  return keep_one(claim_emptied(owner, cls, budget), medium, want);
}

// Of a list of empty pages, keeps the first of the wanted page size when `want` is still
// empty (returned) and gives the others back to the page allocator.
Page* Heap::keep_one(Page* list, bool medium, Page* want) {
  while (Page* page = list) {
    list = page->next;
    page->next = nullptr;
    bool page_medium = segment_of(page)->kind == SegmentKind::kMediumPages;
    if (want == nullptr && page_medium == medium) {
      want = page;
    } else {
      release_page(page);
    }
  }
  return want;
}

// Pages an idle owner keeps in its partial list although every block came back (Larson's
// main thread allocates the workers' first blocks, then only waits while they free them):
// before every 16th new page while it lasts, the live heaps idle past idle_threshold give
// them up (take_idle_emptied); one of the right page size becomes the new page, the rest go
// back to the page allocator. Not on Route S, which leaves live heaps' pages to their owners.
Page* Heap::idle_partial_reuse(size_t cls) {
  if (--idle_countdown != 0) return nullptr;
  idle_countdown = 16;
  uint64_t now = os::now_ns();
  uint32_t budget = 1024;  // partial pages examined
  Page* list = nullptr;
  for (Heap* owner = heaps_all(); owner != nullptr && budget > 0; owner = owner->all_next) {
    if (owner == this || owner->dead.load(std::memory_order_acquire)) continue;
    if (owner_idle(owner, now, idle_threshold_ns())) list = take_idle_emptied(owner, &budget, list);
  }
  Page* reuse = keep_one(list, !class_uses_small_pages(cls), nullptr);
  if (reuse == nullptr) return nullptr;
  format(reuse, cls);
  counters.add(kCtr_idle_partial_reused);
  return reuse;
}

// Detached pages below notify_threshold are in no queue (the original design lost them):
// before every 16th fresh page while some exist, a sweep queues them to their homes and the
// own queue is looked at again. Thread exit and hak_collect sweep too.
Page* Heap::threshold_sweep(size_t cls) {
  if (g_counters.pages_below_threshold.load(std::memory_order_relaxed) == 0) return nullptr;
  if (--sweep_countdown != 0) return nullptr;
  sweep_countdown = 16;
  sweep_below_threshold(this);
  return must_reuse(cls);
}

// The last resort: a page from the page allocator.
Page* Heap::new_page(size_t cls) {
  trim_queued(cls);  // memory is about to grow: first give back what own pages do not use
  uint64_t segments = g_counters.segments_mapped.load(std::memory_order_relaxed);
  Page* page = page_alloc(!class_uses_small_pages(cls));
  if (page == nullptr) return nullptr;
  // Memory grew: a good moment to sample the in-use peak (rare, so the sum is affordable).
  if (g_counters.segments_mapped.load(std::memory_order_relaxed) != segments) {
    sample_in_use();
  }
  format(page, cls);
  counters.add(kCtr_new_pages);
  bump(counters.pages_fresh[cls]);
  if (route() == HAK_ROUTE_A) {
    uint32_t robbed_here = robbed[cls].load(std::memory_order_relaxed);
    if (robbed_here != 0) robbed_here = robbed[cls].exchange(0, std::memory_order_relaxed);
    route_a_fresh_page(cls, robbed_here, !route_a_open(cls) && adoption_would_pass(cls));
  }
  return page;
}

}  // namespace hakmem
