// A page: a slice of a segment serving one size class at a time.
//
// The single-owner invariant: a page has at most one owner heap. Only the owner
// touches the "owner-only" fields below. Ownership changes hands only through the state bits of
// `xthread`: an owner gives a page up by moving it OWNED -> DETACHED or OWNED -> QUEUED, and a
// heap takes one only by popping it from a pending queue and exchanging QUEUED -> OWNED. Since
// a page is in at most one pending queue and only one thread can pop it, only one heap can
// ever take it. Everything other threads do (remote frees, notifications) goes through atomics.
#pragma once

#include <atomic>
#include <cstdint>

#include "config.hpp"

namespace hakmem {

struct Heap;

struct Block {
  Block* next;
};

// State bits in the low bits of Page::xthread (blocks are 16-byte aligned).
enum PageState : uintptr_t {
  kOwned = 0,  // in its owner's lists (active or partial); remote frees just push
  kDetached =
      1,  // given up by its owner when full; remembers its home; the next remote free queues it
  kQueued = 2,  // in its home heap's pending queue; whoever pops it may claim it
  // The descriptor of a large object's segment: never owned, so free's owner check fails
  // and the object is unmapped there, with no separate segment-kind test on the fast path.
  kLargeObject = 3,
  kStateMask = 3,
};

// Where a page is, as far as its segment is concerned (guarded by the page allocator lock).
enum class PageUse : uint8_t { kFree, kInUse };

struct alignas(64) Page {
  // ---- first line: what every free reads (the owner check) and remote frees write ----
  // Kept apart from the allocation state, so a consumer thread freeing a producer's blocks
  // does not pull the line the producer's malloc writes on every call.
  std::atomic<uintptr_t> xthread{kOwned};  // remote-free stack head | PageState
  std::atomic<Heap*> heap{nullptr};        // owner when OWNED, home otherwise
  uint32_t block_size = 0;
  uint8_t size_class = 0;
  PageUse use = PageUse::kFree;  // page allocator
  bool committed = false;        // page allocator: memory is backed (not purged)
  // Slow paths.
  Page* next = nullptr;  // owner's partial list, or the page allocator's free lists
  Page* prev = nullptr;
  std::atomic<Page*> pending_next{nullptr};  // link in the home heap's pending queue
  std::atomic<uint64_t> rfr_deadline_ns{0};  // stamped on the 0->1 edge (Route P)
  uint64_t free_since_ns = 0;                // page allocator: when it became free (purge clock)

  // ---- second line: the owner's allocation state (malloc's fast path) ----
  alignas(64) Block* free = nullptr;  // owner-only: local free list, allocation pops here
  // Blocks handed out, including those on the remote stack. Written by the owner only
  // (plain load + store, see add_used); atomic because a remote free into a queued page reads
  // it to see that it brought the last block back.
  std::atomic<uint32_t> used{0};
  uint32_t capacity = 0;    // owner-only: blocks carved so far (bump extension)
  uint32_t reserved = 0;    // blocks the page can hold
  uint8_t alloc_class = 0;  // size_class again, for malloc's counter without the first line
  bool in_partial = false;  // owner-only
  bool adopted = false;     // owner-only: taken by adoption and not yet used
  // OS pages from the page's start counted in bytes_committed: the owner adds those it carves
  // into (account_carved), the page allocator subtracts them when it purges the page.
  uint8_t backed_os_pages = 0;
  uint8_t* start = nullptr;  // first block
  // Owner-only: OS pages (bit i: start + i * 4 KiB) given back while the page kept live blocks
  // (page_trim.cpp). Every block touching one is free and on no list until they are restored.
  uint64_t released[2] = {0, 0};
  uint16_t trim_live = 0;   // owner-only: live blocks after the last trim (0: never trimmed)
  uint32_t trimmed_ms = 0;  // owner-only: when (os::now_ns() / 1e6, wrapping) it was trimmed
  // When it was last queued to its home (stamped with the 0->1 edge): a trim waits until
  // the page has stayed queued for the purge delay.
  std::atomic<uint64_t> queued_ns{0};

