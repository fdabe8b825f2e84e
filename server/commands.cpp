#include "commands.h"

#include <fnmatch.h>
#include <strings.h>

#include <charconv>
#include <limits>
#include <string>

#include "info.h"
#include "value_codec.h"

namespace hakmem::server {
namespace {

enum Command : int {
  kPing,
  kEcho,
  kSet,
  kGet,
  kDel,
  kExists,
  kIncr,
  kIncrBy,
  kMSet,
  kMGet,
  kDbSize,
  kFlushAll,
  kConfig,
  kSelect,
  kInfo,
  kQuit,
  kCommand,
  kAuth,
  kCount
};

bool equals_ci(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Redis' string2ll: the whole text, no spaces or '+', fits in 64 bits.
bool parse_int64(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 20 || text[0] == '+') return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kSyntax = "ERR syntax error";

}  // namespace

const std::vector<CommandSpec>& command_specs() {
  static const std::vector<CommandSpec> specs = {
      {"ping", -1, {"fast"}, 0, 0, 0},
      {"echo", 2, {"fast"}, 0, 0, 0},
      {"set", -3, {"write", "denyoom"}, 1, 1, 1},
      {"get", 2, {"readonly", "fast"}, 1, 1, 1},
      {"del", -2, {"write"}, 1, -1, 1},
      {"exists", -2, {"readonly", "fast"}, 1, -1, 1},
      {"incr", 2, {"write", "denyoom", "fast"}, 1, 1, 1},
      {"incrby", 3, {"write", "denyoom", "fast"}, 1, 1, 1},
      {"mset", -3, {"write", "denyoom"}, 1, -1, 2},
      {"mget", -2, {"readonly", "fast"}, 1, -1, 1},
      {"dbsize", 1, {"readonly", "fast"}, 0, 0, 0},
      {"flushall", -1, {"write"}, 0, 0, 0},
      {"config", -2, {"admin", "noscript", "loading", "stale"}, 0, 0, 0},
      {"select", 2, {"loading", "stale", "fast"}, 0, 0, 0},
      {"info", -1, {"loading", "stale"}, 0, 0, 0},
      {"quit", -1, {"allow_busy", "fast", "no_auth"}, 0, 0, 0},
      {"command", -1, {"loading", "stale"}, 0, 0, 0},
      {"auth", -2, {"noscript", "loading", "stale", "fast", "no_auth"}, 0, 0, 0},
  };
  return specs;
}

int find_command(std::string_view name) {
  const auto& specs = command_specs();
  for (size_t i = 0; i < specs.size(); ++i) {
    if (equals_ci(name, specs[i].name)) return static_cast<int>(i);
  }
  return -1;
}

bool arity_ok(const CommandSpec& spec, size_t argc) {
  return spec.arity >= 0 ? argc == static_cast<size_t>(spec.arity)
                         : argc >= static_cast<size_t>(-spec.arity);
}

void CommandCounters::count(int command) {
  size_t slot = command < 0 ? kSlots - 1 : static_cast<size_t>(command);
  calls_[slot].fetch_add(1, std::memory_order_relaxed);
}

uint64_t CommandCounters::total() const {
  uint64_t sum = 0;
  for (const auto& c : calls_) sum += c.load(std::memory_order_relaxed);
  return sum;
}

std::vector<std::pair<std::string, uint64_t>> CommandCounters::nonzero() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  const auto& specs = command_specs();
  for (size_t i = 0; i < specs.size(); ++i) {
    uint64_t n = calls_[i].load(std::memory_order_relaxed);
    if (n) out.emplace_back(specs[i].name, n);
  }
  uint64_t unknown = calls_[kSlots - 1].load(std::memory_order_relaxed);
  if (unknown) out.emplace_back("unknown", unknown);
  return out;
}

std::string wrong_arity_error(std::string_view command) {
  return "ERR wrong number of arguments for '" + std::string(command) + "' command";
}

std::string unknown_command_error(const Request& r) {
  std::string message = "ERR unknown command '";
  message.append(r.arg(0).substr(0, 128)).append("', with args beginning with: ");
  size_t budget = 128;
  for (size_t i = 1; i < r.argc && budget > 0; ++i) {
    std::string_view arg = r.arg(i).substr(0, budget);
    budget -= arg.size();
    message.append("'").append(arg).append("' ");
  }
  return message;
}

CommandExecutor::CommandExecutor(Store& store, Arena& arena, const ServerConfig& config,
                                 const ServerIntrospection& server, CommandCounters& counters)
    : store_(store), arena_(arena), config_(config), server_(server), counters_(counters) {}

void CommandExecutor::execute(Request& request, RespWriter& out) {
  int command = find_command(request.arg(0));
  counters_.count(command);
  if (command < 0) return out.error(unknown_command_error(request));
  const CommandSpec& spec = command_specs()[command];
  if (!arity_ok(spec, request.argc)) return out.error(wrong_arity_error(spec.name));
  try {
    run(command, request, out);
  } catch (const StoreError& e) {
    out.clear();
    out.error(std::string("ERR store: ") + e.what());
  }
}

void CommandExecutor::run(int command, Request& r, RespWriter& out) {
  switch (command) {
    case kPing:
      if (r.argc > 2) return out.error(wrong_arity_error("ping"));
      return r.argc == 2 ? out.bulk(r.arg(1)) : out.simple("PONG");
    case kEcho:
      return out.bulk(r.arg(1));
    case kSet:
      return cmd_set(r, out);
    case kGet:
      return cmd_get(r, out);
    case kDel:
      return cmd_del(r, out);
    case kExists:
      return cmd_exists(r, out);
    case kIncr:
      return cmd_incrby(r, 1, out);
    case kIncrBy: {
      int64_t by = 0;
      if (!parse_int64(r.arg(2), &by)) return out.error(kNotInteger);
      return cmd_incrby(r, by, out);
    }
    case kMSet:
      return cmd_mset(r, out);
    case kMGet:
      return cmd_mget(r, out);
    case kDbSize:
      return cmd_dbsize(out);
    case kFlushAll:
      return cmd_flushall(r, out);
    case kConfig:
      return cmd_config(r, out);
    case kSelect:
      return cmd_select(r, out);
    case kInfo:
      return cmd_info(r, out);
    case kQuit:  // normally answered by the connection; harmless here
      return out.ok();
    case kCommand:
      return cmd_command(r, out);
    case kAuth:  // answered by the connection, which owns the authentication state
      return out.error("ERR AUTH is handled by the connection");
  }
  out.error(unknown_command_error(r));
}

bool CommandExecutor::read_live(std::string_view key, std::string* stored, std::string_view* value,
                                int64_t* expire_at, bool key_locked) {
  if (!store_.get(key, stored)) return false;
  DecodedValue d = decode_value(*stored);
  if (!d.valid) return false;
  if (d.expired(unix_millis_now())) {
    if (!key_locked) remove_if_expired(key);  // locked callers overwrite the key anyway
    return false;
  }
  if (value) *value = d.value;
  if (expire_at) *expire_at = d.expire_at_ms;
  return true;
}

// Readers that meet an expired key delete it, so keys nobody writes again do not stay forever.
void CommandExecutor::remove_if_expired(std::string_view key) {
  std::lock_guard lock(locks_.lock_for(key));
  std::string stored;
  if (!store_.get(key, &stored)) return;
  DecodedValue d = decode_value(stored);
  if (d.valid && d.expired(unix_millis_now())) store_.remove(key);
}

void CommandExecutor::cmd_get(const Request& r, RespWriter& out) {
  thread_local std::string stored;
  std::string_view value;
  if (!read_live(r.arg(1), &stored, &value, nullptr)) return out.null_bulk();
  out.bulk(value);
}

OwnedBytes CommandExecutor::take_value(Request& r, size_t i, int64_t expire_at) {
  char header[kMaxValueHeader];
  const size_t length = encode_value_header(header, expire_at);
  OwnedBytes value = request_take_arg(r, i, arena_);
  value.prepend(std::string_view(header, length));  // always fits: kArgHeadroom
  return value;
}

void CommandExecutor::cmd_set(Request& r, RespWriter& out) {
  bool nx = false, xx = false, keep_ttl = false, get = false;
  int64_t expire_at = 0;
  bool has_expire = false;
  for (size_t i = 3; i < r.argc; ++i) {
    std::string_view opt = r.arg(i);
    if (equals_ci(opt, "NX") && !xx) {
      nx = true;
    } else if (equals_ci(opt, "XX") && !nx) {
      xx = true;
    } else if (equals_ci(opt, "GET")) {
      get = true;
    } else if (equals_ci(opt, "KEEPTTL") && !has_expire) {
      keep_ttl = true;
    } else if ((equals_ci(opt, "EX") || equals_ci(opt, "PX")) && !has_expire && !keep_ttl &&
               i + 1 < r.argc) {
      int64_t amount = 0;
      if (!parse_int64(r.arg(++i), &amount)) return out.error(kNotInteger);
      bool seconds = equals_ci(opt, "EX");
      int64_t limit = std::numeric_limits<int64_t>::max() / 2 / (seconds ? 1000 : 1);
      if (amount <= 0 || amount > limit) {
        return out.error("ERR invalid expire time in 'set' command");
      }
      expire_at = unix_millis_now() + (seconds ? amount * 1000 : amount);
      has_expire = true;
    } else {
      return out.error(kSyntax);
    }
  }
  std::string_view key = r.arg(1);
  std::lock_guard lock(locks_.lock_for(key));
  thread_local std::string stored;
  std::string_view old_value;
  int64_t old_expire = 0;
  bool exists = read_live(key, &stored, &old_value, &old_expire, true);
  if (get) {
    // The reply carries the old value (or nil) whether or not the write happens.
    exists ? out.bulk(old_value) : out.null_bulk();
  }
  if ((nx && exists) || (xx && !exists)) {
    if (!get) out.null_bulk();
    return;
  }
  if (keep_ttl && exists) expire_at = old_expire;
  store_.put_owned(key, take_value(r, 2, expire_at));  // the parsed buffer, not a copy
  if (!get) out.ok();
}

void CommandExecutor::cmd_del(const Request& r, RespWriter& out) {
  int64_t removed = 0;
  thread_local std::string stored;
  for (size_t i = 1; i < r.argc; ++i) {
    std::string_view key = r.arg(i);
    std::lock_guard lock(locks_.lock_for(key));
    if (!store_.get(key, &stored)) continue;
    DecodedValue d = decode_value(stored);
    if (d.valid && !d.expired(unix_millis_now())) ++removed;
    store_.remove(key);
  }
  out.integer(removed);
}

void CommandExecutor::cmd_exists(const Request& r, RespWriter& out) {
  int64_t found = 0;
  thread_local std::string stored;
  for (size_t i = 1; i < r.argc; ++i) {
    if (read_live(r.arg(i), &stored, nullptr, nullptr)) ++found;
  }
  out.integer(found);
}

void CommandExecutor::cmd_incrby(const Request& r, int64_t by, RespWriter& out) {
  std::string_view key = r.arg(1);
  std::lock_guard lock(locks_.lock_for(key));
  thread_local std::string stored;
  std::string_view value;
  int64_t expire_at = 0;
  int64_t current = 0;
  if (read_live(key, &stored, &value, &expire_at, true) && !parse_int64(value, &current)) {
    return out.error(kNotInteger);
  }
  int64_t next = 0;
  if (__builtin_add_overflow(current, by, &next)) {
    return out.error("ERR increment or decrement would overflow");
  }
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), next);
  (void)ec;
  thread_local std::string encoded;
  encode_value(&encoded, std::string_view(digits, static_cast<size_t>(end - digits)), expire_at);
  store_.put(key, encoded);
  out.integer(next);
}

