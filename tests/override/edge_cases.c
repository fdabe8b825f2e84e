/* Edge cases of every C allocation function libhakmem.so replaces, run under LD_PRELOAD.
 * Written in C against the plain libc declarations, like any program would use them. Each
 * failed check prints a line; the program exits non-zero if any failed. */
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

/* Keeps the compiler from pairing and removing allocations. */
static void* volatile sink;
static void escape(void* p) {
  sink = p;
}

/* Sizes the compiler cannot see, so it neither warns about nor folds the huge requests. */
static size_t opaque(size_t v) {
  volatile size_t x = v;
  return x;
}

static int aligned(const void* p, size_t alignment) {
  return ((uintptr_t)p & (alignment - 1)) == 0;
}

static int all_bytes(const unsigned char* p, size_t n, unsigned char v) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != v) return 0;
  return 1;
}

/* The counters of the hakmem that serves this process, found at run time: a program does not
 * link hakmem, it only finds it preloaded. */
static void (*counters_get)(hak_counters*);
static size_t (*usable_size)(const void*);

static void check_preloaded(void) {
  counters_get = (void (*)(hak_counters*))dlsym(RTLD_DEFAULT, "hak_counters_get");
  usable_size = (size_t(*)(const void*))dlsym(RTLD_DEFAULT, "hak_usable_size");
  if (counters_get == NULL || usable_size == NULL) {
    fprintf(stderr, "hakmem is not preloaded\n");
    exit(2);
  }
  /* malloc itself must come from libhakmem.so, not libc. */
  Dl_info info;
  CHECK(dladdr((void*)&malloc, &info) != 0 && strstr(info.dli_fname, "libhakmem") != NULL);
  void* p = malloc(100);
  CHECK(malloc_usable_size(p) == usable_size(p));
  free(p);
}

static void test_malloc_free(void) {
  void* a = malloc(0);
  void* b = malloc(0);
  CHECK(a != NULL && b != NULL && a != b); /* unique pointers, like glibc */
  free(a);
  free(b);

  size_t sizes[] = {1, 16, 17, 512, 1000, 8192, 32768, 32769, 100000, 5u << 20};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
    unsigned char* p = malloc(sizes[i]);
    CHECK(p != NULL && aligned(p, 16));
    size_t usable = malloc_usable_size(p);
    CHECK(usable >= sizes[i]);
    memset(p, 0x5a, usable); /* every usable byte is writable */
    escape(p);
    errno = EILSEQ;
    free(p);
    CHECK(errno == EILSEQ); /* free preserves errno (glibc >= 2.33) */
  }

  size_t huge[] = {SIZE_MAX, SIZE_MAX / 2, (size_t)PTRDIFF_MAX + 1, (size_t)1 << 60};
  for (size_t i = 0; i < sizeof huge / sizeof huge[0]; ++i) {
    errno = 0;
    CHECK(malloc(opaque(huge[i])) == NULL && errno == ENOMEM);
  }

  errno = EILSEQ;
  free(NULL);
  CHECK(errno == EILSEQ);
  CHECK(malloc_usable_size(NULL) == 0);
}

static void test_calloc(void) {
  errno = 0;
  CHECK(calloc(opaque(SIZE_MAX / 2 + 1), 2) == NULL && errno == ENOMEM);
  errno = 0;
  CHECK(calloc(opaque((size_t)1 << 33), (size_t)1 << 33) == NULL && errno == ENOMEM);
  errno = 0;
  CHECK(calloc(1, opaque(SIZE_MAX)) == NULL && errno == ENOMEM);
  void* z = calloc(0, 0);
  CHECK(z != NULL);
  free(z);
  /* Reused blocks come back zeroed: dirty a block, free it, calloc the same size. */
  size_t sizes[] = {24, 700, 4000, 30000, 200000};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
    for (int round = 0; round < 4; ++round) {
      unsigned char* d = malloc(sizes[i]);
      memset(d, 0xee, sizes[i]);
      escape(d);
      free(d);
      unsigned char* c = calloc(sizes[i] / 4, 4);
      CHECK(c != NULL && all_bytes(c, sizes[i] / 4 * 4, 0));
      free(c);
    }
  }
}

