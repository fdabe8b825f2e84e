// String commands: SET, GET, INCR, INCRBY, MSET, MGET.
#include <charconv>
#include <limits>
#include <mutex>

#include "command_context.h"
#include "command_table.h"
#include "value_codec.h"

namespace hakmem::server {
namespace {

void cmd_get(CommandContext& ctx, Request& r, RespWriter& out) {
  thread_local std::string stored;
  std::string_view value;
  if (!read_live(ctx, r.arg(1), &stored, &value, nullptr)) return out.null_bulk();
  out.bulk(value);
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
  bool exists = read_live(ctx, key, &stored, &old_value, &old_expire, true);
  if (get) {
    // The reply carries the old value (or nil) whether or not the write happens.
    exists ? out.bulk(old_value) : out.null_bulk();
  }
  if ((nx && exists) || (xx && !exists)) {
    if (!get) out.null_bulk();
    return;
  }
  if (keep_ttl && exists) expire_at = old_expire;
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
  if (read_live(ctx, key, &stored, &value, &expire_at, true) && !parse_int64(value, &current)) {
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
  std::vector<std::pair<std::string_view, OwnedBytes>> kvs;
  kvs.reserve((r.argc - 1) / 2);
  for (size_t i = 1; i < r.argc; i += 2) kvs.emplace_back(r.arg(i), take_value(ctx, r, i + 1, 0));
  ctx.store.put_many(std::move(kvs));
  out.ok();
}

void cmd_mget(CommandContext& ctx, Request& r, RespWriter& out) {
  out.array(r.argc - 1);
  thread_local std::string stored;
  for (size_t i = 1; i < r.argc; ++i) {
    std::string_view value;
    if (read_live(ctx, r.arg(i), &stored, &value, nullptr)) {
      out.bulk(value);
    } else {
      out.null_bulk();
    }
  }
}

const CommandSpec kCommands[] = {
    {"set", -3, {"write", "denyoom"}, 1, 1, 1, Access::kWrite, cmd_set},
    {"get", 2, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_get},
    {"incr", 2, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_incr},
    {"incrby", 3, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_incrby},
    {"mset", -3, {"write", "denyoom"}, 1, -1, 2, Access::kWrite, cmd_mset},
    {"mget", -2, {"readonly", "fast"}, 1, -1, 1, Access::kRead, cmd_mget},
};

}  // namespace

std::span<const CommandSpec> string_commands() {
  return kCommands;
}

}  // namespace hakmem::server
