/* glibc's whole malloc surface under LD_PRELOAD: every entry point resolves to libhakmem.so,
 * and the introspection functions (mallinfo, mallinfo2, malloc_trim, malloc_stats,
 * malloc_info) describe hakmem's heap, not glibc's empty one. Each failed check prints a line;
 * the program exits non-zero if any failed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "hakmem/hakmem.h"

static void (*counters_get)(hak_counters*);

static uint64_t in_use(void) {
  hak_counters c;
  counters_get(&c);
  return c.bytes_in_use;
}

static int within(double value, double expected, double fraction) {
  double d = value - expected;
  if (d < 0) d = -d;
  return d <= expected * fraction;
}

static size_t rss_bytes(void) {
  FILE* f = fopen("/proc/self/statm", "r");
  unsigned long size = 0, resident = 0;
  if (f == NULL || fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
  if (f) fclose(f);
  return resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Every name a program may call resolves to libhakmem.so, not to glibc. */
static void test_exports(void) {
  const char* names[] = {"malloc",
                         "free",
                         "calloc",
                         "realloc",
                         "reallocarray",
                         "posix_memalign",
                         "aligned_alloc",
                         "memalign",
                         "valloc",
                         "pvalloc",
                         "malloc_usable_size",
                         "cfree",
                         "mallinfo",
                         "mallinfo2",
                         "malloc_trim",
                         "malloc_stats",
                         "malloc_info"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i) {
    void* sym = dlsym(RTLD_DEFAULT, names[i]);
    Dl_info info;
    int ok = sym != NULL && dladdr(sym, &info) != 0 && strstr(info.dli_fname, "libhakmem");
    if (!ok) fprintf(stderr, "%s does not come from libhakmem.so\n", names[i]);
    CHECK(ok);
  }
}

/* Each allocation function counts exactly its usable size in hakmem's bytes in use, and
 * cfree gives it back like free. */
static void test_consistency(void) {
  void (*cfree_fn)(void*) = (void (*)(void*))dlsym(RTLD_DEFAULT, "cfree");
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  for (int kind = 0; kind < 9; ++kind) {
    uint64_t before = in_use();
    void* p = NULL;
    size_t asked = 3000;
    switch (kind) {
      case 0:
        p = malloc(asked);
        break;
      case 1:
        p = calloc(3, 1000);
        break;
      case 2:
        p = realloc(NULL, asked);
        break;
      case 3:
        p = reallocarray(NULL, 3, 1000);
        break;
      case 4:
        CHECK(posix_memalign(&p, 256, asked) == 0);
        break;
      case 5:
        p = aligned_alloc(512, asked);
        break;
      case 6:
        p = memalign(1024, asked);
        break;
      case 7:
        p = valloc(asked);
        break;
      case 8:
        p = pvalloc(asked);
        asked = page;
        break;
    }
    CHECK(p != NULL);
    size_t usable = malloc_usable_size(p);
    CHECK(usable >= asked);
    memset(p, 0x5a, usable); /* all of it is ours to use */
    CHECK(in_use() - before == usable);
    if (kind >= 7) CHECK(((uintptr_t)p & (page - 1)) == 0);
    if (kind == 8) CHECK(usable >= page);
    if (kind % 2 == 0) {
      cfree_fn(p);
    } else {
      free(p);
    }
    CHECK(in_use() == before);
  }
}

static void test_mallinfo(void) {
  enum { kSmall = 4096, kSmallCount = 12800, kLarge = 1 << 20, kLargeCount = 50 };
  struct mallinfo2 before = mallinfo2();
  CHECK(before.uordblks == in_use());
  static void* blocks[kSmallCount + kLargeCount];
  size_t asked = 0;
  for (int i = 0; i < kSmallCount + kLargeCount; ++i) {
    size_t n = i < kSmallCount ? kSmall : kLarge;
    blocks[i] = malloc(n);
    memset(blocks[i], 1, n);
    asked += n;
  }
  struct mallinfo2 after = mallinfo2();
  /* 100 MB allocated: the heap says so within 5%, and agrees with hakmem's own counter. */
  CHECK(within((double)(after.uordblks - before.uordblks), (double)asked, 0.05));
  CHECK(within((double)after.uordblks, (double)in_use(), 0.05));
  CHECK(after.arena >= after.uordblks);
  CHECK(after.fordblks == after.arena - after.uordblks);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  struct mallinfo old = mallinfo(); /* deprecated (int fields), still called by old programs */
#pragma GCC diagnostic pop
  CHECK(old.uordblks > 0 && (size_t)old.uordblks <= after.uordblks + (1u << 20));
  CHECK(within((double)old.uordblks, (double)after.uordblks, 0.05));
  for (int i = 0; i < kSmallCount + kLargeCount; ++i) free(blocks[i]);
  CHECK(mallinfo2().uordblks + asked / 2 < after.uordblks);
}

