// What the override layer needs from every file: the export marker (exports.map has the same
// list; everything else in libhakmem.so is hidden) and the C API it forwards to.
#pragma once

#include "hakmem/hakmem.h"

#define HAK_EXPORT __attribute__((visibility("default")))

// The C API never throws. Saying so lets the noexcept wrappers (malloc, free, operator
// delete) tail-call it instead of wrapping each call in an exception region.
extern "C" {
void* hak_malloc(size_t size) __attribute__((nothrow));
void hak_free(void* p) __attribute__((nothrow));
void* hak_calloc(size_t count, size_t size) __attribute__((nothrow));
void* hak_realloc(void* p, size_t size) __attribute__((nothrow));
void* hak_aligned_alloc(size_t alignment, size_t size) __attribute__((nothrow));
size_t hak_usable_size(const void* p) __attribute__((nothrow));
}
