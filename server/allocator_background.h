// The process allocator's background thread, which hakmem-server turns on by default as Redis
// does for jemalloc (`jemalloc-bg-thread yes`): a server idles between bursts, and without the
// thread what a burst freed stays resident until some later allocation's slow path gives it
// back (hakmem: nothing of a deleted burst came back in 10 s idle; with it, 94%).
#pragma once

namespace hakmem::server {

struct AllocatorBackgroundRequest {
  bool on = true;
  bool explicit_flag = false;    // --allocator-background given: it wins over the environment
  bool arena_is_hakmem = false;  // the server's linked-in hakmem serves the arena: set it too
};

// Sets the option in whichever allocator serves malloc() (through that library's own symbols:
// hakmem's hak_option_set, jemalloc's mallctl) and in the arena's hakmem. Without the flag, an
// allocator whose background setting the environment already chose (HAKMEM_BACKGROUND,
// MALLOC_CONF) is left as chosen. Returns what INFO reports as allocator_background: "on",
// "off", "environment" or "none" (glibc, mimalloc, tcmalloc have no such thread).
const char* apply_allocator_background(const AllocatorBackgroundRequest& request);

// The value apply_allocator_background returned ("none" before it ran).
const char* allocator_background_state();

}  // namespace hakmem::server
