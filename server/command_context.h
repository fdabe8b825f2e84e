// What a command handler works with, and the helpers several command groups share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "arena.h"
#include "command_table.h"
#include "config.h"
#include "key_locks.h"
#include "request.h"
#include "resp_writer.h"
#include "session.h"
#include "stats.h"
#include "store.h"
#include "value_codec.h"

namespace hakmem::server {

class CommandCounters;
struct Introspection;

struct CommandContext {
  Store& store;
  Arena& arena;  // the one requests come from; written values move from them into the store
  const ServerConfig& config;
  const ServerIntrospection& server;
  CommandCounters& counters;
  KeyLocks& locks;
  Session* session = nullptr;              // set only for RunsOn::kConnection commands
  Introspection* introspection = nullptr;  // the server's clients, slowlog, parameters
};

inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";

bool equals_ci(std::string_view a, std::string_view b);
// Redis' string2ll: the whole text, no spaces or '+', fits in 64 bits.
bool parse_int64(std::string_view text, int64_t* out);
// Redis' string2d: a number (or inf), not NaN.
bool parse_double(std::string_view text, double* out);
// Redis 7.0's reply text for a double (integers without a fraction, else %.17g).
std::string format_double(double value);
// Redis' start/stop indexes (negative from the end) over a length: false when the range is
// empty, else *first..*last (inclusive) within [0, length).
bool clamp_range(int64_t start, int64_t stop, size_t length, size_t* first, size_t* last);

std::string wrong_arity_error(std::string_view command);
std::string unknown_command_error(const Request& request);
std::string unknown_subcommand_error(std::string_view subcommand, std::string_view command);

// Reads a live (not expired) value; false when absent. key_locked: the caller holds the key's
// stripe (and will overwrite it), so an expired value is left for the caller.
// type: the key's type (the value is a string's bytes only when it is kString).
bool read_live(CommandContext& ctx, std::string_view key, std::string* stored,
               std::string_view* value, int64_t* expire_at, bool key_locked = false,
               KeyType* type = nullptr);
// Under the key's lock: the live key's type, kNone when absent (an expired key is removed).
KeyType locked_type(CommandContext& ctx, std::string_view key, int64_t* expire_at = nullptr);
// Under the key's lock: true when the key holds `type` (*exists) or is absent; else replies
// WRONGTYPE and returns false.
bool check_type(CommandContext& ctx, std::string_view key, KeyType type, RespWriter& out,
                bool* exists = nullptr);
// Readers that meet an expired key delete it, so keys nobody writes again do not stay forever.
void remove_if_expired(CommandContext& ctx, std::string_view key);
// The value argument i, moved out of the request with its stored-value header in front.
OwnedBytes take_value(CommandContext& ctx, Request& r, size_t i, int64_t expire_at);

}  // namespace hakmem::server
