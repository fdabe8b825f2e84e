// The exposition writer (names, escaping, values, histograms) and the scrape's naming rule.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "prometheus_text.h"
#include "scrape.h"

using hakmem::metrics::PrometheusText;

TEST(PrometheusText, FamilyHasHelpAndType) {
  PrometheusText t;
  t.family("a_total", "counter", "line one\nback\\slash");
  t.sample("a_total", uint64_t{7});
  EXPECT_EQ(t.text(),
            "# HELP a_total line one\\nback\\\\slash\n# TYPE a_total counter\na_total 7\n");
}

TEST(PrometheusText, LabelValuesAreEscaped) {
  PrometheusText t;
  t.family("x", "gauge", "h");
  t.sample("x", {{"k", "a\"b\\c\nd"}, {"z", ""}}, 1.5);
  EXPECT_NE(t.text().find("x{k=\"a\\\"b\\\\c\\nd\",z=\"\"} 1.5\n"), std::string::npos) << t.text();
}

TEST(PrometheusText, SpecialValues) {
  EXPECT_EQ(PrometheusText::format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(PrometheusText::format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(PrometheusText::format_value(std::nan("")), "NaN");
  EXPECT_EQ(PrometheusText::format_value(0.1), "0.1");
  EXPECT_EQ(std::stod(PrometheusText::format_value(1.0 / 3)), 1.0 / 3);  // round trip
}

TEST(PrometheusText, RejectsBadNamesAndRepeats) {
  PrometheusText t;
  EXPECT_THROW(t.family("1abc", "gauge", "h"), std::invalid_argument);
  EXPECT_THROW(t.family("a-b", "gauge", "h"), std::invalid_argument);
  EXPECT_THROW(t.family("ok", "summary2", "h"), std::invalid_argument);
  t.family("ok", "gauge", "h");
  EXPECT_THROW(t.family("ok", "gauge", "h"), std::invalid_argument);
  EXPECT_THROW(t.sample("ok", {{"__reserved", "v"}}, 1.0), std::invalid_argument);
  EXPECT_TRUE(PrometheusText::valid_metric_name("a:b_c9"));
  EXPECT_FALSE(PrometheusText::valid_label_name("a:b"));
}

TEST(PrometheusText, HistogramIsCumulativeWithInf) {
  PrometheusText t;
  t.histogram("lat_seconds", "h", {0.001, 0.01}, {2, 5}, 6, 0.25);
  EXPECT_EQ(t.text(),
            "# HELP lat_seconds h\n# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{le=\"0.001\"} 2\nlat_seconds_bucket{le=\"0.01\"} 5\n"
            "lat_seconds_bucket{le=\"+Inf\"} 6\nlat_seconds_sum 0.25\nlat_seconds_count 6\n");
  EXPECT_THROW(t.histogram("h2", "h", {1.0}, {}, 0, 0), std::invalid_argument);
}

TEST(ScrapeNames, EventsTotalGaugesInBytes) {
  using hakmem::metrics::allocator_metric_name;
  EXPECT_EQ(allocator_metric_name("mallocs", false), "hakmem_mallocs_total");
  EXPECT_EQ(allocator_metric_name("large_alloc_bytes", false), "hakmem_large_alloc_bytes_total");
  EXPECT_EQ(allocator_metric_name("bytes_in_use", true), "hakmem_bytes_in_use_bytes");
  EXPECT_EQ(allocator_metric_name("x_bytes", true), "hakmem_x_bytes");
}

TEST(LatencyBuckets, ExactAtPowerOfTwoEdges) {
  hakmem::server::LatencyHistogram h;
  h.record(1023);  // <= 2^10 - 1
  h.record(1024);  // the next edge
  h.record(5000);
  h.record(uint64_t{1} << 40);  // beyond the last edge: only in the total
  auto b = h.buckets(10, 13);
  ASSERT_EQ(b.upper_ns, (std::vector<uint64_t>{1023, 2047, 4095, 8191}));
  EXPECT_EQ(b.cumulative, (std::vector<uint64_t>{1, 2, 2, 3}));
  EXPECT_EQ(b.count, 4u);
  EXPECT_EQ(b.sum_ns, 1023u + 1024 + 5000 + (uint64_t{1} << 40));
}
