// The executor a worker (or, for connection commands, the I/O thread) runs each request
// through, and the per-command call counters. The commands themselves are in command_table.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "command_context.h"
#include "command_table.h"
#include "introspection.h"

namespace hakmem::server {

// Calls per command (by CommandSpec::id), plus unknown commands.
class CommandCounters {
 public:
  CommandCounters();
  void count(const CommandSpec* command);  // null: unknown
  uint64_t total() const;
  std::vector<std::pair<std::string, uint64_t>> nonzero() const;
  void reset();  // CONFIG RESETSTAT

 private:
  size_t slots_;  // one per command, the last for unknown ones
  std::unique_ptr<std::atomic<uint64_t>[]> calls_;
};

// Looks the request's command up, once (request.command).
void request_bind_command(Request& request);

class CommandExecutor {
 public:
  // arena: the one the requests come from; written values move from them into the store.
  CommandExecutor(Store& store, Arena& arena, const ServerConfig& config,
                  const ServerIntrospection& server, CommandCounters& counters);
  // Runs one request and writes exactly one reply. Never throws for bad input. The values it
  // stores are taken out of the request (see request_take_arg). session: the connection's
  // state, given for RunsOn::kConnection commands (run on the connection's thread).
  void execute(Request& request, RespWriter& out, Session* session = nullptr);

  KeyLocks& locks() { return locks_; }
  // The server's registry, slowlog and parameters; until set, the executor's own (tests).
  void set_introspection(Introspection* introspection) { introspection_ = introspection; }

 private:
  // What an executor without a server introspects: itself.
  struct OwnIntrospection {
    explicit OwnIntrospection(const ServerConfig& config);
    RuntimeLimits limits;
    ClientRegistry clients;
    Slowlog slowlog;
    RuntimeConfig config;
    Introspection view;
  };

  Store& store_;
  Arena& arena_;
  const ServerConfig& config_;
  const ServerIntrospection& server_;
  CommandCounters& counters_;
  KeyLocks locks_;
  std::unique_ptr<OwnIntrospection> own_;
  Introspection* introspection_;
};

}  // namespace hakmem::server
