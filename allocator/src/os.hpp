// The one layer that talks to the OS. Nothing here allocates through malloc, so the allocator
// can sit underneath malloc itself (libhakmem.so).
#pragma once

#include <cstddef>
#include <cstdint>

namespace hakmem::os {

// Every call's result is checked: a failure returns nullptr/false, leaves no reservation
// behind and is counted in os_failures (the kernel's mapping limit, vm.max_map_count, is
// the usual cause: each munmap that splits a mapping needs one more).

// Fresh zeroed, read-write memory, or nullptr. Not committed until touched.
void* map(size_t size);
// Like map, but the result is aligned to `alignment` (a power of two >= the OS page).
void* map_aligned(size_t size, size_t alignment);
bool unmap(void* p, size_t size);
// Gives the physical memory back; the range stays mapped and reads as zero afterwards.
// On failure the memory is still backed and must be treated as such.
bool decommit(void* p, size_t size);

uint64_t now_ns();  // monotonic

// Sleeps while *word == expected, at most timeout_ns (0: no limit); returns on a wake, a
// signal or the timeout, whichever comes first (the caller re-checks what it waits for).
void futex_wait(const uint32_t* word, uint32_t expected, uint64_t timeout_ns);
void futex_wake(const uint32_t* word);  // wakes one waiter

// Writes to stderr without allocating.
void write_stderr(const char* text);

}  // namespace hakmem::os
