// Keyspace commands: DEL, EXISTS, DBSIZE, FLUSHALL.
#include <mutex>

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

const CommandSpec kCommands[] = {
    {"del", -2, {"write"}, 1, -1, 1, Access::kWrite, cmd_del},
    {"exists", -2, {"readonly", "fast"}, 1, -1, 1, Access::kRead, cmd_exists},
    {"dbsize", 1, {"readonly", "fast"}, 0, 0, 0, Access::kRead, cmd_dbsize},
    {"flushall", -1, {"write"}, 0, 0, 0, Access::kWrite, cmd_flushall},
};

}  // namespace

std::span<const CommandSpec> key_commands() {
  return kCommands;
}

}  // namespace hakmem::server
