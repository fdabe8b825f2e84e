// Keyspace commands, for keys of every type: DEL, UNLINK, EXISTS, TYPE, RENAME, RENAMENX,
// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, PERSIST, DBSIZE, FLUSHALL, FLUSHDB, SCAN, KEYS.
#include <fnmatch.h>

#include <charconv>
#include <limits>
#include <mutex>
#include <optional>

#include "command_context.h"
#include "command_table.h"
#include "value_codec.h"

namespace hakmem::server {
namespace {

void cmd_del(CommandContext& ctx, Request& r, RespWriter& out) {
  int64_t removed = 0;
  thread_local std::string stored;
  for (size_t i = 1; i < r.argc; ++i) {
    std::string_view key = r.arg(i);
    std::lock_guard lock(ctx.locks.lock_for(key));
    if (!ctx.store.get(key, &stored)) continue;
    DecodedValue d = decode_value(stored);
    if (d.valid && !d.expired(unix_millis_now())) ++removed;
    ctx.store.remove(key);
  }
  out.integer(removed);
}

void cmd_exists(CommandContext& ctx, Request& r, RespWriter& out) {
  int64_t found = 0;
  thread_local std::string stored;
  for (size_t i = 1; i < r.argc; ++i) {
    if (read_live(ctx, r.arg(i), &stored, nullptr, nullptr)) ++found;
  }
  out.integer(found);
}

void cmd_type(CommandContext& ctx, Request& r, RespWriter& out) {
  thread_local std::string stored;
  KeyType type;
  read_live(ctx, r.arg(1), &stored, nullptr, nullptr, false, &type);
  out.simple(key_type_name(type));
}

void rename_key(CommandContext& ctx, Request& r, bool only_if_new, RespWriter& out) {
  std::string_view from = r.arg(1), to = r.arg(2);
  KeyLocks::Multi lock(ctx.locks, {ctx.locks.stripe_of(from), ctx.locks.stripe_of(to)});
  if (locked_type(ctx, from) == KeyType::kNone) return out.error("ERR no such key");
  if (only_if_new) {
    if (from != to && locked_type(ctx, to) != KeyType::kNone) return out.integer(0);
    ctx.store.rename(from, to);
    return out.integer(from == to ? 0 : 1);
  }
  ctx.store.rename(from, to);
  out.ok();
}

void cmd_rename(CommandContext& ctx, Request& r, RespWriter& out) {
  rename_key(ctx, r, false, out);
}

void cmd_renamenx(CommandContext& ctx, Request& r, RespWriter& out) {
  rename_key(ctx, r, true, out);
}

// EXPIRE key amount [NX|XX|GT|LT]; unit 1000 (seconds) or 1; absolute: EXPIREAT/PEXPIREAT.
void set_expiry(CommandContext& ctx, Request& r, int64_t unit, bool absolute, RespWriter& out) {
  int64_t amount = 0;
  if (!parse_int64(r.arg(2), &amount)) return out.error(kNotInteger);
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < r.argc; ++i) {
    std::string_view opt = r.arg(i);
    if (equals_ci(opt, "NX")) {
      nx = true;
    } else if (equals_ci(opt, "XX")) {
      xx = true;
    } else if (equals_ci(opt, "GT")) {
      gt = true;
    } else if (equals_ci(opt, "LT")) {
      lt = true;
    } else {
      return out.error("ERR Unsupported option " + std::string(opt.substr(0, 128)));
    }
  }
  if (nx && (xx || gt || lt)) {
    return out.error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) return out.error("ERR GT and LT options at the same time are not compatible");
  const std::string invalid =
      std::string("ERR invalid expire time in '") + r.command->name + "' command";
  int64_t at = 0;
  if (__builtin_mul_overflow(amount, unit, &at)) return out.error(invalid);
  if (!absolute && __builtin_add_overflow(at, unix_millis_now(), &at)) return out.error(invalid);
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  int64_t current = 0;
  if (locked_type(ctx, key, &current) == KeyType::kNone) return out.integer(0);
  // No expiry counts as an infinite TTL for GT and LT.
  if ((nx && current != 0) || (xx && current == 0) || (gt && (current == 0 || at <= current)) ||
      (lt && current != 0 && at >= current)) {
    return out.integer(0);
  }
  if (at <= unix_millis_now()) {
    ctx.store.remove(key);  // a time in the past deletes the key
  } else {
    ctx.store.set_expire(key, at);
  }
  out.integer(1);
}

void cmd_expire(CommandContext& ctx, Request& r, RespWriter& out) {
  set_expiry(ctx, r, 1000, false, out);
}
void cmd_pexpire(CommandContext& ctx, Request& r, RespWriter& out) {
  set_expiry(ctx, r, 1, false, out);
}
void cmd_expireat(CommandContext& ctx, Request& r, RespWriter& out) {
  set_expiry(ctx, r, 1000, true, out);
}
void cmd_pexpireat(CommandContext& ctx, Request& r, RespWriter& out) {
  set_expiry(ctx, r, 1, true, out);
}

void ttl(CommandContext& ctx, Request& r, bool millis, RespWriter& out) {
  thread_local std::string stored;
  int64_t at = 0;
  if (!read_live(ctx, r.arg(1), &stored, nullptr, &at)) return out.integer(-2);
  if (at == 0) return out.integer(-1);
  int64_t left = std::max<int64_t>(at - unix_millis_now(), 0);
  out.integer(millis ? left : (left + 500) / 1000);
}

void cmd_ttl(CommandContext& ctx, Request& r, RespWriter& out) {
  ttl(ctx, r, false, out);
}
void cmd_pttl(CommandContext& ctx, Request& r, RespWriter& out) {
  ttl(ctx, r, true, out);
}

void cmd_persist(CommandContext& ctx, Request& r, RespWriter& out) {
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  int64_t at = 0;
  if (locked_type(ctx, key, &at) == KeyType::kNone || at == 0) return out.integer(0);
  ctx.store.set_expire(key, 0);
  out.integer(1);
}

void cmd_dbsize(CommandContext& ctx, Request&, RespWriter& out) {
  int64_t live = 0;
  int64_t now = unix_millis_now();
  ctx.store.for_each_value([&](std::string_view stored) {
    DecodedValue d = decode_value(stored);
    if (d.valid && !d.expired(now)) ++live;
  });
  out.integer(live);
}

void cmd_flushall(CommandContext& ctx, Request& r, RespWriter& out) {
  if (r.argc > 2 ||
      (r.argc == 2 && !equals_ci(r.arg(1), "ASYNC") && !equals_ci(r.arg(1), "SYNC"))) {
    return out.error(kSyntax);
  }
  KeyLocks::Multi lock(ctx.locks, ctx.locks.all_stripes());
  ctx.store.clear();
  out.ok();
}

bool glob_match(const std::string& pattern, std::string_view key) {
  if (pattern == "*") return true;
  std::string k(key);
  return fnmatch(pattern.c_str(), k.c_str(), 0) == 0;
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
// The keys KEYS and SCAN answer. The keyspace is not under one lock, so the keys are copied
// while visited, but only until the reply they make would pass the limit: past it the copy
// stops (reply_size() keeps counting) and reserve_reply refuses the reply.
class KeyList {
 public:
  explicit KeyList(size_t limit) : limit_(limit) {}
  void add(std::string_view key) {
    ++count_;
    bytes_ += bulk_reply_size(key.size());
    if (bytes_ <= limit_) keys_.emplace_back(key);
  }
  size_t reply_size() const { return aggregate_header_size(count_) + bytes_; }
  void write(RespWriter& out) const {
    out.array(keys_.size());
    for (const auto& k : keys_) out.bulk(k);
  }

 private:
  size_t limit_;
  size_t count_ = 0, bytes_ = 0;
  std::vector<std::string> keys_;
};

void cmd_scan(CommandContext& ctx, Request& r, RespWriter& out) {
  uint64_t cursor = 0;
  {
    std::string_view text = r.arg(1);
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), cursor);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
      return out.error("ERR invalid cursor");
    }
  }
  std::string pattern = "*";
  int64_t count = 10;
  std::optional<std::string> type;
  for (size_t i = 2; i < r.argc; ++i) {
    if (i + 1 >= r.argc) return out.error(kSyntax);
    std::string_view opt = r.arg(i), value = r.arg(++i);
    if (equals_ci(opt, "MATCH")) {
      pattern = value;
    } else if (equals_ci(opt, "COUNT")) {
      if (!parse_int64(value, &count)) return out.error(kNotInteger);
      if (count < 1) return out.error(kSyntax);
    } else if (equals_ci(opt, "TYPE")) {
      type = std::string(value);
    } else {
      return out.error(kSyntax);
    }
  }
  KeyList keys(out.max_reply_bytes());
  const int64_t now = unix_millis_now();
  uint64_t next = ctx.store.scan(cursor, static_cast<size_t>(std::min<int64_t>(count, 1 << 20)),
                                 [&](std::string_view key, std::string_view stored) {
                                   DecodedValue d = decode_value(stored);
                                   if (!d.valid || d.expired(now)) return;
                                   if (type && !equals_ci(*type, key_type_name(d.type))) return;
                                   if (glob_match(pattern, key)) keys.add(key);
                                 });
  if (!out.reserve_reply(resp_header_size(2) + bulk_reply_size(20) + keys.reply_size())) return;
  out.array(2);
  out.bulk(std::to_string(next));
  keys.write(out);
}