void CommandExecutor::cmd_mset(Request& r, RespWriter& out) {
  if (r.argc % 2 == 0) return out.error(wrong_arity_error("mset"));
  std::vector<size_t> stripes;
  for (size_t i = 1; i < r.argc; i += 2) stripes.push_back(locks_.stripe_of(r.arg(i)));
  KeyLocks::Multi lock(locks_, std::move(stripes));
  std::vector<std::pair<std::string_view, OwnedBytes>> kvs;
  kvs.reserve((r.argc - 1) / 2);
  for (size_t i = 1; i < r.argc; i += 2) kvs.emplace_back(r.arg(i), take_value(r, i + 1, 0));
  store_.put_many(std::move(kvs));
  out.ok();
}

void CommandExecutor::cmd_mget(const Request& r, RespWriter& out) {
  out.array(r.argc - 1);
  thread_local std::string stored;
  for (size_t i = 1; i < r.argc; ++i) {
    std::string_view value;
    if (read_live(r.arg(i), &stored, &value, nullptr)) {
      out.bulk(value);
    } else {
      out.null_bulk();
    }
  }
}

void CommandExecutor::cmd_dbsize(RespWriter& out) {
  int64_t live = 0;
  int64_t now = unix_millis_now();
  store_.for_each_value([&](std::string_view stored) {
    DecodedValue d = decode_value(stored);
    if (d.valid && !d.expired(now)) ++live;
  });
  out.integer(live);
}

