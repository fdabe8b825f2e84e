/* hakmem: a multi-threaded allocator built for cross-thread frees.
 *
 * The public C surface: allocation, run-time policy (route and tuning options) and the
 * counters that explain every slow-path decision. Everything here is thread-safe and may be
 * called at any moment, from any thread, including threads that only free. */
#ifndef HAKMEM_HAKMEM_H
#define HAKMEM_HAKMEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- allocation ------------------------------------------------------------------------- */

/* NULL + errno=ENOMEM when memory runs out; never aborts. hak_malloc(0) returns a unique
 * pointer, like glibc. */
void* hak_malloc(size_t size);
/* NULL is a no-op. */
void hak_free(void* p);
/* Zeroed; NULL + ENOMEM when count * size overflows. */
void* hak_calloc(size_t count, size_t size);
/* Keeps min(old, new) bytes. hak_realloc(NULL, n) = hak_malloc(n); hak_realloc(p, 0) frees p
 * and returns NULL (glibc's behaviour). On failure p is untouched. */
void* hak_realloc(void* p, size_t size);
/* Any power-of-two alignment; otherwise NULL + EINVAL. */
void* hak_aligned_alloc(size_t alignment, size_t size);
/* Bytes usable at p (>= the size asked for); 0 for NULL. */
size_t hak_usable_size(const void* p);
/* Hands the calling thread's held cross-thread frees to their pages (a thread holds at most
 * 16 chains of at most 64 blocks and 8 KiB, until its next slow-path allocation, exit or this
 * call), queues detached pages holding remote frees below notify_threshold to their homes,
 * then returns expired empty pages to the OS now (force=1: every empty page, not only
 * expired ones). The allocator also does all three by itself on its slow paths. */
void hak_collect(int force);

/* ---- route: the slow-path policy -------------------------------------------------------- */

typedef enum hak_route {
  HAK_ROUTE_S = 0,   /* owner-only reuse: must-reuse gate, partial list, orphans */
  HAK_ROUTE_P = 1,   /* Route S plus one gated adoption of another heap's pending page */
  HAK_ROUTE_CDA = 2, /* adoption with every gate off: the seed's failed baseline */
  HAK_ROUTE_A = 3,   /* per size class, S or P, chosen by the allocator from its counters */
} hak_route;

/* 0 on success; EINVAL for an unknown route. Safe while other threads allocate. */
int hak_set_route(hak_route route);
hak_route hak_get_route(void);
/* "S", "P", "CDA" or "A". */
const char* hak_route_name(hak_route route);
/* Accepts S, P, CDA, A (any case). 0 on success, EINVAL otherwise. */
int hak_route_parse(const char* text, hak_route* out);

/* Route A's decision for one size class. Every class starts closed (Route S). It closes after
 * a window (route_a_window adoptions + fresh pages of the class) in which at least half the
 * adopted pages were followed by their victim taking a fresh page (the domino); it opens
 * after a window in which at least half the fresh pages (and a quarter of the window) were
 * taken while an idle heap's pending page passed every Route P gate. */
typedef enum hak_route_a_reason {
  HAK_ROUTE_A_START = 0,        /* closed since start: no window has opened it */
  HAK_ROUTE_A_IDLE_PENDING = 1, /* opened: pending pages aged in idle heaps */
  HAK_ROUTE_A_DOMINO = 2,       /* closed: adoption victims took fresh pages */
} hak_route_a_reason;

typedef struct hak_route_a_state {
  uint64_t class_size;
  int open;                  /* 1: adoption open (Route P), 0: closed (Route S) */
  hak_route_a_reason reason; /* of the last switch */
  uint64_t switches;
  uint64_t window_events; /* events of the current window so far */
  /* The last complete window: */
  uint64_t last_adoptions, last_dominoes, last_fresh_pages, last_missed;
} hak_route_a_state;

