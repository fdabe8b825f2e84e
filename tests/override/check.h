/* The preload test programs' check: a failed condition prints its line and is counted; the
 * program exits non-zero when `failures` is not zero. */
#ifndef HAKMEM_TESTS_OVERRIDE_CHECK_H
#define HAKMEM_TESTS_OVERRIDE_CHECK_H

#include <stdio.h>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

#endif
