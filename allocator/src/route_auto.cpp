#include "route_auto.hpp"

#include <atomic>
#include <cerrno>

#include "counters.hpp"
#include "hakmem/hakmem.h"
#include "options.hpp"
#include "size_class.hpp"

namespace hakmem {

namespace {

struct ClassState {
  std::atomic<bool> open{false};  // starts as Route S, the safe choice
  std::atomic<uint32_t> reason{HAK_ROUTE_A_START};
  std::atomic<uint32_t> events{0};  // adoptions + fresh pages in the window
  std::atomic<uint32_t> adoptions{0}, dominoes{0}, fresh{0}, missed{0};
  std::atomic<uint64_t> switches{0};
  // The window that made the last decision, for hak_route_a_class.
  std::atomic<uint32_t> last_adoptions{0}, last_dominoes{0}, last_fresh{0}, last_missed{0};
};

ClassState g_classes[kClassCount];

void set_open(size_t cls, bool open) {
  ClassState& s = g_classes[cls];
  s.open.store(open, std::memory_order_relaxed);
  s.switches.fetch_add(1, std::memory_order_relaxed);
  uint64_t bit = uint64_t{1} << cls;
  if (open) {
    g_counters.route_a_open_classes.fetch_or(bit, std::memory_order_relaxed);
    add_event(g_counters.route_a_opened);
  } else {
    g_counters.route_a_open_classes.fetch_and(~bit, std::memory_order_relaxed);
    add_event(g_counters.route_a_closed);
  }
}

// The thread whose event completed the window decides (exactly one: the count is reset after).
void evaluate(size_t cls) {
  ClassState& s = g_classes[cls];
  uint32_t a = s.adoptions.exchange(0, std::memory_order_relaxed);
  uint32_t d = s.dominoes.exchange(0, std::memory_order_relaxed);
  uint32_t f = s.fresh.exchange(0, std::memory_order_relaxed);
  uint32_t m = s.missed.exchange(0, std::memory_order_relaxed);
  s.events.store(0, std::memory_order_relaxed);
  s.last_adoptions.store(a, std::memory_order_relaxed);
  s.last_dominoes.store(d, std::memory_order_relaxed);
  s.last_fresh.store(f, std::memory_order_relaxed);
  s.last_missed.store(m, std::memory_order_relaxed);
  uint32_t window = static_cast<uint32_t>(option(kOptRouteAWindow));
  if (s.open.load(std::memory_order_relaxed)) {
    if (a > 0 && 2 * d >= a) {
      s.reason.store(HAK_ROUTE_A_DOMINO, std::memory_order_relaxed);
      set_open(cls, false);
    }
  } else if (m > 0 && 4 * m >= window && 2 * m >= f) {
    s.reason.store(HAK_ROUTE_A_IDLE_PENDING, std::memory_order_relaxed);
    set_open(cls, true);
  }
}

void count_event(size_t cls) {
  uint32_t window = static_cast<uint32_t>(option(kOptRouteAWindow));
  std::atomic<uint32_t>& events = g_classes[cls].events;
  uint32_t n = events.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n < window) return;
  // Past the window: route_a_window was lowered under the events already counted. The first
  // event past it decides (the exchange lets one thread do so), or the class would never
  // decide again.
  if (n == window || events.compare_exchange_strong(n, 0, std::memory_order_relaxed)) {
    evaluate(cls);
  }
}

}  // namespace

bool route_a_open(size_t cls) {
  return g_classes[cls].open.load(std::memory_order_relaxed);
}

void route_a_adopted(size_t cls) {
  g_classes[cls].adoptions.fetch_add(1, std::memory_order_relaxed);
  count_event(cls);
}

void route_a_fresh_page(size_t cls, uint32_t robbed, bool missed) {
  ClassState& s = g_classes[cls];
  s.fresh.fetch_add(1, std::memory_order_relaxed);
  if (robbed != 0) {
    s.dominoes.fetch_add(robbed, std::memory_order_relaxed);
    add_event(g_counters.route_a_dominoes, robbed);
  }
  if (missed) {
    s.missed.fetch_add(1, std::memory_order_relaxed);
    add_event(g_counters.route_a_missed);
  }
  count_event(cls);
}

}  // namespace hakmem

using namespace hakmem;

extern "C" int hak_route_a_class(size_t cls, hak_route_a_state* out) {
  if (cls >= kClassCount || out == nullptr) return EINVAL;
  const ClassState& s = g_classes[cls];
  out->class_size = class_size(cls);
  out->open = s.open.load(std::memory_order_relaxed) ? 1 : 0;
  out->reason = static_cast<hak_route_a_reason>(s.reason.load(std::memory_order_relaxed));
  out->switches = s.switches.load(std::memory_order_relaxed);
  out->window_events = s.events.load(std::memory_order_relaxed);
  out->last_adoptions = s.last_adoptions.load(std::memory_order_relaxed);
  out->last_dominoes = s.last_dominoes.load(std::memory_order_relaxed);
  out->last_fresh_pages = s.last_fresh.load(std::memory_order_relaxed);
  out->last_missed = s.last_missed.load(std::memory_order_relaxed);
  return 0;
}
