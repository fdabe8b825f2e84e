// The adaptive purge delay keeps free pages committed only up to the live set's recent swing
// (demand_swing.hpp, page_keep_budget): beyond it the oldest free pages wait purge_delay_ms.
// White-box, in a binary of its own: the delay is raised by regrets at made-up times, and the
// page allocator's purge is called with a clock past purge_delay_ms but within that delay.
#include <gtest/gtest.h>

#include "demand_swing.hpp"
#include "os.hpp"
#include "page_allocator.hpp"
#include "test_util.hpp"

using namespace hakmem;
using namespace hakmem::test;

namespace {

constexpr uint64_t kMs = 1000000;
constexpr uint64_t kMiB = 1 << 20;

TEST(DemandSwing, ALevelLiveSetHasNoSwing) {
  DemandSwing s;
  uint64_t t = 10'000 * kMs;
  for (int i = 0; i < 300; ++i) EXPECT_EQ(s.sample(t + i * 10 * kMs, 10 * kMiB), 0u);
}

TEST(DemandSwing, ASwingCountsForTwoBucketsThenFades) {
  DemandSwing s;
  uint64_t t = 10'000 * kMs;
  s.sample(t, 1 * kMiB);
  EXPECT_EQ(s.sample(t + 100 * kMs, 30 * kMiB), 29 * kMiB);
  EXPECT_EQ(s.sample(t + 200 * kMs, 2 * kMiB), 29 * kMiB);
  // Next bucket: the previous one still counts.
  EXPECT_EQ(s.sample(t + 600 * kMs, 5 * kMiB), 29 * kMiB);
  // Two buckets on, only the level samples remain.
  EXPECT_EQ(s.sample(t + 1200 * kMs, 5 * kMiB), 0u);
}

TEST(PurgeBudget, FreePagesBeyondTheBudgetWaitOnlyThePurgeDelay) {
  ScopedOption delay("purge_delay_ms", 10);
  uint64_t now = os::now_ns();
  ASSERT_GT(now, 60'000 * kMs);  // the made-up regrets lie in the past
  purge_delay_in_use_ns(now);    // takes purge_delay_ms as the base
  // Pages purged and needed again within the delay, 2 s apart: each regret doubles it.
  for (uint64_t t = now - 40'000 * kMs; t < now - 20'000 * kMs; t += 2'000 * kMs) {
    purge_regret(t, 0);
  }
  ASSERT_GE(purge_delay_in_use_ns(now), 500 * kMs);

  // A free page with 16 OS pages backed, as if its owner had carved it whole.
  Page* page = page_alloc(/*medium=*/false);
  ASSERT_NE(page, nullptr);
  page->backed_os_pages = 16;
  committed_add(16 * kOsPageSize);
  page_free(page);
  ASSERT_TRUE(page->committed);
  uint64_t later = os::now_ns() + 100 * kMs;  // past purge_delay_ms, within the raised delay

  page_keep_budget(UINT64_MAX);  // no bound: the raised delay holds it
  page_purge(later, Purge::kSlowPath);
  EXPECT_TRUE(page->committed);
  page_keep_budget(16 * kOsPageSize);  // it fits the budget
  page_purge(later, Purge::kSlowPath);
  EXPECT_TRUE(page->committed);
  page_keep_budget(0);  // a level live set: nothing to keep it for
  EXPECT_EQ(page_purge(later, Purge::kSlowPath), 16 * kOsPageSize);
  EXPECT_FALSE(page->committed);
  page_keep_budget(UINT64_MAX);
}

}  // namespace
