// hak_version: the project version, from CMake's project(VERSION) through a configured header.
#include "hakmem/hakmem.h"
#include "hakmem_version.h"

extern "C" const char* hak_version(void) {
  return HAKMEM_VERSION_STRING;
}
