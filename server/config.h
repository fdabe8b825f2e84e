// Everything the server is configured with (flags in main.cpp; tests build it directly).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

#include "store.h"

namespace hakmem::server {

struct ServerConfig {
  std::string bind = "127.0.0.1";
  uint16_t port = 7379;  // 0: any free port, see Server::port()
  unsigned io_threads = 1;
  unsigned workers = std::thread::hardware_concurrency() ? std::thread::hardware_concurrency() : 1;
  size_t queue_capacity = 4096;  // requests waiting for a worker, all connections together

  std::string arena;  // empty: default_arena_name()
  std::string route = "P";

  StoreOptions store;

  std::string requirepass;
  size_t max_clients = 10000;
  size_t max_request_bytes = 64u << 20;
  size_t max_pipeline = 1024;          // requests in flight per connection before reading pauses
  size_t max_output_bytes = 4u << 20;  // unsent reply bytes per connection before reading pauses
  size_t max_reply_bytes = 0;          // one reply; larger ones get -ERR (0: 16 x max_output_bytes)
  size_t max_total_output_bytes = 512u << 20;  // replies built and unsent, whole server
  unsigned idle_timeout_s = 0;                 // 0: never
  unsigned shutdown_timeout_s = 10;  // in-flight requests get this long to finish on SIGTERM
};

}  // namespace hakmem::server
