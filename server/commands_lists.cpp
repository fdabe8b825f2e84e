// List commands: LPUSH, RPUSH, LPOP, RPOP, LLEN, LRANGE, LINDEX, LREM, LTRIM.
#include <algorithm>
#include <mutex>

#include "command_context.h"
#include "command_table.h"

namespace hakmem::server {
namespace {

void push(CommandContext& ctx, Request& r, bool front, RespWriter& out) {
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  if (!check_type(ctx, key, KeyType::kList, out)) return;
  std::vector<std::string_view> values;
  for (size_t i = 2; i < r.argc; ++i) values.push_back(r.arg(i));
  out.integer(static_cast<int64_t>(ctx.store.list_push(key, front, values)));
}

void cmd_lpush(CommandContext& ctx, Request& r, RespWriter& out) {
  push(ctx, r, true, out);
}
void cmd_rpush(CommandContext& ctx, Request& r, RespWriter& out) {
  push(ctx, r, false, out);
}

// LPOP key [count]: a bulk (nil when absent) without count, an array (nil when absent) with.
void pop(CommandContext& ctx, Request& r, bool front, RespWriter& out) {
  if (r.argc > 3) return out.error(wrong_arity_error(r.command->name));
  int64_t count = 1;
  if (r.argc == 3 && (!parse_int64(r.arg(2), &count) || count < 0)) {
    return out.error("ERR value is out of range, must be positive");
  }
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  bool exists;
  if (!check_type(ctx, key, KeyType::kList, out, &exists)) return;
  if (!exists) return r.argc == 3 ? out.null_array() : out.null_bulk();
  // Sized before anything is popped, so a refused or deferred reply loses nothing.
  const size_t length = ctx.store.list_len(key);
  const size_t n = std::min(length, static_cast<size_t>(count));
  if (n > 0) {
    size_t bytes = r.argc == 3 ? aggregate_header_size(n) : 0;
    ctx.store.list_visit(key, front ? 0 : length - n, front ? n - 1 : length - 1,
                         [&](std::string_view v) { bytes += bulk_reply_size(v.size()); });
    if (!out.reserve_reply(bytes)) return;
  }
  auto values = ctx.store.list_pop(key, front, static_cast<size_t>(count));
  if (r.argc == 2) return out.bulk(values.at(0));
  out.array(values.size());
  for (const auto& v : values) out.bulk(v);
}

void cmd_lpop(CommandContext& ctx, Request& r, RespWriter& out) {
  pop(ctx, r, true, out);
}
void cmd_rpop(CommandContext& ctx, Request& r, RespWriter& out) {
  pop(ctx, r, false, out);
}

void cmd_llen(CommandContext& ctx, Request& r, RespWriter& out) {
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  if (!check_type(ctx, key, KeyType::kList, out)) return;
  out.integer(static_cast<int64_t>(ctx.store.list_len(key)));
}

void cmd_lrange(CommandContext& ctx, Request& r, RespWriter& out) {
  int64_t start = 0, stop = 0;
  if (!parse_int64(r.arg(2), &start) || !parse_int64(r.arg(3), &stop)) {
    return out.error(kNotInteger);
  }
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  if (!check_type(ctx, key, KeyType::kList, out)) return;
  size_t first = 0, last = 0;
  if (!clamp_range(start, stop, ctx.store.list_len(key), &first, &last)) return out.array(0);
  // One visit sizes the reply, a second writes it: no copy of the range, nothing built past
  // the limit.
  size_t count = 0, bytes = 0;
  ctx.store.list_visit(key, first, last, [&](std::string_view v) {
    ++count;
    bytes += bulk_reply_size(v.size());
  });
  if (!out.reserve_reply(aggregate_header_size(count) + bytes)) return;
  out.array(count);
  ctx.store.list_visit(key, first, last, [&](std::string_view v) { out.bulk(v); });
}

void cmd_lindex(CommandContext& ctx, Request& r, RespWriter& out) {
  int64_t index = 0;
  if (!parse_int64(r.arg(2), &index)) return out.error(kNotInteger);
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  if (!check_type(ctx, key, KeyType::kList, out)) return;
  const auto length = static_cast<int64_t>(ctx.store.list_len(key));
  if (index < 0) index += length;
  if (index < 0 || index >= length) return out.null_bulk();
  auto values = ctx.store.list_range(key, static_cast<size_t>(index), static_cast<size_t>(index));
  values.empty() ? out.null_bulk() : out.bulk(values[0]);
}

// LREM key count element: count > 0 from the head, < 0 from the tail, 0 all.
void cmd_lrem(CommandContext& ctx, Request& r, RespWriter& out) {
  int64_t count = 0;
  if (!parse_int64(r.arg(2), &count)) return out.error(kNotInteger);
  std::string_view key = r.arg(1), element = r.arg(3);
  std::lock_guard lock(ctx.locks.lock_for(key));
  bool exists;
  if (!check_type(ctx, key, KeyType::kList, out, &exists)) return;
  if (!exists) return out.integer(0);
  auto values = ctx.store.list_range(key, 0, ctx.store.list_len(key) - 1);
  const uint64_t limit =
      count == 0 ? UINT64_MAX : static_cast<uint64_t>(count < 0 ? -count : count);
  std::vector<bool> drop(values.size(), false);
  uint64_t removed = 0;
  for (size_t n = 0; n < values.size() && removed < limit; ++n) {
    size_t i = count < 0 ? values.size() - 1 - n : n;
    if (values[i] == element) {
      drop[i] = true;
      ++removed;
    }
  }
  if (removed > 0) {
    std::vector<std::string> kept;
    for (size_t i = 0; i < values.size(); ++i) {
      if (!drop[i]) kept.push_back(std::move(values[i]));
    }
    ctx.store.list_replace(key, kept);
  }
  out.integer(static_cast<int64_t>(removed));
}

void cmd_ltrim(CommandContext& ctx, Request& r, RespWriter& out) {
  int64_t start = 0, stop = 0;
  if (!parse_int64(r.arg(2), &start) || !parse_int64(r.arg(3), &stop)) {
    return out.error(kNotInteger);
  }
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  bool exists;
  if (!check_type(ctx, key, KeyType::kList, out, &exists)) return;
  if (!exists) return out.ok();
  const size_t length = ctx.store.list_len(key);
  size_t first = 0, last = 0;
  if (!clamp_range(start, stop, length, &first, &last)) {
    ctx.store.remove(key);
  } else if (first > 0 || last + 1 < length) {
    ctx.store.list_replace(key, ctx.store.list_range(key, first, last));  // one atomic write
  }
  out.ok();
}

const CommandSpec kCommands[] = {
    {"lpush", -3, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_lpush},
    {"rpush", -3, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_rpush},
    {"lpop", -2, {"write", "fast"}, 1, 1, 1, Access::kWrite, cmd_lpop},
    {"rpop", -2, {"write", "fast"}, 1, 1, 1, Access::kWrite, cmd_rpop},
    {"llen", 2, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_llen},
    {"lrange", 4, {"readonly"}, 1, 1, 1, Access::kRead, cmd_lrange},
    {"lindex", 3, {"readonly"}, 1, 1, 1, Access::kRead, cmd_lindex},
    {"lrem", 4, {"write"}, 1, 1, 1, Access::kWrite, cmd_lrem},
    {"ltrim", 4, {"write"}, 1, 1, 1, Access::kWrite, cmd_ltrim},
};

}  // namespace

std::span<const CommandSpec> list_commands() {
  return kCommands;
}

}  // namespace hakmem::server