void CommandExecutor::cmd_flushall(const Request& r, RespWriter& out) {
  if (r.argc > 2 ||
      (r.argc == 2 && !equals_ci(r.arg(1), "ASYNC") && !equals_ci(r.arg(1), "SYNC"))) {
    return out.error(kSyntax);
  }
  KeyLocks::Multi lock(locks_, locks_.all_stripes());
  store_.clear();
  out.ok();
}

void CommandExecutor::cmd_config(const Request& r, RespWriter& out) {
  if (!equals_ci(r.arg(1), "GET")) {
    if (equals_ci(r.arg(1), "RESETSTAT")) return out.ok();
    return out.error("ERR unknown subcommand '" + std::string(r.arg(1).substr(0, 128)) +
                     "'. Try CONFIG HELP.");
  }
  if (r.argc < 3) return out.error("ERR wrong number of arguments for 'config|get' command");
  const std::vector<std::pair<std::string, std::string>> params = {
      {"bind", config_.bind},
      {"port", std::to_string(server_.stats().port)},
      {"maxclients", std::to_string(config_.max_clients)},
      {"timeout", std::to_string(config_.idle_timeout_s)},
      {"requirepass", config_.requirepass},
      {"proto-max-bulk-len", std::to_string(config_.max_request_bytes)},
      {"databases", "1"},
      {"save", ""},
      {"appendonly", config_.store.kind == "rocksdb" ? "yes" : "no"},
      {"appendfsync", fsync_policy_name(config_.store.fsync)},
      {"dir", config_.store.data_dir},
      {"maxmemory", "0"},
      {"io-threads", std::to_string(config_.io_threads)},
  };
  std::vector<const std::pair<std::string, std::string>*> matched;
  for (const auto& param : params) {
    for (size_t i = 2; i < r.argc; ++i) {
      std::string pattern(r.arg(i));
      if (fnmatch(pattern.c_str(), param.first.c_str(), FNM_CASEFOLD) == 0) {
        matched.push_back(&param);
        break;
      }
    }
  }
  out.array(matched.size() * 2);
  for (const auto* param : matched) {
    out.bulk(param->first);
    out.bulk(param->second);
  }
}

