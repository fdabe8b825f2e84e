// Connection and server commands: PING, ECHO, SELECT, AUTH, QUIT, INFO, CONFIG, COMMAND.
#include <fnmatch.h>

#include "command_context.h"
#include "command_table.h"
#include "info.h"

namespace hakmem::server {
namespace {

void cmd_ping(CommandContext&, Request& r, RespWriter& out) {
  if (r.argc > 2) return out.error(wrong_arity_error("ping"));
  r.argc == 2 ? out.bulk(r.arg(1)) : out.simple("PONG");
}

void cmd_echo(CommandContext&, Request& r, RespWriter& out) {
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

void cmd_info(CommandContext& ctx, Request& r, RespWriter& out) {
  std::vector<std::string> sections;
  for (size_t i = 1; i < r.argc; ++i) sections.emplace_back(r.arg(i));
  out.bulk(build_info(sections, ctx.server.stats(), ctx.config, ctx.store));
}

void cmd_config(CommandContext& ctx, Request& r, RespWriter& out) {
  const ServerConfig& config = ctx.config;
  if (!equals_ci(r.arg(1), "GET")) {
    if (equals_ci(r.arg(1), "RESETSTAT")) return out.ok();
    return out.error(unknown_subcommand_error(r.arg(1), "CONFIG"));
  }
  if (r.argc < 3) return out.error("ERR wrong number of arguments for 'config|get' command");
  const std::vector<std::pair<std::string, std::string>> params = {
      {"bind", config.bind},
      {"port", std::to_string(ctx.server.stats().port)},
      {"maxclients", std::to_string(config.max_clients)},
      {"timeout", std::to_string(config.idle_timeout_s)},
      {"requirepass", config.requirepass},
      {"proto-max-bulk-len", std::to_string(config.max_request_bytes)},
      {"databases", "1"},
      {"save", ""},
      {"appendonly", config.store.kind == "rocksdb" ? "yes" : "no"},
      {"appendfsync", fsync_policy_name(config.store.fsync)},
      {"dir", config.store.data_dir},
      {"maxmemory", "0"},
      {"io-threads", std::to_string(config.io_threads)},
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

void write_command_info(const CommandSpec& spec, RespWriter& out) {
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

void cmd_command(CommandContext&, Request& r, RespWriter& out) {
  const auto& commands = all_commands();
  if (r.argc == 1) {
    out.array(commands.size());
    for (const CommandSpec* spec : commands) write_command_info(*spec, out);
  } else if (equals_ci(r.arg(1), "COUNT") && r.argc == 2) {
    out.integer(static_cast<int64_t>(commands.size()));
  } else if (equals_ci(r.arg(1), "DOCS")) {
    out.array(0);  // no docs: redis-cli falls back to its built-in help
  } else if (equals_ci(r.arg(1), "INFO")) {
    out.array(r.argc - 2);
    for (size_t i = 2; i < r.argc; ++i) {
      const CommandSpec* spec = find_command(r.arg(i));
      spec == nullptr ? out.null_array() : write_command_info(*spec, out);
    }
  } else {
    out.error(unknown_subcommand_error(r.arg(1), "COMMAND"));
  }
}

const CommandSpec kCommands[] = {
    {"ping", -1, {"fast"}, 0, 0, 0, Access::kNone, cmd_ping},
    {"echo", 2, {"fast"}, 0, 0, 0, Access::kNone, cmd_echo},
    {"config", -2, {"admin", "noscript", "loading", "stale"}, 0, 0, 0, Access::kNone, cmd_config},
    {"select", 2, {"loading", "stale", "fast"}, 0, 0, 0, Access::kNone, cmd_select},
    {"info", -1, {"loading", "stale"}, 0, 0, 0, Access::kNone, cmd_info},
    {"quit",
     -1,
     {"allow_busy", "fast", "no_auth"},
     0,
     0,
     0,
     Access::kNone,
     cmd_quit,
     RunsOn::kConnection},
    {"command", -1, {"loading", "stale"}, 0, 0, 0, Access::kNone, cmd_command},
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
