// When the background thread (background.cpp) wakes on its own, so that the floors below it
// can wake it earlier: a page queued to an idle home (ownership.cpp), a free page or span
// whose purge delay runs out before then (page_allocator.cpp, large.cpp). Without the thread
// `g_background_until` stays 0 and each check is one relaxed load.
#pragma once

#include <atomic>
#include <cstdint>

#include "config.hpp"
#include "os.hpp"

namespace hakmem {

// 0: not sleeping (or no thread); UINT64_MAX: sleeping without a deadline; else its deadline.
inline constinit std::atomic<uint64_t> g_background_until{0};
inline constinit std::atomic<uint32_t> g_background_wakes{0};  // the futex word

HAK_INLINE const uint32_t* background_wake_word() {
  return reinterpret_cast<const uint32_t*>(&g_background_wakes);
}

// Wakes it if it sleeps (one wake however many callers race here).
inline void background_wake_now() {
  if (g_background_until.exchange(0, std::memory_order_acq_rel) == 0) return;
  g_background_wakes.fetch_add(1, std::memory_order_release);
  os::futex_wake(background_wake_word());
}

// True when the thread sleeps past `due_ns`: the caller made work due then and wakes it.
HAK_INLINE bool background_sleeps_past(uint64_t due_ns) {
  uint64_t until = g_background_until.load(std::memory_order_relaxed);
  return HAK_UNLIKELY(until != 0) && due_ns < until;
}

}  // namespace hakmem
