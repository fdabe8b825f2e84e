// String commands: SET, GET, INCR, INCRBY, MSET, MGET, SETEX, PSETEX, SETNX, GETSET, GETDEL,
// APPEND, STRLEN.
#include <charconv>
#include <limits>
#include <mutex>
#include <optional>
#include <vector>

#include "command_context.h"
#include "command_table.h"
#include "value_codec.h"

namespace hakmem::server {
namespace {

void cmd_get(CommandContext& ctx, Request& r, RespWriter& out) {
  thread_local std::string stored;
  std::string_view value;
  KeyType type;
  if (!read_live(ctx, r.arg(1), &stored, &value, nullptr, false, &type)) return out.null_bulk();
  if (type != KeyType::kString) return out.error(kWrongType);
  if (!out.reserve_reply(bulk_reply_size(value.size()))) return;
  out.bulk(value);
}

// A string under the caller's key lock; false (and a reply) when the key holds another type.
bool locked_string(CommandContext& ctx, std::string_view key, std::string* stored,
                   std::string_view* value, int64_t* expire_at, bool* exists, RespWriter& out) {
  KeyType type;
  *exists = read_live(ctx, key, stored, value, expire_at, true, &type);
  if (*exists && type != KeyType::kString) {
    out.error(kWrongType);
    return false;
  }
  return true;
}

// Replaces whatever the key holds by a string (a collection goes first, with its contents).
void put_string(CommandContext& ctx, std::string_view key, OwnedBytes value) {
  thread_local std::string stored;
  if (ctx.store.get(key, &stored) && decode_value(stored).type != KeyType::kString) {
    ctx.store.remove(key);
  }
  ctx.store.put_owned(key, std::move(value));
}

void put_string(CommandContext& ctx, std::string_view key, std::string_view value,
                int64_t expire_at) {
  thread_local std::string encoded;
  encode_value(&encoded, value, expire_at);
  put_string(ctx, key, OwnedBytes(ctx.arena, arena_bytes_copy(ctx.arena, encoded)));
}

void cmd_set(CommandContext& ctx, Request& r, RespWriter& out) {
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
  std::lock_guard lock(ctx.locks.lock_for(key));
  thread_local std::string stored;
  std::string_view old_value;
  int64_t old_expire = 0;
  KeyType type;
  bool exists = read_live(ctx, key, &stored, &old_value, &old_expire, true, &type);
  if (get && exists && type != KeyType::kString) return out.error(kWrongType);
  if (get && exists && !out.reserve_reply(bulk_reply_size(old_value.size()))) return;
  if (get) {
    // The reply carries the old value (or nil) whether or not the write happens.
    exists ? out.bulk(old_value) : out.null_bulk();
  }
  if ((nx && exists) || (xx && !exists)) {
    if (!get) out.null_bulk();
    return;
  }
  if (keep_ttl && exists) expire_at = old_expire;
  if (exists && type != KeyType::kString) ctx.store.remove(key);
  ctx.store.put_owned(key, take_value(ctx, r, 2, expire_at));  // the parsed buffer, not a copy
  if (!get) out.ok();
}

void incr_by(CommandContext& ctx, Request& r, int64_t by, RespWriter& out) {
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  thread_local std::string stored;
  std::string_view value;
  int64_t expire_at = 0;
  int64_t current = 0;
  bool exists;
  if (!locked_string(ctx, key, &stored, &value, &expire_at, &exists, out)) return;
  if (exists && !parse_int64(value, &current)) return out.error(kNotInteger);
  int64_t next = 0;
  if (__builtin_add_overflow(current, by, &next)) {
    return out.error("ERR increment or decrement would overflow");
  }
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), next);
  (void)ec;
  thread_local std::string encoded;
  encode_value(&encoded, std::string_view(digits, static_cast<size_t>(end - digits)), expire_at);
  ctx.store.put(key, encoded);
  out.integer(next);
}

void cmd_incr(CommandContext& ctx, Request& r, RespWriter& out) {
  incr_by(ctx, r, 1, out);
}

void cmd_incrby(CommandContext& ctx, Request& r, RespWriter& out) {
  int64_t by = 0;
  if (!parse_int64(r.arg(2), &by)) return out.error(kNotInteger);
  incr_by(ctx, r, by, out);
}

void cmd_mset(CommandContext& ctx, Request& r, RespWriter& out) {
  if (r.argc % 2 == 0) return out.error(wrong_arity_error("mset"));
  std::vector<size_t> stripes;
  for (size_t i = 1; i < r.argc; i += 2) stripes.push_back(ctx.locks.stripe_of(r.arg(i)));
  KeyLocks::Multi lock(ctx.locks, std::move(stripes));
  thread_local std::string stored;
  for (size_t i = 1; i < r.argc; i += 2) {  // a collection goes with its contents
    if (ctx.store.get(r.arg(i), &stored) && decode_value(stored).type != KeyType::kString) {
      ctx.store.remove(r.arg(i));
    }
  }
  std::vector<std::pair<std::string_view, OwnedBytes>> kvs;
  kvs.reserve((r.argc - 1) / 2);
  for (size_t i = 1; i < r.argc; i += 2) kvs.emplace_back(r.arg(i), take_value(ctx, r, i + 1, 0));
  ctx.store.put_many(std::move(kvs));
  out.ok();
}

