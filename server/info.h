// INFO's text: Redis' "# Section" headers and key:value lines.
#pragma once

#include <string>
#include <vector>

#include "config.h"
#include "stats.h"
#include "store.h"

namespace hakmem::server {

// sections: empty, "default", "all" or "everything" for every section; otherwise the named ones
// (server, clients, stats, memory, persistence), case-insensitive.
std::string build_info(const std::vector<std::string>& sections, const StatsSnapshot& stats,
                       const ServerConfig& config, Store& store);

}  // namespace hakmem::server