/* A freed burst stays committed until it expires; malloc_trim returns it now. */
static void test_malloc_trim(void) {
  enum { kCount = 16384, kSize = 4096 };
  static void* blocks[kCount];
  for (int i = 0; i < kCount; ++i) {
    blocks[i] = malloc(kSize);
    memset(blocks[i], 7, kSize);
  }
  for (int i = 0; i < kCount; ++i) free(blocks[i]);
  size_t rss_before = rss_bytes();
  size_t committed_before = mallinfo2().arena;
  CHECK(malloc_trim(0) == 1);
  size_t rss_after = rss_bytes();
  CHECK(mallinfo2().arena < committed_before);
  CHECK(rss_after + (16u << 20) < rss_before); /* most of the 64 MiB burst went back */
  if (rss_after + (16u << 20) >= rss_before)
    fprintf(stderr, "rss %zu -> %zu\n", rss_before, rss_after);
  CHECK(malloc_trim(0) == 0); /* nothing left to release */
}

/* Reads back what fn wrote to fd 2 or to a FILE. */
static char* capture_stderr(void (*fn)(void)) {
  FILE* tmp = tmpfile();
  int saved = dup(2);
  fflush(stderr);
  dup2(fileno(tmp), 2);
  fn();
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  static char text[4096];
  rewind(tmp);
  size_t n = fread(text, 1, sizeof text - 1, tmp);
  text[n] = '\0';
  fclose(tmp);
  return text;
}

static void test_malloc_stats(void) {
  void* hold = malloc(8 << 20);
  memset(hold, 1, 8 << 20);
  uint64_t expected = in_use();
  const char* text = capture_stderr(malloc_stats);
  unsigned long long system = 0, used = 0;
  const char* line = strstr(text, "in use bytes");
  CHECK(strncmp(text, "Arena 0:\n", 9) == 0);
  CHECK(line != NULL && sscanf(line, "in use bytes = %llu", &used) == 1);
  line = strstr(text, "system bytes");
  CHECK(line != NULL && sscanf(line, "system bytes = %llu", &system) == 1);
  CHECK(within((double)used, (double)expected, 0.05));
  CHECK(system >= used);
  CHECK(strstr(text, "Total (incl. mmap):") != NULL);
  if (failures) fprintf(stderr, "malloc_stats said:\n%s", text);
  free(hold);
}

static void test_malloc_info(void) {
  void* hold = malloc(8 << 20);
  memset(hold, 1, 8 << 20);
  char* text = NULL;
  size_t len = 0;
  FILE* out = open_memstream(&text, &len);
  CHECK(malloc_info(0, out) == 0);
  fclose(out);
  CHECK(strncmp(text, "<malloc version=\"1\">\n<heap nr=\"0\">\n", 35) == 0);
  CHECK(len > 10 && strcmp(text + len - 10, "</malloc>\n") == 0);
  const char* current = strstr(text, "<system type=\"current\" size=\"");
  unsigned long long size = 0;
  CHECK(current != NULL && sscanf(current, "<system type=\"current\" size=\"%llu\"/>", &size) == 1);
  CHECK(within((double)size, (double)mallinfo2().arena, 0.05) && size >= (8u << 20));
  CHECK(strstr(text, "<total type=\"mmap\" count=\"0\" size=\"0\"/>") != NULL);
  free(text);
  errno = 0;
  CHECK(malloc_info(1, stdout) == -1 && errno == EINVAL); /* glibc: options must be 0 */
  free(hold);
}

int main(void) {
  counters_get = (void (*)(hak_counters*))dlsym(RTLD_DEFAULT, "hak_counters_get");
  if (counters_get == NULL) {
    fprintf(stderr, "hakmem is not preloaded\n");
    return 2;
  }
  test_exports();
  test_consistency();
  test_mallinfo();
  test_malloc_trim();
  test_malloc_stats();
  test_malloc_info();
  if (failures) return 1;
  printf("malloc surface: all checks passed\n");
  return 0;
}
