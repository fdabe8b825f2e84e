// The server-wide state the introspection commands (CLIENT, CONFIG, SLOWLOG, MEMORY, INFO)
// read and change, reached through CommandContext::introspection. Null in executors built
// without a server (unit tests): those commands then answer an error.
#pragma once

#include <functional>

#include "client_registry.h"
#include "runtime_config.h"
#include "slowlog.h"

namespace hakmem::server {

struct Introspection {
  ClientRegistry& clients;
  Slowlog& slowlog;
  RuntimeConfig& config;
  std::function<void()> reset_stats;  // CONFIG RESETSTAT
};

}  // namespace hakmem::server