/* Size classes: 0 .. hak_class_count() - 1. */
size_t hak_class_count(void);
/* 0 on success; EINVAL for a class out of range. Kept whichever route runs. */
int hak_route_a_class(size_t cls, hak_route_a_state* out);

/* ---- tuning options --------------------------------------------------------------------- */

/* Options are named integers; hak_option_count()/hak_option_name(i) enumerate them:
 *   route              0=S 1=P 2=CDA 3=A, default P (also by name through hak_option_set_text)
 *   must_reuse_budget  pending pages examined per slow path before anything else (1..1024)
 *   purge_delay_ms     how long an empty page stays committed at least (0..3600000)
 *   rfr_window_us      right-of-first-refusal window after a page's 0->1 edge (0..10000000)
 *   idle_threshold_us  owner idle time before its pages may be adopted (0..10000000)
 *   adoption_threshold adoptable pages of a class needed before adopting (0..1000000)
 *   min_remote_count   remote frees a page needs before it may be adopted (0..65536)
 *   retain_mb          MiB of empty segments kept mapped for reuse, decommitted (0..1048576)
 *   notify_threshold   remote frees a detached page holds before it is queued (1..4096, 1)
 *   reenqueue_after_drain  1: a page freed into while being claimed is queued again (0..1, 0)
 *   route_a_window     Route A: adoptions + fresh pages of a class per decision (4..1000000)
 *   background         1: a background thread gives idle heaps' emptied pages back and purges
 *                      on time (0..1, 0); set before the allocator's first use, it starts at
 *                      the first slow path
 * Each is also read at start from HAKMEM_<NAME IN UPPER CASE>, e.g. HAKMEM_PURGE_DELAY_MS. */
size_t hak_option_count(void);
/* NULL when index is out of range. */
const char* hak_option_name(size_t index);
/* Short description with the default and the valid range; NULL for an unknown name. */
const char* hak_option_help(const char* name);
/* 0 on success; EINVAL for an unknown name. */
int hak_option_get(const char* name, int64_t* value);
/* 0 on success; EINVAL for an unknown name or a value out of range, and then nothing changes
 * and a message naming the option and the valid range is written to err (if err_len > 0). */
int hak_option_set(const char* name, int64_t value, char* err, size_t err_len);
/* Validates without changing anything: 0 if hak_option_set would accept it, EINVAL (and a
 * message in err) otherwise. Lets a caller check a batch of settings before applying any. */
int hak_option_check(const char* name, int64_t value, char* err, size_t err_len);
/* Like hak_option_set, but parses text ("P" for route, decimal integers otherwise). */
int hak_option_set_text(const char* name, const char* text, char* err, size_t err_len);

/* ---- counters --------------------------------------------------------------------------- */

/* Every counter, in snapshot order: the one list the struct, the names, the JSON and the
 * allocator's own increments are generated from. X(field, kind, description); kind says
 * where the number comes from:
 *   HEAP     an event each thread's heap counts, summed over every heap (live or exited)
 *   PROCESS  an event counted once for the process
 *   GAUGE    a present value; hak_counters_reset does not rebase it
 *   DERIVED  an event summed from the per-size-class counts at read time
 * The adoption gates are listed in the order Route P checks them. */
