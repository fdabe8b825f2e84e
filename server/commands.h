// The command table and the executor a worker runs each request through.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

#include "config.h"
#include "key_locks.h"
#include "request.h"
#include "resp_writer.h"
#include "stats.h"
#include "store.h"

namespace hakmem::server {

struct CommandSpec {
  const char* name;  // lower case, as Redis prints it
  int arity;         // Redis convention: n exact (name included), -n at least n
  std::vector<const char*> flags;
  int first_key, last_key, step;
};

const std::vector<CommandSpec>& command_specs();
// Index into command_specs(), or -1. Case-insensitive.
int find_command(std::string_view name);
bool arity_ok(const CommandSpec& spec, size_t argc);

// Calls per command (index as command_specs()), plus unknown commands at the end.
class CommandCounters {
 public:
  void count(int command);  // -1: unknown
  uint64_t total() const;
  std::vector<std::pair<std::string, uint64_t>> nonzero() const;

 private:
  static constexpr size_t kSlots = 32;
  std::array<std::atomic<uint64_t>, kSlots> calls_{};
};

// Redis' error texts, shared with the connection (which answers AUTH and QUIT itself).
std::string wrong_arity_error(std::string_view command);
std::string unknown_command_error(const Request& request);

class CommandExecutor {
 public:
  // arena: the one the requests come from; written values move from them into the store.
  CommandExecutor(Store& store, Arena& arena, const ServerConfig& config,
                  const ServerIntrospection& server, CommandCounters& counters);
  // Runs one request and writes exactly one reply. Never throws for bad input. The values it
  // stores are taken out of the request (see request_take_arg).
  void execute(Request& request, RespWriter& out);

 private:
  void run(int command, Request& request, RespWriter& out);
  void cmd_set(Request& r, RespWriter& out);
  void cmd_get(const Request& r, RespWriter& out);
  void cmd_del(const Request& r, RespWriter& out);
  void cmd_exists(const Request& r, RespWriter& out);
  void cmd_incrby(const Request& r, int64_t by, RespWriter& out);
  void cmd_mset(Request& r, RespWriter& out);
  void cmd_mget(const Request& r, RespWriter& out);
  void cmd_dbsize(RespWriter& out);
  void cmd_flushall(const Request& r, RespWriter& out);
  void cmd_config(const Request& r, RespWriter& out);
  void cmd_select(const Request& r, RespWriter& out);
  void cmd_info(const Request& r, RespWriter& out);
  void cmd_command(const Request& r, RespWriter& out);
  // Reads a live (not expired) value; false when absent. key_locked: the caller holds the key's
  // stripe (and will overwrite it), so an expired value is left for the caller.
  bool read_live(std::string_view key, std::string* stored, std::string_view* value,
                 int64_t* expire_at, bool key_locked = false);
  void remove_if_expired(std::string_view key);

  // The value argument i, moved out of the request with its stored-value header in front.
  OwnedBytes take_value(Request& r, size_t i, int64_t expire_at);

  Store& store_;
  Arena& arena_;
  const ServerConfig& config_;
  const ServerIntrospection& server_;
  CommandCounters& counters_;
  KeyLocks locks_;
};

}  // namespace hakmem::server