void cmd_keys(CommandContext& ctx, Request& r, RespWriter& out) {
  std::string pattern(r.arg(1));
  KeyList keys(out.max_reply_bytes());
  const int64_t now = unix_millis_now();
  ctx.store.for_each([&](std::string_view key, std::string_view stored) {
    DecodedValue d = decode_value(stored);
    if (d.valid && !d.expired(now) && glob_match(pattern, key)) keys.add(key);
  });
  if (!out.reserve_reply(keys.reply_size())) return;
  keys.write(out);
}

const CommandSpec kCommands[] = {
    {"del", -2, {"write"}, 1, -1, 1, Access::kWrite, cmd_del},
    {"unlink", -2, {"write", "fast"}, 1, -1, 1, Access::kWrite, cmd_del},
    {"exists", -2, {"readonly", "fast"}, 1, -1, 1, Access::kRead, cmd_exists},
    {"type", 2, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_type},
    {"rename", 3, {"write"}, 1, 2, 1, Access::kWrite, cmd_rename},
    {"renamenx", 3, {"write", "fast"}, 1, 2, 1, Access::kWrite, cmd_renamenx},
    {"expire", -3, {"write", "fast"}, 1, 1, 1, Access::kWrite, cmd_expire},
    {"pexpire", -3, {"write", "fast"}, 1, 1, 1, Access::kWrite, cmd_pexpire},
    {"expireat", -3, {"write", "fast"}, 1, 1, 1, Access::kWrite, cmd_expireat},
    {"pexpireat", -3, {"write", "fast"}, 1, 1, 1, Access::kWrite, cmd_pexpireat},
    {"ttl", 2, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_ttl},
    {"pttl", 2, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_pttl},
    {"persist", 2, {"write", "fast"}, 1, 1, 1, Access::kWrite, cmd_persist},
    {"dbsize", 1, {"readonly", "fast"}, 0, 0, 0, Access::kRead, cmd_dbsize},
    {"flushall", -1, {"write"}, 0, 0, 0, Access::kWrite, cmd_flushall},
    {"flushdb", -1, {"write"}, 0, 0, 0, Access::kWrite, cmd_flushall},
    {"scan", -2, {"readonly"}, 0, 0, 0, Access::kRead, cmd_scan},
    {"keys", 2, {"readonly"}, 0, 0, 0, Access::kRead, cmd_keys},
};

}  // namespace

std::span<const CommandSpec> key_commands() {
  return kCommands;
}

}  // namespace hakmem::server
