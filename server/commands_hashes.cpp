// Hash commands: HSET, HMSET, HGET, HMGET, HDEL, HGETALL, HKEYS, HVALS, HLEN, HEXISTS, HINCRBY.
#include <charconv>
#include <mutex>

#include "command_context.h"
#include "command_table.h"

namespace hakmem::server {
namespace {

// Runs fn under the key's lock once the key is known to be a hash or absent.
template <typename Fn>
void with_hash(CommandContext& ctx, Request& r, RespWriter& out, Fn fn) {
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  bool exists;
  if (!check_type(ctx, key, KeyType::kHash, out, &exists)) return;
  fn(key, exists);
}

void hset(CommandContext& ctx, Request& r, bool reply_ok, RespWriter& out) {
  if (r.argc % 2 != 0) return out.error(wrong_arity_error(r.command->name));
  with_hash(ctx, r, out, [&](std::string_view key, bool) {
    std::vector<Store::FieldValue> pairs;
    for (size_t i = 2; i + 1 < r.argc; i += 2) pairs.emplace_back(r.arg(i), r.arg(i + 1));
    size_t added = ctx.store.hash_set(key, pairs);
    reply_ok ? out.ok() : out.integer(static_cast<int64_t>(added));
  });
}

void cmd_hset(CommandContext& ctx, Request& r, RespWriter& out) {
  hset(ctx, r, false, out);
}
void cmd_hmset(CommandContext& ctx, Request& r, RespWriter& out) {
  hset(ctx, r, true, out);
}

void cmd_hget(CommandContext& ctx, Request& r, RespWriter& out) {
  with_hash(ctx, r, out, [&](std::string_view key, bool) {
    auto value = ctx.store.hash_get(key, r.arg(2));
    value ? out.bulk(*value) : out.null_bulk();
  });
}

void cmd_hmget(CommandContext& ctx, Request& r, RespWriter& out) {
  with_hash(ctx, r, out, [&](std::string_view key, bool) {
    out.array(r.argc - 2);
    for (size_t i = 2; i < r.argc; ++i) {
      auto value = ctx.store.hash_get(key, r.arg(i));
      value ? out.bulk(*value) : out.null_bulk();
    }
  });
}

void cmd_hdel(CommandContext& ctx, Request& r, RespWriter& out) {
  with_hash(ctx, r, out, [&](std::string_view key, bool) {
    std::vector<std::string_view> fields;
    for (size_t i = 2; i < r.argc; ++i) fields.push_back(r.arg(i));
    out.integer(static_cast<int64_t>(ctx.store.hash_del(key, fields)));
  });
}

// What HGETALL, HKEYS and HVALS write of each pair.
enum class Parts { kBoth, kFields, kValues };

void hash_all(CommandContext& ctx, Request& r, Parts parts, RespWriter& out) {
  with_hash(ctx, r, out, [&](std::string_view key, bool) {
    // Sized in one visit, written in a second: nothing is copied or built past the limit.
    size_t pairs = 0, bytes = 0;
    ctx.store.hash_visit(key, [&](std::string_view field, std::string_view value) {
      ++pairs;
      if (parts != Parts::kValues) bytes += bulk_reply_size(field.size());
      if (parts != Parts::kFields) bytes += bulk_reply_size(value.size());
    });
    if (!out.reserve_reply(aggregate_header_size(pairs) + bytes)) return;
    parts == Parts::kBoth ? out.map_header(pairs) : out.array(pairs);  // RESP3: a map
    ctx.store.hash_visit(key, [&](std::string_view field, std::string_view value) {
      if (parts != Parts::kValues) out.bulk(field);
      if (parts != Parts::kFields) out.bulk(value);
    });
  });
}

void cmd_hgetall(CommandContext& ctx, Request& r, RespWriter& out) {
  hash_all(ctx, r, Parts::kBoth, out);
}
void cmd_hkeys(CommandContext& ctx, Request& r, RespWriter& out) {
  hash_all(ctx, r, Parts::kFields, out);
}
void cmd_hvals(CommandContext& ctx, Request& r, RespWriter& out) {
  hash_all(ctx, r, Parts::kValues, out);
}

void cmd_hlen(CommandContext& ctx, Request& r, RespWriter& out) {
  with_hash(ctx, r, out, [&](std::string_view key, bool) {
    out.integer(static_cast<int64_t>(ctx.store.hash_len(key)));
  });
}

void cmd_hexists(CommandContext& ctx, Request& r, RespWriter& out) {
  with_hash(ctx, r, out, [&](std::string_view key, bool) {
    out.integer(ctx.store.hash_get(key, r.arg(2)) ? 1 : 0);
  });
}

void cmd_hincrby(CommandContext& ctx, Request& r, RespWriter& out) {
  int64_t by = 0;
  if (!parse_int64(r.arg(3), &by)) return out.error(kNotInteger);
  with_hash(ctx, r, out, [&](std::string_view key, bool) {
    int64_t current = 0;
    auto value = ctx.store.hash_get(key, r.arg(2));
    if (value && !parse_int64(*value, &current)) {
      return out.error("ERR hash value is not an integer");
    }
    int64_t next = 0;
    if (__builtin_add_overflow(current, by, &next)) {
      return out.error("ERR increment or decrement would overflow");
    }
    std::string digits = std::to_string(next);
    Store::FieldValue pair{r.arg(2), digits};
    ctx.store.hash_set(key, std::span(&pair, 1));
    out.integer(next);
  });
}

const CommandSpec kCommands[] = {
    {"hset", -4, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_hset},
    {"hmset", -4, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_hmset},
    {"hget", 3, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_hget},
    {"hmget", -3, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_hmget},
    {"hdel", -3, {"write", "fast"}, 1, 1, 1, Access::kWrite, cmd_hdel},
    {"hgetall", 2, {"readonly"}, 1, 1, 1, Access::kRead, cmd_hgetall},
    {"hkeys", 2, {"readonly"}, 1, 1, 1, Access::kRead, cmd_hkeys},
    {"hvals", 2, {"readonly"}, 1, 1, 1, Access::kRead, cmd_hvals},
    {"hlen", 2, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_hlen},
    {"hexists", 3, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_hexists},
    {"hincrby", 4, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_hincrby},
};

}  // namespace

std::span<const CommandSpec> hash_commands() {
  return kCommands;
}

}  // namespace hakmem::server
