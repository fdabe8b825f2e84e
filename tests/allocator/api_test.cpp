// The C API's contract: sizes, alignment, realloc/calloc semantics, errno, options, counters.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <memory_resource>
#include <random>
#include <string>
#include <vector>

#include "hakmem/memory_resource.hpp"
#include "size_class.hpp"
#include "test_util.hpp"

using namespace hakmem;
using namespace hakmem::test;

TEST(SizeClass, EverySizeMapsToTheSmallestFittingClass) {
  for (size_t size = 0; size <= kMaxClassSize; ++size) {
    size_t cls = size_to_class(size);
    ASSERT_LT(cls, kClassCount);
    ASSERT_GE(class_size(cls), size) << size;
    if (cls > 0) {
      ASSERT_LT(class_size(cls - 1), size == 0 ? 1 : size) << size;
    }
  }
}

TEST(SizeClass, ClassesAreIncreasingAndAligned) {
  for (size_t cls = 1; cls < kClassCount; ++cls) {
    EXPECT_GT(class_size(cls), class_size(cls - 1));
    EXPECT_EQ(class_size(cls) % 16, 0u);
  }
  // Tiny: fine steps up to 1 KiB; mid: a few classes per power of two.
  EXPECT_EQ(class_size(size_to_class(1024)), 1024u);
  EXPECT_EQ(class_size(size_to_class(1025)), 1280u);
  for (size_t pow = 16; pow <= kMaxClassSize; pow *= 2)
    EXPECT_EQ(class_size(size_to_class(pow)), pow);
}

TEST(Api, UsableSizeCoversRequestAndIsTheClassSize) {
  for (size_t size : {0ul, 1ul, 15ul, 16ul, 17ul, 100ul, 513ul, 1000ul, 1025ul, 4097ul, 32768ul,
                      32769ul, 100000ul, 5000000ul}) {
    void* p = hak_malloc(size);
    ASSERT_NE(p, nullptr) << size;
    size_t usable = hak_usable_size(p);
    EXPECT_GE(usable, size);
    if (size <= kMaxClassSize) {
      EXPECT_EQ(usable, class_size(size_to_class(size)));
    }
    fill(p, usable, 1);
    EXPECT_TRUE(verify(p, usable, 1));
    hak_free(p);
  }
  EXPECT_EQ(hak_usable_size(nullptr), 0u);
}

TEST(Api, MallocZeroGivesDistinctPointers) {
  void* a = hak_malloc(0);
  void* b = hak_malloc(0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  hak_free(a);
  hak_free(b);
  hak_free(nullptr);  // a no-op
}

TEST(Api, EverySizeIsSixteenByteAligned) {
  std::vector<void*> ptrs;
  for (size_t size = 1; size <= 70000; size += (size < 2048 ? 1 : 61)) {
    void* p = hak_malloc(size);
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << size;
    ptrs.push_back(p);
  }
  for (void* p : ptrs) hak_free(p);
}

TEST(Api, AlignedAllocHonoursEveryPowerOfTwo) {
  for (size_t align = 1; align <= (size_t{1} << 24); align *= 2) {
    for (size_t size : {1ul, 24ul, 100ul, 3000ul, 40000ul, 300000ul}) {
      void* p = hak_aligned_alloc(align, size);
      ASSERT_NE(p, nullptr) << align << " " << size;
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u) << align << " " << size;
      EXPECT_GE(hak_usable_size(p), size);
      fill(p, size, 3);
      EXPECT_TRUE(verify(p, size, 3));
      hak_free(p);
    }
  }
}

TEST(Api, AlignedAllocRejectsBadAlignment) {
  for (size_t align : {0ul, 3ul, 24ul, 100ul}) {
    errno = 0;
    EXPECT_EQ(hak_aligned_alloc(align, 64), nullptr);
    EXPECT_EQ(errno, EINVAL);
  }
}

