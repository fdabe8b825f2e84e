/* Links libhakmem.so (hakmem::preload): plain malloc must now come from libhakmem.so. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <hakmem/hakmem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  Dl_info info;
  if (dladdr((void*)&malloc, &info) == 0 || info.dli_fname == NULL ||
      strstr(info.dli_fname, "libhakmem.so") == NULL) {
    fprintf(stderr, "consumer_preload: malloc is not libhakmem.so's (%s)\n",
            info.dli_fname ? info.dli_fname : "?");
    return 1;
  }
  void* p = malloc(100);
  if (p == NULL || hak_usable_size(p) < 100) {
    fprintf(stderr, "consumer_preload: malloc(100) is not a hakmem block\n");
    return 1;
  }
  free(p);
  printf("malloc from %s, hak_version %s\n", info.dli_fname, hak_version());
  return 0;
}
