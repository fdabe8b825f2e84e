/* Links libhakmem.a: allocates through the hak_* API and prints the library's version. */
#include <hakmem/hakmem.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  char* p = (char*)hak_malloc(100);
  if (p == NULL || hak_usable_size(p) < 100) {
    fprintf(stderr, "consumer: hak_malloc(100) failed\n");
    return 1;
  }
  memset(p, 'x', 100);
  hak_free(p);
  printf("hak_version %s\n", hak_version());
  return 0;
}