  HAK_INLINE bool has_released() const { return (released[0] | released[1]) != 0; }
  HAK_INLINE bool has_free() const {
    return free != nullptr || capacity < reserved || has_released();
  }
  HAK_INLINE uint32_t used_now() const { return used.load(std::memory_order_relaxed); }
  // Owner-only, so no read-modify-write is needed: the same code as a plain counter. The
  // store releases (free on x86) because a heap taking an idle owner's emptied partial page
  // (take_idle_emptied) reads `used` with acquire: the owner's writes to the page and its
  // blocks before its last local free then happen before the taker's.
  HAK_INLINE uint32_t add_used(int32_t delta) {
    uint32_t n = used.load(std::memory_order_relaxed) + static_cast<uint32_t>(delta);
    used.store(n, std::memory_order_release);
    return n;
  }
};

static_assert(sizeof(Page) <= 128);
static_assert((size_t{1} << kMediumPageShift) / kOsPageSize <= 255, "backed_os_pages fits");

// The owner extends its page's free list by about one OS page of blocks, so a fresh page is
// touched (and backed) gradually.
inline void carve_blocks(Page* page) {
  uint32_t by_bytes = static_cast<uint32_t>(kOsPageSize / page->block_size);
  uint32_t left = page->reserved - page->capacity;
  uint32_t n = by_bytes > 0 ? by_bytes : 1;
  if (n > left) n = left;
  uint8_t* first = page->start + static_cast<size_t>(page->capacity) * page->block_size;
  Block* head = reinterpret_cast<Block*>(first);
  Block* b = head;
  for (uint32_t i = 1; i < n; ++i) {
    Block* next = reinterpret_cast<Block*>(first + static_cast<size_t>(i) * page->block_size);
    b->next = next;
    b = next;
  }
  b->next = page->free;
  // Capacity first: a fork child that sees the page between the two stores (this runs
  // without the change lock) only loses the new blocks, it never carves them twice.
  // (A release store rather than a fence: the same mov on x86, and TSan models it.)
  page->capacity += n;
  std::atomic_ref<Block*>(page->free).store(head, std::memory_order_release);
}

// The xthread word: bits 0-1 the PageState, bits 4-47 the head block of the remote-free
// stack, bits 48-63 how many blocks the stack holds. Keeping the count in the word that the
// push CAS updates anyway lets the owner take the whole stack, with its length, in one
// exchange, instead of walking a chain of blocks the freeing thread's cache still holds.
// User-space addresses fit in 47 bits on x86-64 and 48 on AArch64, and a page holds at most
// 4096 blocks.
inline constexpr unsigned kCountShift = 48;
inline constexpr uintptr_t kListMask = ((uintptr_t{1} << kCountShift) - 1) & ~uintptr_t{15};

HAK_INLINE Block* xthread_list(uintptr_t word) {
  return reinterpret_cast<Block*>(word & kListMask);
}
HAK_INLINE uintptr_t xthread_state(uintptr_t word) {
  return word & kStateMask;
}
HAK_INLINE uint32_t xthread_count(uintptr_t word) {
  return static_cast<uint32_t>(word >> kCountShift);
}
// The word after pushing a chain of `count` blocks starting at `head` onto `word`'s stack
// and moving to `state`.
HAK_INLINE uintptr_t xthread_push(uintptr_t word, Block* head, uint32_t count, uintptr_t state) {
  return ((word >> kCountShift) + count) << kCountShift | reinterpret_cast<uintptr_t>(head) | state;
}
HAK_INLINE uintptr_t xthread_with_state(uintptr_t word, uintptr_t state) {
  return (word & ~uintptr_t{kStateMask}) | state;
}

}  // namespace hakmem
