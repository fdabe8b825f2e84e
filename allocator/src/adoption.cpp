// Adoption: taking another live heap's pending page, under Route P only through the gates that
// protect its owner's locality (CDA takes it ungated). Its own file because it is one idea with
// its own counters (`adoption_*`): refill.cpp's `choose_page` calls `adopt` as a step (Route P,
// Route A for the classes it opened, CDA first) and `new_page` asks `adoption_would_pass` for
// Route A's probe; the background thread uses `owner_idle` too. Like the refill, it only
// chooses: the state changes are made by ownership.cpp.
#include "hakmem/hakmem.h"
#include "options.hpp"
#include "os.hpp"
#include "ownership.hpp"
#include "ready_mask.hpp"
#include "route_auto.hpp"

namespace hakmem {

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

namespace {

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

}  // namespace

// Adoption of another live heap's pending page (Route P gated, CDA ungated). A few candidate
// owners are examined (an active owner fails the idle gate, an idle one may pass); each
// examined owner counts as one attempt that ends allowed or blocked by one gate.
Page* Heap::adopt(size_t cls, bool gated) {
  constexpr size_t kCandidates = 4;
  Heap* candidates[kCandidates];
  size_t n = find_ready_heaps(cls, /*want_dead=*/false, this, &victim_cursor, candidates,
                              gated ? kCandidates : 1);
  uint64_t now = gated && n > 0 ? os::now_ns() : 0;  // no clock read when nobody is ready
  for (size_t i = 0; i < n; ++i) {
    HeapCounterId verdict = kCtr_adoption_allowed;
    if (Page* page = adopt_from(candidates[i], cls, now, gated, &verdict)) return page;
    if (verdict == kCtr_adoption_blocked_pressure) break;  // the class's, not the owner's
  }
  return nullptr;
}

Page* Heap::adopt_from(Heap* victim, size_t cls, uint64_t now, bool gated,
                       HeapCounterId* verdict_out) {
  PendingQueue& q = victim->pending[cls];
  if (!q.pop_lock.try_lock()) return nullptr;
  Page* page = q.head.load(std::memory_order_acquire);
  if (page == nullptr) {
    refresh_ready_bit(victim, cls);
    q.pop_lock.unlock();
    return nullptr;
  }
  counters.add(kCtr_adoption_attempts);
  HeapCounterId verdict = gated ? adoption_gate(cls, victim, page, now) : kCtr_adoption_allowed;
  counters.add(verdict);
  *verdict_out = verdict;
  bool popped = verdict == kCtr_adoption_allowed && q.pop_if_head(page);
  if (popped) {
    g_masks.adoptable[cls].fetch_sub(1, std::memory_order_relaxed);
    refresh_ready_bit(victim, cls);
  }
  q.pop_lock.unlock();
  if (!popped) return nullptr;  // blocked, or a push raced in on top (next slow path)
  if (claim(page) && requeue_if_raced(page)) return nullptr;
  counters.add(kCtr_pages_adopted);
  if (route() == HAK_ROUTE_A) {
    victim->robbed[cls].fetch_add(1, std::memory_order_relaxed);
    route_a_adopted(cls);
  }
  page->adopted = true;
  HAK_ASSERT(page->has_free());  // it was queued by a free
  return page;
}

// Would Route P adopt here? The victims' queues are only looked at, nothing is counted.
bool Heap::adoption_would_pass(size_t cls) {
  constexpr size_t kCandidates = 4;
  Heap* candidates[kCandidates];
  size_t n =
      find_ready_heaps(cls, /*want_dead=*/false, this, &victim_cursor, candidates, kCandidates);
  if (n == 0) return false;
  uint64_t now = os::now_ns();
  for (size_t i = 0; i < n; ++i) {
    PendingQueue& q = candidates[i]->pending[cls];
    if (!q.pop_lock.try_lock()) continue;
    Page* head = q.head.load(std::memory_order_acquire);
    HeapCounterId verdict = head != nullptr ? adoption_gate(cls, candidates[i], head, now)
                                            : kCtr_adoption_blocked_pressure;
    q.pop_lock.unlock();
    if (verdict == kCtr_adoption_allowed) return true;
    if (verdict == kCtr_adoption_blocked_pressure && head != nullptr) return false;
  }
  return false;
}

}  // namespace hakmem
