// Giving back the free OS pages inside pages that still hold live blocks. A size-class heap
// cannot serve new sizes from the holes old ones leave: when a server overwrites its values
// with smaller ones, the old values' pages thin out at random and empty only when their last
// value goes, so without this its memory grows by the whole new working set first (the size
// drift's refill). glibc's coalescing heap serves the new values from the holes instead.
//
// A trim takes an own queued page, finds the OS pages that only free blocks touch, takes
// those blocks off the free list and decommits the OS pages; the page goes back to the queue,
// so its remote frees, adoption and the emptied-page walk work on it as on any queued page.
// The blocks come back (restore_released) when the page runs out of others, or with the whole
// page when it empties or is reformatted. Only the owner does any of it: the blocks are on the
// owner-only free list, and a live block never touches a decommitted OS page, so remote frees
// (which write only into the freed block) never reach one.
#include "options.hpp"
#include "os.hpp"
#include "ownership.hpp"
#include "page_allocator.hpp"
#include "ready_mask.hpp"

namespace hakmem {

namespace {

inline constexpr size_t kOsPageShift = 12;
static_assert(kOsPageSize == size_t{1} << kOsPageShift);
inline constexpr size_t kMaxBlocksPerPage = (size_t{1} << kSmallPageShift) / 16;
static_assert((size_t{1} << kMediumPageShift) / kOsPageSize <= 128, "released[] holds 128 bits");

// A page's OS pages as a 128-bit set.
struct OsPageSet {
  uint64_t w[2] = {0, 0};
  bool test(size_t i) const { return (w[i >> 6] >> (i & 63)) & 1; }
  void set(size_t i) { w[i >> 6] |= uint64_t{1} << (i & 63); }
  void clear(size_t i) { w[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
  bool any() const { return (w[0] | w[1]) != 0; }
  size_t count() const {
    return static_cast<size_t>(__builtin_popcountll(w[0]) + __builtin_popcountll(w[1]));
  }
  // Whether any OS page of [first, last] is in the set.
  bool any_in(size_t first, size_t last) const {
    for (size_t i = first; i <= last; ++i) {
      if (test(i)) return true;
    }
    return false;
  }
};

OsPageSet released_of(const Page* page) {
  OsPageSet s;
  s.w[0] = page->released[0];
  s.w[1] = page->released[1];
  return s;
}

// The OS pages block `index` touches, relative to page->start.
inline size_t first_os_page(const Page* page, size_t index) {
  return (index * page->block_size) >> kOsPageShift;
}
inline size_t last_os_page(const Page* page, size_t index) {
  return ((index + 1) * page->block_size - 1) >> kOsPageShift;
}

inline size_t block_index(const Page* page, const Block* b) {
  return static_cast<size_t>(reinterpret_cast<const uint8_t*>(b) - page->start) / page->block_size;
}

// Every carved block that touches `pages` but none of `still_released` (each once), as a
// chain ending in the page's free list; the caller publishes it (publish_chain).
Block* chain_blocks_touching(Page* page, const OsPageSet& pages, const OsPageSet& still_released) {
  Block* head = page->free;
  for (size_t i = 0; i < page->capacity; ++i) {
    size_t a = first_os_page(page, i), b = last_os_page(page, i);
    if (!pages.any_in(a, b) || still_released.any_in(a, b)) continue;
    Block* block = reinterpret_cast<Block*>(page->start + i * page->block_size);
    block->next = head;
    head = block;
  }
  return head;
}

// The free list becomes `head` in one release store, after the chain and the released bits
// were written: a fork child that sees the page before it only loses the blocks, it never
// hands one out twice (the restore in the refill runs without the change lock, as carving does).
void publish_chain(Page* page, Block* head) {
  std::atomic_ref<Block*>(page->free).store(head, std::memory_order_release);
}

// How many OS pages a trim would likely give back: the carved ones, each with the chance
// that every block touching it is free (blocks are freed at random in the case this is for).
double expected_gain(const Page* page, uint32_t live) {
  if (page->capacity == 0) return 0;
  double free_share = 1.0 - static_cast<double>(live) / page->capacity;
  uint32_t touching = kOsPageSize / page->block_size + 1;
  double p = 1.0;
  for (uint32_t i = 0; i < touching && p > 1e-4; ++i) p *= free_share;
  size_t carved = (static_cast<size_t>(page->capacity) * page->block_size) >> kOsPageShift;
  return static_cast<double>(carved) * p;
}

inline constexpr uint32_t kTrimEvery = 8;

inline uint32_t now_ms(uint64_t now_ns) {
  return static_cast<uint32_t>(now_ns / 1000000);
}

// Worth a walk of its free list: queued for the purge delay in use (memory needed again soon
// would only be faulted back in), likely to give back two OS pages or more, and not trimmed
// since a quarter of its live blocks went (a page is examined once per change, not per pass).
bool worth_trimming(const Page* page, uint64_t now, uint64_t min_age) {
  // Blocks of an OS page or more are left alone: thread churn (sizes to 128 KiB) gave back
  // 28% of its RSS that way, at a quarter of its speed, faulting three quarters back in.
  if (page->block_size >= kOsPageSize) return false;
  if (now - page->queued_ns.load(std::memory_order_relaxed) < min_age) return false;
  uint32_t live = page->used_now() - xthread_count(page->xthread.load(std::memory_order_acquire));
  if (live == 0) return false;  // emptied: the emptied-page walk takes it whole
  if (page->trim_live != 0 && live * 4 > page->trim_live * 3) return false;
  return expected_gain(page, live) >= 2.0;
}

}  // namespace

// The blocks of the given-back OS pages: onto the free list when `carve`, else dropped (the
// page is carved afresh or leaves its class). Either way the memory counts as committed again:
// carving touches it, and the page allocator purges a free page whole.
void Heap::restore_released(Page* page, bool carve) {
  OsPageSet released = released_of(page);
  if (!released.any()) return;
  Block* head = carve ? chain_blocks_touching(page, released, OsPageSet{}) : nullptr;
  page->released[0] = page->released[1] = 0;
  if (carve) {
    publish_chain(page, head);
    // Needed again within the delay: the purge delay grows, and trims wait longer.
    uint64_t now = os::now_ns();
    purge_regret(now, static_cast<uint64_t>(now_ms(now) - page->trimmed_ms) * 1000000);
  }
  uint64_t bytes = released.count() * kOsPageSize;
  committed_add(bytes);
  if (carve) counters.add(kCtr_trimmed_bytes_reused, bytes);
}

// Gives back the OS pages of an owned page that only free blocks touch; returns how many.
uint32_t Heap::trim_page(Page* page) {
  // Free blocks by index; those touching an OS page given back earlier count as free too.
  uint64_t free_bits[kMaxBlocksPerPage / 64] = {};
  OsPageSet released = released_of(page);
  for (Block* b = page->free; b != nullptr; b = b->next) {
    size_t i = block_index(page, b);
    free_bits[i >> 6] |= uint64_t{1} << (i & 63);
  }
  auto is_free = [&](size_t i) {
    return ((free_bits[i >> 6] >> (i & 63)) & 1) != 0 ||
           released.any_in(first_os_page(page, i), last_os_page(page, i));
  };
  size_t bs = page->block_size;
  size_t carved_os_pages = (static_cast<size_t>(page->capacity) * bs) >> kOsPageShift;
  OsPageSet fresh;
  for (size_t os = 0; os < carved_os_pages; ++os) {
    if (released.test(os)) continue;
    size_t first = (os << kOsPageShift) / bs;
    size_t last = (((os + 1) << kOsPageShift) - 1) / bs;
    bool all = true;
    for (size_t i = first; i <= last && all; ++i) all = is_free(i);
    if (all) fresh.set(os);
  }
  if (!fresh.any()) return 0;
  OsPageSet gone = released;  // after this trim
  gone.w[0] |= fresh.w[0];
  gone.w[1] |= fresh.w[1];
  // Off the list before the decommit, which zeroes the links.
  Block** link = &page->free;
  for (Block* b = page->free; b != nullptr;) {
    Block* next = b->next;
    size_t i = block_index(page, b);
    if (!gone.any_in(first_os_page(page, i), last_os_page(page, i))) {
      *link = b;
      link = &b->next;
    }
    b = next;
  }
  *link = nullptr;
  // One call per run of side-by-side OS pages. A refused call leaves its pages backed: their
  // blocks go back on the list.
  OsPageSet failed;
  for (size_t os = 0; os < carved_os_pages;) {
    if (!fresh.test(os)) {
      ++os;
      continue;
    }
    size_t end = os;
    while (end < carved_os_pages && fresh.test(end)) ++end;
    if (!os::decommit(page->start + (os << kOsPageShift), (end - os) << kOsPageShift)) {
      for (size_t i = os; i < end; ++i) {
        failed.set(i);
        fresh.clear(i);
      }
    }
    os = end;
  }
  if (failed.any()) {
    OsPageSet kept = released;  // what stays given back: the earlier pages and the new ones
    kept.w[0] |= fresh.w[0];
    kept.w[1] |= fresh.w[1];
    publish_chain(page, chain_blocks_touching(page, failed, kept));
  }
  page->released[0] |= fresh.w[0];
  page->released[1] |= fresh.w[1];
  uint32_t n = static_cast<uint32_t>(fresh.count());
  if (n > 0) {
    committed_sub(n * kOsPageSize);
    counters.add(kCtr_pages_trimmed);
    counters.add(kCtr_trimmed_bytes, n * kOsPageSize);
  }
  return n;
}

// Before a new page (memory is about to grow): trims some of this heap's own queued
// pages of other classes (a queue of `cls` would have served the refill), looking at a
// bounded number of them. Unlinked under the queue's lock like emptied pages, claimed, trimmed
// and queued again; a page whose blocks all came back meanwhile goes back to the page
// allocator.
void Heap::trim_queued(size_t cls) {
  // One pass per kTrimEvery new pages, trimming up to kTrimEvery x trim_pages: a clock read
  // at every new page cost the 20,000-thread hand-off 6% (2.6 million new pages in 2 s).
  if (--trim_countdown != 0) return;
  trim_countdown = kTrimEvery;
  uint32_t max_trimmed = static_cast<uint32_t>(option(kOptTrimPages)) * kTrimEvery;
  uint64_t hint = queued_classes.load(std::memory_order_relaxed) & ~(uint64_t{1} << cls);
  if (max_trimmed == 0 || hint == 0) return;
  uint64_t now = os::now_ns();
  uint64_t min_age = purge_delay_in_use_ns(now);
  uint32_t look_left = 16 * max_trimmed;
  uint32_t trimmed = 0;
  for (size_t step = 0; step < kClassCount && look_left > 0 && trimmed < max_trimmed; ++step) {
    size_t c = trim_cursor;
    trim_cursor = static_cast<uint32_t>((trim_cursor + 1) % kClassCount);
    PendingQueue& q = pending[c];
    if ((hint & (uint64_t{1} << c)) == 0 || q.head.load(std::memory_order_relaxed) == nullptr) {
      continue;
    }
    q.pop_lock.lock();
    Unlinked found = unlink_queued(q, c, &look_left, max_trimmed - trimmed,
                                   [&](Page* page) { return worth_trimming(page, now, min_age); });
    refresh_ready_bit(this, c);
    q.pop_lock.unlock();
    trimmed += found.taken;
    Page* list = found.list;
    while (Page* page = list) {
      list = page->next;
      page->next = nullptr;
      // QUEUED -> OWNED with its stack (not counted as drained: the page is not used).
      collect(page, page->xthread.exchange(kOwned, std::memory_order_acq_rel));
      if (page->used_now() == 0) {
        release_page(page);
        continue;
      }
      trim_page(page);
      page->trim_live = static_cast<uint16_t>(page->used_now());
      page->trimmed_ms = now_ms(now);
      requeue(page);
    }
  }
}

// OWNED -> QUEUED into this heap's own queue, as it was before the trim claimed it (no 0->1
// edge: the page was queued already, so nothing is counted as enqueued).
void Heap::requeue(Page* page) {
  size_t cls = page->size_class;
  uintptr_t word = page->xthread.load(std::memory_order_relaxed);
  while (!page->xthread.compare_exchange_weak(word, xthread_with_state(word, kQueued),
                                              std::memory_order_release,
                                              std::memory_order_relaxed)) {
  }
  bool emptied = all_blocks_free(page);
  g_masks.adoptable[cls].fetch_add(1, std::memory_order_relaxed);
  push_pending(this, cls, page);
  if (emptied) hint_emptied(this, cls);
}

}  // namespace hakmem
