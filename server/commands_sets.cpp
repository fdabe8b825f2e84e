// Set commands: SADD, SREM, SPOP, SMEMBERS, SISMEMBER, SCARD.
#include <algorithm>
#include <mutex>

#include "command_context.h"
#include "command_table.h"

namespace hakmem::server {
namespace {

template <typename Fn>
void with_set(CommandContext& ctx, Request& r, RespWriter& out, Fn fn) {
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  bool exists;
  if (!check_type(ctx, key, KeyType::kSet, out, &exists)) return;
  fn(key, exists);
}

std::vector<std::string_view> members_from(const Request& r, size_t first) {
  std::vector<std::string_view> members;
  for (size_t i = first; i < r.argc; ++i) members.push_back(r.arg(i));
  return members;
}

void cmd_sadd(CommandContext& ctx, Request& r, RespWriter& out) {
  with_set(ctx, r, out, [&](std::string_view key, bool) {
    out.integer(static_cast<int64_t>(ctx.store.set_add(key, members_from(r, 2))));
  });
}

void cmd_srem(CommandContext& ctx, Request& r, RespWriter& out) {
  with_set(ctx, r, out, [&](std::string_view key, bool) {
    out.integer(static_cast<int64_t>(ctx.store.set_rem(key, members_from(r, 2))));
  });
}

// SPOP key [count]: a bulk (nil when absent) without count, an array with.
void cmd_spop(CommandContext& ctx, Request& r, RespWriter& out) {
  if (r.argc > 3) return out.error(kSyntax);
  int64_t count = 1;
  if (r.argc == 3 && (!parse_int64(r.arg(2), &count) || count < 0)) {
    return out.error("ERR value is out of range, must be positive");
  }
  with_set(ctx, r, out, [&](std::string_view key, bool exists) {
    if (!exists) return r.argc == 3 ? out.set_header(0) : out.null_bulk();
    // With a count, sized before anything is popped (a refused or deferred reply loses
    // nothing). Which members go is the store's choice, so this is a bound: all of them, or
    // `count` of the largest size. One member (no count) arrived in one request: it stays O(1).
    if (r.argc == 3) {
      size_t card = 0, all = 0, largest = 0;
      ctx.store.set_visit(key, [&](std::string_view m) {
        ++card;
        all += bulk_reply_size(m.size());
        largest = std::max(largest, bulk_reply_size(m.size()));
      });
      const auto n = std::min(card, static_cast<size_t>(count));
      const size_t bytes = n == card ? all : std::min(all, n * largest);
      if (!out.reserve_reply(aggregate_header_size(n) + bytes)) return;
    }
    auto popped = ctx.store.set_pop(key, static_cast<size_t>(count));
    if (r.argc == 2) return out.bulk(popped.at(0));
    out.set_header(popped.size());  // RESP3: a set
    for (const auto& m : popped) out.bulk(m);
  });
}

void cmd_smembers(CommandContext& ctx, Request& r, RespWriter& out) {
  with_set(ctx, r, out, [&](std::string_view key, bool) {
    // Sized in one visit, written in a second: nothing is copied or built past the limit.
    size_t count = 0, bytes = 0;
    ctx.store.set_visit(key, [&](std::string_view m) {
      ++count;
      bytes += bulk_reply_size(m.size());
    });
    if (!out.reserve_reply(aggregate_header_size(count) + bytes)) return;
    out.set_header(count);  // RESP3: a set
    ctx.store.set_visit(key, [&](std::string_view m) { out.bulk(m); });
  });
}

void cmd_sismember(CommandContext& ctx, Request& r, RespWriter& out) {
  with_set(ctx, r, out, [&](std::string_view key, bool) {
    out.integer(ctx.store.set_has(key, r.arg(2)) ? 1 : 0);
  });
}

void cmd_scard(CommandContext& ctx, Request& r, RespWriter& out) {
  with_set(ctx, r, out, [&](std::string_view key, bool) {
    out.integer(static_cast<int64_t>(ctx.store.set_card(key)));
  });
}

const CommandSpec kCommands[] = {
    {"sadd", -3, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_sadd},
    {"srem", -3, {"write", "fast"}, 1, 1, 1, Access::kWrite, cmd_srem},
    {"spop", -2, {"write", "fast"}, 1, 1, 1, Access::kWrite, cmd_spop},
    {"smembers", 2, {"readonly"}, 1, 1, 1, Access::kRead, cmd_smembers},
    {"sismember", 3, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_sismember},
    {"scard", 2, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_scard},
};

}  // namespace

std::span<const CommandSpec> set_commands() {
  return kCommands;
}

}  // namespace hakmem::server