// The reply's size is known before it is built: a first pass reads the sizes (keeping small
// values for the second pass), so an oversized reply is refused without being built.
void cmd_mget(CommandContext& ctx, Request& r, RespWriter& out) {
  constexpr size_t kKeptBytes = 64 * 1024;
  thread_local std::string stored;
  thread_local std::vector<std::optional<std::string>> kept;
  kept.clear();
  auto read = [&](size_t i, std::string_view* value) {
    KeyType type;
    return read_live(ctx, r.arg(i), &stored, value, nullptr, false, &type) &&
           type == KeyType::kString;
  };
  size_t total = resp_header_size(r.argc - 1);
  size_t kept_bytes = 0;
  for (size_t i = 1; i < r.argc; ++i) {
    std::string_view value;
    if (!read(i, &value)) {
      total += 5;  // $-1
      kept.emplace_back();
      continue;
    }
    total += bulk_reply_size(value.size());
    kept_bytes += value.size();
    if (kept_bytes <= kKeptBytes) kept.emplace_back(std::string(value));
  }
  const bool all_kept = kept_bytes <= kKeptBytes;
  if (!out.reserve_reply(total)) return;
  out.array(r.argc - 1);
  for (size_t i = 1; i < r.argc; ++i) {
    std::string_view value;
    bool found = false;
    if (all_kept) {
      found = kept[i - 1].has_value();
      if (found) value = *kept[i - 1];
    } else {
      found = read(i, &value);
    }
    // Values written between the passes may have grown: the limit still holds.
    if (found && out.size() + bulk_reply_size(value.size()) > total &&
        !out.reserve_reply(out.size() + bulk_reply_size(value.size()))) {
      return;
    }
    found ? out.bulk(value) : out.null_bulk();
  }
}

// SETEX key seconds value, PSETEX key milliseconds value.
void set_with_expiry(CommandContext& ctx, Request& r, bool seconds, RespWriter& out) {
  int64_t amount = 0;
  if (!parse_int64(r.arg(2), &amount)) return out.error(kNotInteger);
  int64_t limit = std::numeric_limits<int64_t>::max() / 2 / (seconds ? 1000 : 1);
  if (amount <= 0 || amount > limit) {
    return out.error(std::string("ERR invalid expire time in '") + (seconds ? "setex" : "psetex") +
                     "' command");
  }
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  put_string(ctx, key,
             take_value(ctx, r, 3, unix_millis_now() + (seconds ? amount * 1000 : amount)));
  out.ok();
}

void cmd_setex(CommandContext& ctx, Request& r, RespWriter& out) {
  set_with_expiry(ctx, r, true, out);
}

void cmd_psetex(CommandContext& ctx, Request& r, RespWriter& out) {
  set_with_expiry(ctx, r, false, out);
}

void cmd_setnx(CommandContext& ctx, Request& r, RespWriter& out) {
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  if (locked_type(ctx, key) != KeyType::kNone) return out.integer(0);
  ctx.store.put_owned(key, take_value(ctx, r, 2, 0));
  out.integer(1);
}

void cmd_getset(CommandContext& ctx, Request& r, RespWriter& out) {
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  thread_local std::string stored;
  std::string_view old_value;
  bool exists;
  if (!locked_string(ctx, key, &stored, &old_value, nullptr, &exists, out)) return;
  if (exists && !out.reserve_reply(bulk_reply_size(old_value.size()))) return;
  exists ? out.bulk(old_value) : out.null_bulk();
  ctx.store.put_owned(key, take_value(ctx, r, 2, 0));  // GETSET drops the TTL, as in Redis
}

void cmd_getdel(CommandContext& ctx, Request& r, RespWriter& out) {
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  thread_local std::string stored;
  std::string_view value;
  bool exists;
  if (!locked_string(ctx, key, &stored, &value, nullptr, &exists, out)) return;
  if (!exists) return out.null_bulk();
  if (!out.reserve_reply(bulk_reply_size(value.size()))) return;
  out.bulk(value);
  ctx.store.remove(key);
}

void cmd_append(CommandContext& ctx, Request& r, RespWriter& out) {
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  thread_local std::string stored;
  std::string_view value;
  int64_t expire_at = 0;
  bool exists;
  if (!locked_string(ctx, key, &stored, &value, &expire_at, &exists, out)) return;
  if (value.size() + r.arg(2).size() > ctx.config.max_request_bytes) {
    return out.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
  std::string joined(exists ? value : std::string_view());
  joined.append(r.arg(2));
  put_string(ctx, key, joined, expire_at);
  out.integer(static_cast<int64_t>(joined.size()));
}

void cmd_strlen(CommandContext& ctx, Request& r, RespWriter& out) {
  thread_local std::string stored;
  std::string_view value;
  KeyType type;
  if (!read_live(ctx, r.arg(1), &stored, &value, nullptr, false, &type)) return out.integer(0);
  if (type != KeyType::kString) return out.error(kWrongType);
  out.integer(static_cast<int64_t>(value.size()));
}

const CommandSpec kCommands[] = {
    {"set", -3, {"write", "denyoom"}, 1, 1, 1, Access::kWrite, cmd_set},
    {"get", 2, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_get},
    {"incr", 2, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_incr},
    {"incrby", 3, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_incrby},
    {"mset", -3, {"write", "denyoom"}, 1, -1, 2, Access::kWrite, cmd_mset},
    {"mget", -2, {"readonly", "fast"}, 1, -1, 1, Access::kRead, cmd_mget},
    {"setex", 4, {"write", "denyoom"}, 1, 1, 1, Access::kWrite, cmd_setex},
    {"psetex", 4, {"write", "denyoom"}, 1, 1, 1, Access::kWrite, cmd_psetex},
    {"setnx", 3, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_setnx},
    {"getset", 3, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_getset},
    {"getdel", 2, {"write", "fast"}, 1, 1, 1, Access::kWrite, cmd_getdel},
    {"append", 3, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_append},
    {"strlen", 2, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_strlen},
};

}  // namespace

std::span<const CommandSpec> string_commands() {
  return kCommands;
}

}  // namespace hakmem::server