/* A failed realloc leaves the block valid: reading it afterwards is the point of the test. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuse-after-free"
static void test_realloc(void) {
  unsigned char* p = realloc(NULL, 10); /* = malloc */
  CHECK(p != NULL);
  for (int i = 0; i < 10; ++i) p[i] = (unsigned char)i;
  size_t grow[] = {100, 5000, 40000, 1 << 20, 64};
  for (size_t g = 0; g < sizeof grow / sizeof grow[0]; ++g) {
    p = realloc(p, grow[g]);
    CHECK(p != NULL);
    for (int i = 0; i < 10; ++i) CHECK(p[i] == (unsigned char)i);
  }
  /* Failure leaves the block untouched. */
  errno = 0;
  CHECK(realloc(p, opaque(SIZE_MAX)) == NULL && errno == ENOMEM);
  errno = 0;
  CHECK(realloc(p, opaque((size_t)PTRDIFF_MAX + 1)) == NULL && errno == ENOMEM);
  for (int i = 0; i < 10; ++i) CHECK(p[i] == (unsigned char)i);

  /* realloc(p, 0) frees p and returns NULL (glibc). */
  hak_counters before, after;
  counters_get(&before);
  CHECK(realloc(p, 0) == NULL);
  counters_get(&after);
  CHECK(after.frees_local + after.frees_remote + after.large_frees >
        before.frees_local + before.frees_remote + before.large_frees);

  void* q = realloc(NULL, 0); /* = malloc(0): a unique pointer */
  CHECK(q != NULL);
  free(q);

  errno = 0;
  CHECK(realloc(NULL, opaque(SIZE_MAX)) == NULL && errno == ENOMEM);
}

static void test_reallocarray(void) {
  errno = 0;
  CHECK(reallocarray(NULL, opaque(SIZE_MAX), 2) == NULL && errno == ENOMEM);
  int* a = reallocarray(NULL, 10, sizeof(int));
  CHECK(a != NULL);
  for (int i = 0; i < 10; ++i) a[i] = i * 7;
  errno = 0;
  CHECK(reallocarray(a, 2, opaque(SIZE_MAX / 2 + 1)) == NULL && errno == ENOMEM);
  for (int i = 0; i < 10; ++i) CHECK(a[i] == i * 7); /* untouched on overflow */
  a = reallocarray(a, 10000, sizeof(int));
  CHECK(a != NULL);
  for (int i = 0; i < 10; ++i) CHECK(a[i] == i * 7);
  free(a);
}

#pragma GCC diagnostic pop

static void test_posix_memalign(void) {
  size_t bad[] = {0, 1, 2, 4, 12, 24, 48, 3 * sizeof(void*), SIZE_MAX};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    void* out = (void*)0x1;
    errno = EILSEQ;
    CHECK(posix_memalign(&out, bad[i], 64) == EINVAL);
    CHECK(errno == EILSEQ);   /* reported by the return value only */
    CHECK(out == (void*)0x1); /* and *memptr is not touched */
  }
  for (size_t al = sizeof(void*); al <= ((size_t)1 << 23); al <<= 1) {
    size_t sizes[] = {0, 1, al - 1, al, al + 1, 3 * al};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; ++s) {
      void* out = NULL;
      CHECK(posix_memalign(&out, al, sizes[s]) == 0);
      CHECK(out != NULL && aligned(out, al) && malloc_usable_size(out) >= sizes[s]);
      if (out) memset(out, 1, sizes[s]);
      free(out);
    }
  }
  void* out = (void*)0x1;
  errno = EILSEQ;
  CHECK(posix_memalign(&out, 64, opaque(SIZE_MAX - 10)) == ENOMEM);
  CHECK(errno == EILSEQ && out == (void*)0x1);
}

static void test_aligned_alloc(void) {
  size_t bad[] = {0, 3, 24, 48, 1000, SIZE_MAX};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    errno = 0;
    CHECK(aligned_alloc(bad[i], 64) == NULL && errno == EINVAL);
  }
  for (size_t al = 1; al <= ((size_t)1 << 23); al <<= 1) {
    void* p = aligned_alloc(al, 3 * al);
    CHECK(p != NULL && aligned(p, al) && malloc_usable_size(p) >= 3 * al);
    free(p);
  }
  errno = 0;
  CHECK(aligned_alloc(64, opaque(SIZE_MAX - 10)) == NULL && errno == ENOMEM);
  /* Alignments no address space can honour fail cleanly, like glibc. */
  size_t huge_alignments[] = {(size_t)1 << 63, (size_t)1 << 62, (size_t)1 << 48};
  for (size_t i = 0; i < sizeof huge_alignments / sizeof huge_alignments[0]; ++i) {
    errno = 0;
    CHECK(aligned_alloc(opaque(huge_alignments[i]), 100) == NULL && errno == ENOMEM);
    void* out = (void*)0x1;
    CHECK(posix_memalign(&out, opaque(huge_alignments[i]), 100) == ENOMEM && out == (void*)0x1);
    errno = 0;
    CHECK(memalign(opaque(huge_alignments[i]), 100) == NULL && errno == ENOMEM);
  }
}

