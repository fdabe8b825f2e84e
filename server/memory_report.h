// The memory figures INFO memory, MEMORY STATS and MEMORY DOCTOR share: what the process's
// allocators hold (used_memory), what the kernel maps (RSS, split into anonymous and file
// pages), and the arena allocator's own view (hak_counters for hakmem).
#pragma once

#include <cstdint>
#include <string>

#include "stats.h"

namespace hakmem::server {

struct MemoryFigures {
  uint64_t used = 0;                   // live bytes of every allocator serving the process
  uint64_t peak_used = 0;              // highest `used` this process reported so far
  uint64_t rss = 0;                    // VmRSS
  uint64_t rss_anon = 0;               // RssAnon + RssShmem: heap, stacks, anonymous mappings
  uint64_t rss_file = 0;               // RssFile: code and data of the binary and shared libraries
  uint64_t peak_rss = 0;               // VmHWM
  uint64_t arena_in_use = 0;           // the arena allocator's live bytes (hakmem: bytes_in_use)
  uint64_t arena_committed = 0;        // what it holds from the OS, when it knows (hakmem)
  uint64_t process_malloc_in_use = 0;  // glibc's malloc (mallinfo2), when it serves malloc
  std::string arena;                   // hakmem, system, jemalloc, ...
  std::string process_malloc;          // who serves malloc(): "glibc", or the library that does

  // RSS that is not file-backed divided by used: a heap-only ratio. File pages are code the
  // allocator cannot return (RocksDB and gRPC are ~20 MiB of it).
  double fragmentation_ratio() const;
};

MemoryFigures memory_figures(const StatsSnapshot& stats);

// "glibc" when malloc() is glibc's, else the file name of the library serving it (an
// LD_PRELOAD allocator such as libhakmem.so or libjemalloc.so.2).
const std::string& process_malloc_name();

// The library serving malloc() (dlopen'ed with RTLD_NOLOAD, so its own symbols can be looked
// up), or nullptr when it is glibc's or cannot be found.
void* process_malloc_library();

// MEMORY DOCTOR's text: what looks wrong (or that nothing does), from these figures and the
// allocator's counters.
std::string memory_doctor(const MemoryFigures& m, const ArenaReport& allocator);

std::string human_bytes(uint64_t bytes);

}  // namespace hakmem::server