void CommandExecutor::cmd_select(const Request& r, RespWriter& out) {
  int64_t db = 0;
  if (!parse_int64(r.arg(1), &db)) return out.error(kNotInteger);
  if (db != 0) return out.error("ERR DB index is out of range");
  out.ok();
}

void CommandExecutor::cmd_info(const Request& r, RespWriter& out) {
  std::vector<std::string> sections;
  for (size_t i = 1; i < r.argc; ++i) sections.emplace_back(r.arg(i));
  out.bulk(build_info(sections, server_.stats(), config_, store_));
}

static void write_command_info(const CommandSpec& spec, RespWriter& out) {
  out.array(10);
  out.bulk(spec.name);
  out.integer(spec.arity);
  out.array(spec.flags.size());
  for (const char* flag : spec.flags) out.simple(flag);
  out.integer(spec.first_key);
  out.integer(spec.last_key);
  out.integer(spec.step);
  out.array(0);  // ACL categories
  out.array(0);  // tips
  out.array(0);  // key specs
  out.array(0);  // subcommands
}

void CommandExecutor::cmd_command(const Request& r, RespWriter& out) {
  const auto& specs = command_specs();
  if (r.argc == 1) {
    out.array(specs.size());
    for (const auto& spec : specs) write_command_info(spec, out);
  } else if (equals_ci(r.arg(1), "COUNT") && r.argc == 2) {
    out.integer(static_cast<int64_t>(specs.size()));
  } else if (equals_ci(r.arg(1), "DOCS")) {
    out.array(0);  // no docs: redis-cli falls back to its built-in help
  } else if (equals_ci(r.arg(1), "INFO")) {
    out.array(r.argc - 2);
    for (size_t i = 2; i < r.argc; ++i) {
      int c = find_command(r.arg(i));
      c < 0 ? out.null_array() : write_command_info(specs[c], out);
    }
  } else {
    out.error("ERR unknown subcommand '" + std::string(r.arg(1).substr(0, 128)) +
              "'. Try COMMAND HELP.");
  }
}

}  // namespace hakmem::server
