// Every replaceable operator new/delete under LD_PRELOAD: each form is served by hakmem
// (its counters move, the blocks are hakmem's), aligned forms honour the alignment, and
// failure follows the standard (new_handler retries, std::bad_alloc, nullptr for nothrow).
#include <dlfcn.h>
#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <string_view>

#include "hakmem/hakmem.h"

namespace {

int failures = 0;
#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                                   \
    }                                                                               \
  } while (0)

void* volatile g_sink;
size_t opaque(size_t v) {
  volatile size_t x = v;
  return x;
}

using CountersGet = void (*)(hak_counters*);
using UsableSize = size_t (*)(const void*);
CountersGet counters_get;
UsableSize usable_size;

uint64_t mallocs() {
  hak_counters c;
  counters_get(&c);
  return c.mallocs;
}
uint64_t frees() {
  hak_counters c;
  counters_get(&c);
  return c.frees_local + c.frees_remote + c.large_frees;
}

bool aligned(const void* p, size_t a) {
  return (reinterpret_cast<uintptr_t>(p) & (a - 1)) == 0;
}

// One allocation and its matching deallocation, checked to go through hakmem.
template <typename Alloc, typename Free>
void round_trip(const char* what, size_t size, size_t alignment, Alloc alloc, Free release) {
  uint64_t m0 = mallocs(), f0 = frees();
  void* p = alloc();
  g_sink = p;
  bool ok = p != nullptr && aligned(p, alignment) && usable_size(p) >= size &&
            malloc_usable_size(p) == usable_size(p);
  if (p != nullptr) std::memset(p, 0x6b, size);
  uint64_t m1 = mallocs();
  release(p);
  uint64_t f1 = frees();
  if (!ok || m1 <= m0 || f1 <= f0) {
    std::fprintf(stderr, "%s: ok=%d mallocs %llu->%llu frees %llu->%llu\n", what, ok,
                 (unsigned long long)m0, (unsigned long long)m1, (unsigned long long)f0,
                 (unsigned long long)f1);
    ++failures;
  }
}

int g_handler_calls = 0;
void give_up_on_third_call() {
  if (++g_handler_calls == 3) std::set_new_handler(nullptr);
}
void throwing_handler() {
  throw std::bad_alloc();
}

void test_forms() {
  const std::nothrow_t& nt = std::nothrow;
  for (size_t size : {size_t{0}, size_t{24}, size_t{3000}, size_t{40000}, size_t{400000},
                      size_t{3} << 20}) {
    round_trip(
        "new", size, 16, [&] { return ::operator new(size); },
        [](void* p) { ::operator delete(p); });
    round_trip(
        "new[]", size, 16, [&] { return ::operator new[](size); },
        [](void* p) { ::operator delete[](p); });
    round_trip(
        "new nothrow", size, 16, [&] { return ::operator new(size, nt); },
        [&](void* p) { ::operator delete(p, nt); });
    round_trip(
        "new[] nothrow", size, 16, [&] { return ::operator new[](size, nt); },
        [&](void* p) { ::operator delete[](p, nt); });
    round_trip(
        "sized delete", size, 16, [&] { return ::operator new(size); },
        [&](void* p) { ::operator delete(p, size); });
    round_trip(
        "sized delete[]", size, 16, [&] { return ::operator new[](size); },
        [&](void* p) { ::operator delete[](p, size); });
    for (size_t a : {size_t{32}, size_t{256}, size_t{4096}, size_t{1} << 16, size_t{1} << 22}) {
      auto al = static_cast<std::align_val_t>(a);
      round_trip(
          "aligned new", size, a, [&] { return ::operator new(size, al); },
          [&](void* p) { ::operator delete(p, al); });
      round_trip(
          "aligned new[]", size, a, [&] { return ::operator new[](size, al); },
          [&](void* p) { ::operator delete[](p, al); });
      round_trip(
          "aligned new nothrow", size, a, [&] { return ::operator new(size, al, nt); },
          [&](void* p) { ::operator delete(p, al, nt); });
      round_trip(
          "aligned new[] nothrow", size, a, [&] { return ::operator new[](size, al, nt); },
          [&](void* p) { ::operator delete[](p, al, nt); });
      round_trip(
          "sized aligned delete", size, a, [&] { return ::operator new(size, al); },
          [&](void* p) { ::operator delete(p, size, al); });
      round_trip(
          "sized aligned delete[]", size, a, [&] { return ::operator new[](size, al); },
          [&](void* p) { ::operator delete[](p, size, al); });
    }
  }
  // Expressions, not only direct calls: an over-aligned type picks the aligned forms.
  struct alignas(128) Wide {
    char bytes[300];
  };
  uint64_t m0 = mallocs();
  Wide* w = new Wide[5];
  g_sink = w;
  CHECK(aligned(w, 128) && mallocs() > m0);
  delete[] w;
  auto* s = new std::string_view("x");  // a trivially small object
  g_sink = s;
  delete s;
}

void test_failure() {
  const size_t huge = opaque(SIZE_MAX / 2);
  bool threw = false;
  try {
    g_sink = ::operator new(huge);
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  CHECK(threw);
  threw = false;
  try {
    g_sink = ::operator new[](huge, std::align_val_t{64});
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  CHECK(threw);
  CHECK(::operator new(huge, std::nothrow) == nullptr);
  CHECK(::operator new[](huge, std::align_val_t{4096}, std::nothrow) == nullptr);

  // The new_handler runs until it gives up, then bad_alloc.
  std::set_new_handler(give_up_on_third_call);
  threw = false;
  try {
    g_sink = ::operator new(huge);
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  CHECK(threw && g_handler_calls == 3);
  // nothrow: a handler that throws ends in nullptr, not an exception.
  std::set_new_handler(throwing_handler);
  CHECK(::operator new(huge, std::nothrow) == nullptr);
  CHECK(::operator new (huge, std::align_val_t{256}, std::nothrow) == nullptr);
  std::set_new_handler(nullptr);
}

}  // namespace

int main() {
  counters_get = reinterpret_cast<CountersGet>(dlsym(RTLD_DEFAULT, "hak_counters_get"));
  usable_size = reinterpret_cast<UsableSize>(dlsym(RTLD_DEFAULT, "hak_usable_size"));
  if (counters_get == nullptr || usable_size == nullptr) {
    std::fprintf(stderr, "hakmem is not preloaded\n");
    return 2;
  }
  Dl_info info;
  CHECK(dladdr(reinterpret_cast<void*>(static_cast<void* (*)(size_t)>(&::operator new)), &info) !=
            0 &&
        std::strstr(info.dli_fname, "libhakmem") != nullptr);
  test_forms();
  test_failure();
  if (failures != 0) {
    std::printf("%d operator new/delete checks failed\n", failures);
    return 1;
  }
  std::printf("operator new/delete: all checks passed\n");
  return 0;
}