#define HAK_COUNTERS(X)                                                                           \
  X(mallocs, DERIVED, "allocations served")                                                       \
  X(frees_local, DERIVED, "frees by the owning heap")                                             \
  X(frees_remote, DERIVED, "frees pushed to another heap's page (cross-thread)")                  \
  X(idle_pages_released, HEAP,                                                                    \
    "emptied pages of idle or exited heaps a slow path gave back (the background thread off)")    \
  X(large_allocs, HEAP, "allocations above the largest size class (128 KiB)")                     \
  X(large_frees, HEAP, "frees of large allocations")                                              \
  X(large_alloc_bytes, HEAP, "bytes of large allocations made (usable sizes)")                    \
  X(large_free_bytes, HEAP, "bytes of large allocations freed (usable sizes)")                    \
  X(large_reused, PROCESS, "large allocations served from segments already mapped")               \
  X(large_slots_purged, PROCESS, "free 64 KiB slots of large objects returned to the OS")         \
  X(pending_enqueued, HEAP, "pages queued to their home heap on the 0->1 edge of remote frees")   \
  X(pending_drained, HEAP, "pages taken from a pending queue")                                    \
  X(pending_reenqueued, HEAP, "claimed pages queued again: remote frees raced the claim")         \
  X(pages_below_threshold, GAUGE, "detached pages holding fewer remote frees than the threshold") \
  X(threshold_sweeps, PROCESS, "sweeps for pages below notify_threshold")                         \
  X(pages_swept, PROCESS, "pages below notify_threshold queued to their home by a sweep")         \
  X(route_a_open_classes, GAUGE, "Route A: bit c set = adoption open for size class c")           \
  X(route_a_opened, PROCESS, "Route A: classes opened (pending pages aged in idle heaps)")        \
  X(route_a_closed, PROCESS, "Route A: classes closed (adoption victims took fresh pages)")       \
  X(route_a_dominoes, PROCESS, "Route A: adopted pages whose victim then took a fresh page")      \
  X(route_a_missed, PROCESS, "Route A: fresh pages taken while an idle heap's page would do")     \
  X(drain_attempts, HEAP, "remote-free stacks examined (pending, active, partial)")               \
  X(drain_successes, HEAP, "remote-free stacks that yielded blocks")                              \
  X(mustreuse_hits, HEAP, "slow paths served by the own pending queue")                           \
  X(active_drain_hits, HEAP, "slow paths served by the active page's remote frees")               \
  X(partial_hits, HEAP, "slow paths served by the partial list")                                  \
  X(orphan_publishes, HEAP, "pages published as orphans at thread exit")                          \
  X(orphan_claims, HEAP, "orphaned pages claimed by another heap")                                \
  X(adoption_attempts, HEAP, "Route P/CDA: adoption considered")                                  \
  X(adoption_blocked_pressure, HEAP, "Route P: blocked, too few adoptable pages in the class")    \
  X(adoption_blocked_idle, HEAP, "Route P: blocked, owner not idle")                              \
  X(adoption_blocked_partial, HEAP, "Route P: blocked, owner has a partial page of the class")    \
  X(adoption_blocked_rfr, HEAP, "Route P: blocked, right-of-first-refusal window open")           \
  X(adoption_blocked_remote_min, HEAP, "Route P: blocked, too few remote frees on the page")      \
  X(adoption_allowed, HEAP, "Route P/CDA: every gate passed")                                     \
  X(pages_adopted, HEAP, "pages whose owner changed by adoption")                                 \
  X(adopted_reused, HEAP, "adopted pages that served an allocation")                              \
  X(new_pages, HEAP, "pages taken fresh from a segment")                                          \
  X(empty_pages_reused, HEAP, "emptied queued pages reformatted instead of a new page")           \
  X(idle_partial_released, HEAP, "idle owners' partial pages taken with every block back")        \
  X(idle_partial_reused, HEAP, "of those, pages reformatted instead of a new page")               \
  X(pages_trimmed, HEAP,                                                                          \
    "trims of queued pages keeping live blocks: their free OS pages returned")                    \
  X(trimmed_bytes, HEAP, "bytes returned to the OS from inside pages that keep live blocks")      \
  X(trimmed_bytes_reused, HEAP, "of those, bytes carved again for allocations")                   \
  X(pages_freed, HEAP, "empty pages returned to their segment")                                   \
  X(pages_purged, PROCESS, "empty pages returned to the OS (madvise)")                            \
  X(purge_calls, PROCESS, "madvise calls of page purges (side by side due pages share one)")      \
  X(purge_delay_raised, PROCESS,                                                                  \
    "purge delay doubled: a purged page was needed again within the delay")                       \
  X(background_wakeups, PROCESS, "background thread: times it woke (edge, deadline, option)")     \
  X(background_pages_drained, PROCESS,                                                            \
    "background thread: emptied queued pages of idle or dead heaps released")                     \
  X(background_bytes_purged, PROCESS,                                                             \
    "background thread: bytes of free pages and spans decommitted")                               \
  X(segments_mapped, PROCESS, "segments mapped")                                                  \
  X(segments_unmapped, PROCESS, "segments unmapped")                                              \
  X(os_failures, PROCESS, "mmap, munmap or madvise calls the OS refused")                         \
  X(heaps_created, PROCESS, "thread heaps created")                                               \
  X(heaps_reused, PROCESS, "thread heaps handed to a new thread from the pool")                   \
  X(heaps_reclaimed_after_fork, PROCESS, "fork child: heaps of threads not in it given up")       \
  X(bytes_in_use, GAUGE, "bytes of live allocations (block sizes)")                               \
  X(bytes_in_use_peak, GAUGE, "highest bytes_in_use sampled (when memory is mapped or read)")     \
  X(bytes_committed, GAUGE, "bytes backed: pages as far as carved, metadata, large objects")      \
  X(bytes_committed_peak, GAUGE, "highest bytes_committed")

