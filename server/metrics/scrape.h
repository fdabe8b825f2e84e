// What a scrape of hakmem-server's /metrics contains: every allocator counter of HAK_COUNTERS
// (so exactly the rows of `hakmem-admin counters`), the server's request counts and service
// latency histogram, and the process's RSS.
#pragma once

#include <string>
#include <string_view>

#include "stats.h"

namespace hakmem::metrics {

// The scrape name of an allocator counter: hakmem_<name>_total for events, hakmem_<name> for
// gauges, with _bytes appended to a gauge of bytes whose name does not end in it already.
std::string allocator_metric_name(std::string_view counter, bool gauge);

// The whole exposition text for one snapshot of the server (allocator counters included when
// the server is built with hakmem).
std::string render_scrape(const server::StatsSnapshot& stats);

}  // namespace hakmem::metrics
