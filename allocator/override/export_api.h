/* Force-included into the allocator sources built for libhakmem.so (compiled with
 * -fvisibility=hidden): declaring the public API under default visibility first keeps the
 * hak_* functions exported while every internal symbol stays hidden. */
#pragma GCC visibility push(default)
#include "hakmem/hakmem.h"
#pragma GCC visibility pop