TEST(Api, HugeRequestsFailWithEnomem) {
  errno = 0;
  EXPECT_EQ(hak_malloc(SIZE_MAX - 4096), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(hak_malloc(size_t{1} << 62), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(hak_aligned_alloc(4096, SIZE_MAX / 2), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(Api, CallocZeroesFreshAndReusedMemory) {
  // Dirty a batch of blocks, free them, and calloc the same sizes again: reused blocks too
  // must come back zeroed.
  for (size_t size : {16ul, 48ul, 1000ul, 5000ul, 40000ul}) {
    std::vector<void*> dirty;
    for (int i = 0; i < 200; ++i) {
      void* p = hak_malloc(size);
      memset(p, 0xAB, size);
      dirty.push_back(p);
    }
    for (void* p : dirty) hak_free(p);
    for (int i = 0; i < 200; ++i) {
      auto* p = static_cast<unsigned char*>(hak_calloc(1, size));
      ASSERT_NE(p, nullptr);
      for (size_t j = 0; j < size; ++j) ASSERT_EQ(p[j], 0) << size << " at " << j;
      dirty[i] = p;
    }
    for (void* p : dirty) hak_free(p);
  }
}

TEST(Api, CallocRejectsOverflow) {
  errno = 0;
  EXPECT_EQ(hak_calloc(SIZE_MAX / 2, 3), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(hak_calloc(size_t{1} << 33, size_t{1} << 33), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  void* p = hak_calloc(0, 10);
  EXPECT_NE(p, nullptr);
  hak_free(p);
}

TEST(Api, ReallocKeepsContentsAcrossClassesAndLarge) {
  const std::vector<size_t> sizes = {1,     16,    17,     200,     1000, 1024, 5000,
                                     32768, 32769, 200000, 3000000, 100,  8};
  void* p = hak_malloc(sizes[0]);
  size_t have = sizes[0];
  auto* b = static_cast<uint8_t*>(p);
  b[0] = 0x5A;
  for (size_t i = 1; i < sizes.size(); ++i) {
    size_t want = sizes[i];
    p = hak_realloc(p, want);
    ASSERT_NE(p, nullptr);
    b = static_cast<uint8_t*>(p);
    size_t keep = want < have ? want : have;
    // Each step wrote a known prefix; it must survive the move.
    for (size_t j = 0; j < keep; ++j) ASSERT_EQ(b[j], static_cast<uint8_t>(j * 13 + 0x5A)) << want;
    for (size_t j = 0; j < want; ++j) b[j] = static_cast<uint8_t>(j * 13 + 0x5A);
    have = want;
  }
  hak_free(p);
}

TEST(Api, ReallocEdgeCases) {
  void* p = hak_realloc(nullptr, 100);  // like malloc
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(hak_realloc(p, 0), nullptr);  // frees, like glibc
  void* q = hak_malloc(64);
  errno = 0;
  EXPECT_EQ(hak_realloc(q, SIZE_MAX - 100), nullptr);  // failure leaves q intact
  EXPECT_EQ(errno, ENOMEM);
  memset(q, 1, 64);
  hak_free(q);
}

TEST(Api, PmrResourceServesContainers) {
  std::pmr::vector<std::pmr::string> v(hakmem::memory_resource());
  for (int i = 0; i < 1000; ++i) v.emplace_back(std::string(static_cast<size_t>(i % 200), 'x'));
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(v[static_cast<size_t>(i)].size(), static_cast<size_t>(i % 200));
  void* p = hakmem::memory_resource()->allocate(100, 256);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 256, 0u);
  hakmem::memory_resource()->deallocate(p, 100, 256);
  EXPECT_TRUE(hakmem::memory_resource()->is_equal(*hakmem::memory_resource()));
}

TEST(Options, EnumeratesGetsAndSets) {
  ASSERT_EQ(hak_option_count(), 13u);
  for (size_t i = 0; i < hak_option_count(); ++i) {
    const char* name = hak_option_name(i);
    ASSERT_NE(name, nullptr);
    int64_t v;
    EXPECT_EQ(hak_option_get(name, &v), 0) << name;
    EXPECT_NE(hak_option_help(name), nullptr);
  }
  EXPECT_EQ(hak_option_name(hak_option_count()), nullptr);
  ScopedOption keep("purge_delay_ms", 10);
  EXPECT_EQ(hak_option_set("purge_delay_ms", 250, nullptr, 0), 0);
  int64_t v = 0;
  hak_option_get("purge_delay_ms", &v);
  EXPECT_EQ(v, 250);
}

TEST(Options, RejectsUnknownNamesAndOutOfRangeValuesWithAMessage) {
  char err[256] = "";
  EXPECT_EQ(hak_option_set("no_such_option", 1, err, sizeof err), EINVAL);
  EXPECT_NE(std::string(err).find("no_such_option"), std::string::npos);
  int64_t before = 0;
  hak_option_get("must_reuse_budget", &before);
  EXPECT_EQ(hak_option_set("must_reuse_budget", 0, err, sizeof err), EINVAL);
  EXPECT_NE(std::string(err).find("must_reuse_budget"), std::string::npos);
  EXPECT_NE(std::string(err).find("1..1024"), std::string::npos);
  EXPECT_EQ(hak_option_check("must_reuse_budget", 5000, err, sizeof err), EINVAL);
  EXPECT_EQ(hak_option_check("must_reuse_budget", 8, err, sizeof err), 0);
  int64_t after = 0;
  hak_option_get("must_reuse_budget", &after);
  EXPECT_EQ(before, after);  // nothing changed
  EXPECT_EQ(hak_option_set_text("purge_delay_ms", "12abc", err, sizeof err), EINVAL);
  EXPECT_NE(std::string(err).find("purge_delay_ms"), std::string::npos);
}

TEST(Options, RoutesByNameAndNumber) {
  ScopedRoute keep(HAK_ROUTE_S);
  hak_route r;
  EXPECT_EQ(hak_route_parse("p", &r), 0);
  EXPECT_EQ(r, HAK_ROUTE_P);
  EXPECT_EQ(hak_route_parse("cda", &r), 0);
  EXPECT_EQ(r, HAK_ROUTE_CDA);
  EXPECT_EQ(hak_route_parse("Q", &r), EINVAL);
  EXPECT_EQ(hak_set_route(static_cast<hak_route>(7)), EINVAL);
  EXPECT_EQ(hak_option_set_text("route", "P", nullptr, 0), 0);
  EXPECT_EQ(hak_get_route(), HAK_ROUTE_P);
  EXPECT_STREQ(hak_route_name(HAK_ROUTE_CDA), "CDA");
  EXPECT_EQ(hak_option_set_text("route", "X", nullptr, 0), EINVAL);
  EXPECT_EQ(hak_get_route(), HAK_ROUTE_P);
}

TEST(Counters, SnapshotJsonAndReset) {
  std::vector<void*> keep;
  for (int i = 0; i < 1000; ++i) keep.push_back(hak_malloc(100));
  hak_counters c = counters();
  EXPECT_EQ(c.version, HAK_COUNTERS_VERSION);
  EXPECT_EQ(c.size, sizeof(hak_counters));
  EXPECT_GE(c.mallocs, 1000u);
  EXPECT_GE(c.bytes_in_use, 1000u * 112);
  EXPECT_GE(c.bytes_committed, c.bytes_in_use);
  char buf[8192];
  size_t need = hak_counters_json(&c, buf, sizeof buf);
  ASSERT_LT(need, sizeof buf);
  std::string json(buf);
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  for (size_t i = 0; hak_counter_name(i) != nullptr; ++i) {
    EXPECT_NE(json.find(std::string("\"") + hak_counter_name(i) + "\":"), std::string::npos);
    EXPECT_NE(hak_counter_description(i), nullptr);
  }
  EXPECT_NE(json.find("\"page_reuse_rate\":"), std::string::npos);
  char tiny[8];
  EXPECT_EQ(hak_counters_json(&c, tiny, sizeof tiny), need);  // reports the full length
  EXPECT_EQ(strlen(tiny), sizeof tiny - 1);

  hak_counters_reset();
  hak_counters after = counters();
  EXPECT_EQ(after.mallocs, 0u);
  EXPECT_EQ(after.new_pages, 0u);
  EXPECT_GE(after.bytes_in_use, 1000u * 112);  // gauges survive a reset
  for (void* p : keep) hak_free(p);
  hak_counters end = counters();
  EXPECT_EQ(end.frees_local + end.frees_remote, 1000u);
}

TEST(Counters, PageReuseRate) {
  hak_counters c{};
  EXPECT_DOUBLE_EQ(hak_page_reuse_rate(&c), 1.0);
  c.mustreuse_hits = 90;
  c.partial_hits = 7;
  c.new_pages = 3;
  EXPECT_DOUBLE_EQ(hak_page_reuse_rate(&c), 0.97);
}

TEST(Api, ClassStatsCountBlocksAndPagesOfEachClass) {
  hak_class_stats before, after;
  size_t cls = 0;
  for (; cls < hak_class_count(); ++cls) {
    ASSERT_EQ(hak_class_stats_get(cls, &before), 0);
    if (before.block_size >= 100) break;
  }
  std::vector<void*> blocks;
  for (int i = 0; i < 2000; ++i) blocks.push_back(hak_malloc(before.block_size));
  ASSERT_EQ(hak_class_stats_get(cls, &after), 0);
  EXPECT_GE(after.mallocs - before.mallocs, 2000u);
  EXPECT_GE(after.pages_taken, before.pages_taken + 1);
  EXPECT_GE(after.pages_in_use, 1);
  for (void* p : blocks) hak_free(p);
  ASSERT_EQ(hak_class_stats_get(cls, &after), 0);
  EXPECT_GE(after.frees - before.frees, 2000u);
  EXPECT_EQ(hak_class_stats_get(hak_class_count(), &after), -1);
}
