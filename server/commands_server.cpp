// Connection commands: PING, ECHO, SELECT, AUTH, QUIT. (INFO, CONFIG, COMMAND and the other
// introspection commands are in commands_introspection.cpp.)
#include "command_context.h"
#include "command_table.h"

namespace hakmem::server {
namespace {

void cmd_ping(CommandContext&, Request& r, RespWriter& out) {
  if (r.argc > 2) return out.error(wrong_arity_error("ping"));
  if (r.argc == 1) return out.simple("PONG");
  if (!out.reserve_reply(bulk_reply_size(r.arg(1).size()))) return;
  out.bulk(r.arg(1));
}

void cmd_echo(CommandContext&, Request& r, RespWriter& out) {
  if (!out.reserve_reply(bulk_reply_size(r.arg(1).size()))) return;
  out.bulk(r.arg(1));
}

void cmd_select(CommandContext&, Request& r, RespWriter& out) {
  int64_t db = 0;
  if (!parse_int64(r.arg(1), &db)) return out.error(kNotInteger);
  if (db != 0) return out.error("ERR DB index is out of range");
  out.ok();
}

void cmd_quit(CommandContext& ctx, Request&, RespWriter& out) {
  ctx.session->close_after_reply = true;
  out.ok();
}

void cmd_auth(CommandContext& ctx, Request& r, RespWriter& out) {
  const std::string& password = ctx.config.requirepass;
  if (r.argc > 3) return out.error(wrong_arity_error("auth"));
  if (password.empty()) {
    return out.error(
        "ERR AUTH <password> called without any password configured for the default user. Are "
        "you sure your configuration is correct?");
  }
  if (r.arg(r.argc - 1) == password && (r.argc == 2 || r.arg(1) == "default")) {
    ctx.session->authenticated = true;
    return out.ok();
  }
  out.error("WRONGPASS invalid username-password pair or user is disabled.");
}

const CommandSpec kCommands[] = {
    {"ping", -1, {"fast"}, 0, 0, 0, Access::kNone, cmd_ping},
    {"echo", 2, {"fast"}, 0, 0, 0, Access::kNone, cmd_echo},
    {"select", 2, {"loading", "stale", "fast"}, 0, 0, 0, Access::kNone, cmd_select},
    {"quit",
     -1,
     {"allow_busy", "fast", "no_auth"},
     0,
     0,
     0,
     Access::kNone,
     cmd_quit,
     RunsOn::kConnection},
    {"auth",
     -2,
     {"noscript", "loading", "stale", "fast", "no_auth"},
     0,
     0,
     0,
     Access::kNone,
     cmd_auth,
     RunsOn::kConnection},
};

}  // namespace

std::span<const CommandSpec> server_commands() {
  return kCommands;
}

}  // namespace hakmem::server
