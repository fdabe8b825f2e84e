// The command table: one row per command with everything the pipeline needs to know about it
// (arity, flags, keys, what it touches, where it runs) and its handler. A request is looked up
// once, when its connection parses it; the footprint, the auth gate and the executor then read
// the row. Adding a command: a handler in the commands_<group>.cpp of its group and one row in
// that group's table.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace hakmem::server {

struct CommandContext;
struct Request;
class RespWriter;

using CommandHandler = void (*)(CommandContext& ctx, Request& request, RespWriter& out);

// What a request does to the keyspace, for the footprint rules (footprint.h).
enum class Access : uint8_t {
  kNone,   // touches no key (PING, INFO, CONFIG)
  kRead,   // reads its keys (or every key when first_key == 0)
  kWrite,  // writes its keys (or every key when first_key == 0)
};

// Where the handler runs. Commands that change the connection's own state (AUTH, QUIT, and
// the like) run on its I/O thread, in request order, with ctx.session set.
enum class RunsOn : uint8_t { kWorker, kConnection };

struct CommandSpec {
  const char* name;                // lower case, as Redis prints it
  int arity;                       // Redis convention: n exact (name included), -n at least n
  std::vector<const char*> flags;  // as COMMAND prints them; "no_auth" skips the AUTH gate
  int first_key, last_key, step;   // Redis convention; first_key 0: no key (or all, see Access)
  Access access;
  CommandHandler handler;
  RunsOn runs_on = RunsOn::kWorker;

  uint32_t id = 0;       // position in all_commands(), set by the table
  bool no_auth = false;  // "no_auth" in flags, set by the table
  bool arity_ok(size_t argc) const {
    return arity >= 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
  }
};

// Each group's rows, defined in its commands_<group>.cpp.
std::span<const CommandSpec> server_commands();
std::span<const CommandSpec> string_commands();
std::span<const CommandSpec> key_commands();
std::span<const CommandSpec> list_commands();
std::span<const CommandSpec> hash_commands();
std::span<const CommandSpec> set_commands();
std::span<const CommandSpec> zset_commands();
std::span<const CommandSpec> client_commands();
std::span<const CommandSpec> introspection_commands();
std::span<const CommandSpec> memory_commands();

// Every command, in group order; spec.id indexes it.
const std::vector<const CommandSpec*>& all_commands();
// Case-insensitive; null for an unknown command.
const CommandSpec* find_command(std::string_view name);

}  // namespace hakmem::server
