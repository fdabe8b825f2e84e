// INFO's text: Redis' "# Section" headers and key:value lines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "stats.h"
#include "store.h"

namespace hakmem::server {

struct KeyspaceStats {
  uint64_t keys = 0;
  uint64_t expires = 0;     // keys with a TTL
  uint64_t avg_ttl_ms = 0;  // mean remaining TTL of those (exact: the scan sees every key)
};
// One pass over the store (O(keys), like DBSIZE); expired keys are not counted.
KeyspaceStats keyspace_stats(Store& store);

// sections: empty, "default", "all" or "everything" for every section; otherwise the named ones
// (server, clients, stats, memory, persistence, keyspace), case-insensitive.
std::string build_info(const std::vector<std::string>& sections, const StatsSnapshot& stats,
                       const ServerConfig& config, Store& store);

}  // namespace hakmem::server
