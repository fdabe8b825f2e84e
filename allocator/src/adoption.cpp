// Adoption: taking another live heap's pending page once refill.cpp's `adoption_gate` lets it
// (CDA takes it ungated): finding a victim, popping its queue, claiming the page, and Route A's
// probe (`adoption_would_pass`). The decision itself stays in refill.cpp with every other
// slow-path decision; this file is how the step is carried out. The state changes are made by
// ownership.cpp.
#include "hakmem/hakmem.h"
#include "options.hpp"
#include "os.hpp"
#include "ownership.hpp"
#include "ready_mask.hpp"
#include "route_auto.hpp"

namespace hakmem {

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
