// glibc's heap introspection and trimming, answered from hakmem's counters: under LD_PRELOAD
// glibc's own versions would describe its unused heap while hakmem holds everything.
//   mallinfo/mallinfo2  arena = committed bytes, uordblks = bytes in use, fordblks = the rest
//   malloc_trim         hak_collect(1); 1 when committed memory went down (glibc: "released")
//   malloc_stats        glibc's text to stderr, with hakmem's figures
//   malloc_info         glibc's XML (version 1), one heap, with hakmem's figures
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>

#include "export.hpp"
#include "hakmem/hakmem.h"

namespace {

struct Figures {
  size_t committed, committed_peak, in_use, free_bytes, purged;
};

Figures figures() {
  hak_counters c;
  hak_counters_get(&c);
  Figures f;
  f.committed = c.bytes_committed;
  f.committed_peak = c.bytes_committed_peak;
  f.in_use = c.bytes_in_use;
  // Committed includes metadata, so it is above the live bytes; never report a negative rest.
  f.free_bytes = f.committed > f.in_use ? f.committed - f.in_use : 0;
  f.purged = c.pages_purged + c.large_slots_purged + c.segments_unmapped;
  return f;
}

// mallinfo's fields are int: glibc wraps them; clamping is kinder.
int clamp_int(size_t v) {
  return v > INT_MAX ? INT_MAX : static_cast<int>(v);
}

}  // namespace

extern "C" {

HAK_EXPORT struct mallinfo2 mallinfo2() noexcept {
  Figures f = figures();
  struct mallinfo2 m = {};
  m.arena = f.committed;
  m.ordblks = f.free_bytes > 0 ? 1 : 0;
  m.uordblks = f.in_use;
  m.fordblks = f.free_bytes;
  m.keepcost = 0;
  return m;
}

HAK_EXPORT struct mallinfo mallinfo() noexcept {
  struct mallinfo2 m2 = mallinfo2();
  struct mallinfo m = {};
  m.arena = clamp_int(m2.arena);
  m.ordblks = clamp_int(m2.ordblks);
  m.uordblks = clamp_int(m2.uordblks);
  m.fordblks = clamp_int(m2.fordblks);
  return m;
}

HAK_EXPORT int malloc_trim(size_t) noexcept {
  Figures before = figures();
  hak_collect(1);
  Figures after = figures();
  return after.committed < before.committed || after.purged > before.purged ? 1 : 0;
}

HAK_EXPORT void malloc_stats() noexcept {
  Figures f = figures();
  fprintf(stderr, "Arena 0:\n");
  fprintf(stderr, "system bytes     = %10zu\n", f.committed);
  fprintf(stderr, "in use bytes     = %10zu\n", f.in_use);
  fprintf(stderr, "Total (incl. mmap):\n");
  fprintf(stderr, "system bytes     = %10zu\n", f.committed);
  fprintf(stderr, "in use bytes     = %10zu\n", f.in_use);
  fprintf(stderr, "max mmap regions = %10d\n", 0);
  fprintf(stderr, "max mmap bytes   = %10zu\n", f.committed_peak);
}

HAK_EXPORT int malloc_info(int options, FILE* fp) noexcept {
  if (options != 0) {
    errno = EINVAL;
    return -1;
  }
  Figures f = figures();
  fprintf(fp, "<malloc version=\"1\">\n");
  fprintf(fp, "<heap nr=\"0\">\n<sizes>\n</sizes>\n");
  fprintf(fp, "<total type=\"fast\" count=\"0\" size=\"0\"/>\n");
  fprintf(fp, "<total type=\"rest\" count=\"%d\" size=\"%zu\"/>\n", f.free_bytes > 0 ? 1 : 0,
          f.free_bytes);
  fprintf(fp, "<system type=\"current\" size=\"%zu\"/>\n", f.committed);
  fprintf(fp, "<system type=\"max\" size=\"%zu\"/>\n", f.committed_peak);
  fprintf(fp, "<aspace type=\"total\" size=\"%zu\"/>\n", f.committed);
  fprintf(fp, "<aspace type=\"mprotect\" size=\"%zu\"/>\n", f.committed);
  fprintf(fp, "</heap>\n");
  fprintf(fp, "<total type=\"fast\" count=\"0\" size=\"0\"/>\n");
  fprintf(fp, "<total type=\"rest\" count=\"%d\" size=\"%zu\"/>\n", f.free_bytes > 0 ? 1 : 0,
          f.free_bytes);
  fprintf(fp, "<total type=\"mmap\" count=\"0\" size=\"0\"/>\n");
  fprintf(fp, "<system type=\"current\" size=\"%zu\"/>\n", f.committed);
  fprintf(fp, "<system type=\"max\" size=\"%zu\"/>\n", f.committed_peak);
  fprintf(fp, "<aspace type=\"total\" size=\"%zu\"/>\n", f.committed);
  fprintf(fp, "<aspace type=\"mprotect\" size=\"%zu\"/>\n", f.committed);
  fprintf(fp, "</malloc>\n");
  return 0;
}

}  // extern "C"