#define HAK_COUNTERS_VERSION 10

typedef struct hak_counters {
  uint32_t version; /* HAK_COUNTERS_VERSION */
  uint32_t size;    /* sizeof(hak_counters) */
#define HAK_COUNTER_FIELD(name, kind, desc) uint64_t name;
  HAK_COUNTERS(HAK_COUNTER_FIELD)
#undef HAK_COUNTER_FIELD
} hak_counters;

/* Fills *out with the counters since start or the last reset. */
void hak_counters_get(hak_counters* out);
/* Resets the counters that count events (byte gauges are not reset; peaks restart from now). */
void hak_counters_reset(void);
/* The slow-path steps that serve an allocation from a page that is not fresh: X(name) each.
 * Every reuse rate (hak_page_reuse_rate, the admin CLI's, the stats at exit) sums these. */
#define HAK_PAGE_REUSES(X) \
  X(mustreuse_hits)        \
  X(active_drain_hits)     \
  X(partial_hits)          \
  X(orphan_claims)         \
  X(pages_adopted)         \
  X(empty_pages_reused)    \
  X(idle_partial_reused)
/* reuses / (reuses + new pages), the reuses being the HAK_PAGE_REUSES counters; 1.0 when
 * nothing happened yet. */
double hak_page_reuse_rate(const hak_counters* c);
/* One JSON object with every counter and "page_reuse_rate". Returns the length it needs
 * (excluding the NUL), like snprintf; writes at most len bytes including the NUL. */
size_t hak_counters_json(const hak_counters* c, char* buf, size_t len);
/* Enumerates counters by index (for RPCs and tables): NULL past the end. */
const char* hak_counter_name(size_t index);
const char* hak_counter_description(size_t index);
uint64_t hak_counter_value(const hak_counters* c, size_t index);

/* Per size class, since the process started (not affected by hak_counters_reset). */
typedef struct hak_class_stats {
  size_t block_size;     /* bytes per block */
  uint64_t mallocs;      /* blocks handed out */
  uint64_t frees;        /* blocks freed, local and cross-thread */
  uint64_t frees_remote; /* of which cross-thread */
  uint64_t pages_taken;  /* pages the slow path took for the class */
  uint64_t pages_new;    /* of which fresh from the page allocator (the rest are reuses) */
  int64_t pages_in_use;  /* pages formatted for the class now */
} hak_class_stats;
/* Fills *out for class `cls`; returns 0, or -1 when cls >= hak_class_count(). */
int hak_class_stats_get(size_t cls, hak_class_stats* out);

/* ---- version ---------------------------------------------------------------------------- */

/* The library's version, "MAJOR.MINOR.PATCH" (the CMake project version); a static string. */
const char* hak_version(void);

#ifdef __cplusplus
}
#endif

#endif /* HAKMEM_HAKMEM_H */