static void test_memalign(void) {
  /* glibc 2.36: an alignment that is not a power of two is rounded up to the next one. */
  void* p = memalign(24, 100);
  CHECK(p != NULL && aligned(p, 32));
  free(p);
  p = memalign(1000, 10);
  CHECK(p != NULL && aligned(p, 1024));
  free(p);
  p = memalign(0, 10); /* not above malloc's alignment: plain malloc */
  CHECK(p != NULL && aligned(p, 16));
  free(p);
  for (size_t al = 1; al <= ((size_t)1 << 22); al <<= 1) {
    p = memalign(al, 5000);
    CHECK(p != NULL && aligned(p, al) && malloc_usable_size(p) >= 5000);
    free(p);
  }
  errno = 0;
  CHECK(memalign(opaque(SIZE_MAX), 10) == NULL && errno == EINVAL); /* no power of two that big */
  errno = 0;
  CHECK(memalign(opaque(SIZE_MAX / 2 + 2), 10) == NULL && errno == EINVAL);
  errno = 0;
  CHECK(memalign(4096, opaque(SIZE_MAX - 10)) == NULL && errno == ENOMEM);
}

static void test_valloc_pvalloc(void) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  void* p = valloc(100);
  CHECK(p != NULL && aligned(p, page) && malloc_usable_size(p) >= 100);
  free(p);
  p = valloc(0);
  CHECK(p != NULL && aligned(p, page));
  free(p);
  p = pvalloc(100); /* whole pages */
  CHECK(p != NULL && aligned(p, page) && malloc_usable_size(p) >= page);
  if (p) memset(p, 3, page);
  free(p);
  p = pvalloc(page + 1);
  CHECK(p != NULL && aligned(p, page) && malloc_usable_size(p) >= 2 * page);
  free(p);
  p = pvalloc(0);
  CHECK(p != NULL && aligned(p, page) && malloc_usable_size(p) >= page);
  free(p);
  errno = 0;
  CHECK(pvalloc(opaque(SIZE_MAX)) == NULL && errno == ENOMEM); /* rounding up overflows */
  errno = 0;
  CHECK(valloc(opaque(SIZE_MAX)) == NULL && errno == ENOMEM);
}

/* glibc's own entry points are interposed too, so code calling them gets hakmem memory that
 * free() accepts. */
static void test_libc_aliases(void) {
  void* (*libc_malloc)(size_t) = (void* (*)(size_t))dlsym(RTLD_DEFAULT, "__libc_malloc");
  void* (*libc_memalign)(size_t, size_t) =
      (void* (*)(size_t, size_t))dlsym(RTLD_DEFAULT, "__libc_memalign");
  CHECK(libc_malloc != NULL && libc_memalign != NULL);
  if (!libc_malloc || !libc_memalign) return;
  Dl_info info;
  CHECK(dladdr((void*)libc_malloc, &info) != 0 && strstr(info.dli_fname, "libhakmem") != NULL);
  void* p = libc_malloc(300);
  CHECK(p != NULL && usable_size(p) >= 300);
  free(p);
  p = libc_memalign(256, 300);
  CHECK(p != NULL && aligned(p, 256));
  free(p);
}

/* Before main and before most constructors: dlsym and dlerror allocate (the error message)
 * and free (the previous one) through whatever malloc is in place, here hakmem. */
static const char* g_early_error;
__attribute__((constructor)) static void early_dl_calls(void) {
  dlsym(RTLD_DEFAULT, "hakmem_missing_symbol_1");
  dlsym(RTLD_DEFAULT, "hakmem_missing_symbol_2"); /* frees the first message */
  g_early_error = dlerror();
}

int main(void) {
  CHECK(g_early_error != NULL && strstr(g_early_error, "hakmem_missing_symbol_2") != NULL);
  check_preloaded();
  hak_counters start, end;
  counters_get(&start);
  test_malloc_free();
  test_calloc();
  test_realloc();
  test_reallocarray();
  test_posix_memalign();
  test_aligned_alloc();
  test_memalign();
  test_valloc_pvalloc();
  test_libc_aliases();
  counters_get(&end);
  CHECK(end.mallocs > start.mallocs + 100);
  if (failures != 0) {
    printf("%d edge-case checks failed\n", failures);
    return 1;
  }
  printf("edge cases: all checks passed\n");
  return 0;
}
