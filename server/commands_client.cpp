// HELLO and CLIENT: they read or change the connection's own state (protocol, name, the
// authentication gate) or close other connections, so they run on the connection's I/O thread
// (RunsOn::kConnection), in order with the replies its workers produce.
#include <algorithm>
#include <string>

#include "client_registry.h"
#include "command_context.h"
#include "command_table.h"
#include "introspection.h"

namespace hakmem::server {
namespace {

bool eq(std::string_view a, std::string_view b) {
  return equals_ci(a, b);
}

bool parse_i64(std::string_view text, int64_t* out) {
  return parse_int64(text, out);
}

std::string sub_arity_error(std::string_view sub) {
  std::string lower(sub.substr(0, 64));
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return wrong_arity_error("client|" + lower);
}

constexpr std::string_view kBadName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

void cmd_hello(CommandContext& ctx, Request& r, RespWriter& out) {
  Session& s = *ctx.session;
  int64_t version = s.protocol;
  if (r.argc >= 2) {
    if (!parse_i64(r.arg(1), &version)) {
      return out.error("ERR Protocol version is not an integer or out of range");
    }
    if (version < 2 || version > 3) return out.error("NOPROTO unsupported protocol version");
  }
  std::string_view user, pass, name;
  bool has_auth = false, has_name = false;
  for (size_t j = 2; j < r.argc; ++j) {
    size_t more = r.argc - 1 - j;
    if (eq(r.arg(j), "AUTH") && more >= 2) {
      has_auth = true;
      user = r.arg(j + 1);
      pass = r.arg(j + 2);
      j += 2;
    } else if (eq(r.arg(j), "SETNAME") && more >= 1) {
      has_name = true;
      name = r.arg(++j);
    } else {
      return out.error("ERR Syntax error in HELLO option '" + std::string(r.arg(j).substr(0, 128)) +
                       "'");
    }
  }
  if (!s.authenticated && !has_auth) {
    return out.error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
  }
  if (has_auth) {
    const std::string& password = ctx.config.requirepass;
    // Without requirepass the default user takes any password, as in Redis.
    if (user != "default" || (!password.empty() && pass != password)) {
      return out.error("WRONGPASS invalid username-password pair or user is disabled.");
    }
    s.authenticated = true;
  }
  if (has_name) {
    if (!valid_client_name(name)) return out.error(kBadName);
    if (s.client) s.client->set_name(name);
  }
  s.protocol = static_cast<int>(version);
  if (s.client) s.client->protocol.store(s.protocol, std::memory_order_relaxed);
  out.set_protocol(s.protocol);
  out.map_header(7);
  out.bulk("server");
  out.bulk("redis");
  out.bulk("version");
  out.bulk("7.0.0");  // the Redis version clients check features against (INFO redis_version)
  out.bulk("proto");
  out.integer(s.protocol);
  out.bulk("id");
  out.integer(s.client ? static_cast<int64_t>(s.client->id) : 0);
  out.bulk("mode");
  out.bulk("standalone");
  out.bulk("role");
  out.bulk("master");
  out.bulk("modules");
  out.array(0);
}

void client_list(const Request& r, ClientRegistry& clients, RespWriter& out) {
  std::vector<uint64_t> ids;
  bool ids_given = false, none = false;
  for (size_t j = 2; j < r.argc; ++j) {
    if (eq(r.arg(j), "TYPE") && j + 1 < r.argc) {
      std::string_view type = r.arg(++j);
      if (eq(type, "master") || eq(type, "replica") || eq(type, "slave") || eq(type, "pubsub")) {
        none = true;  // every client here is a normal one
      } else if (!eq(type, "normal")) {
        return out.error("ERR Unknown client type '" + std::string(type.substr(0, 64)) + "'");
      }
    } else if (eq(r.arg(j), "ID") && j + 1 < r.argc) {
      ids_given = true;
      while (j + 1 < r.argc) {
        int64_t id = 0;
        if (!parse_i64(r.arg(++j), &id) || id <= 0) return out.error("ERR Invalid client ID");
        ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      return out.error("ERR syntax error");
    }
  }
  std::string text;
  const int64_t now = steady_millis_now();
  if (!none) {
    for (const auto& c : clients.all()) {
      if (ids_given && std::find(ids.begin(), ids.end(), c->id) == ids.end()) continue;
      text += client_info_line(*c, now);
      text += '\n';
    }
  }
  out.verbatim(text);
}

// CLIENT KILL addr:port (old form) or CLIENT KILL <filter> <value> ... (new form).
void client_kill(const Request& r, Session& s, ClientRegistry& clients, RespWriter& out) {
  if (r.argc == 3) {
    for (const auto& c : clients.all()) {
      if (c->addr != r.arg(2)) continue;
      if (c.get() == s.client) {
        s.close_after_reply = true;
      } else {
        c->kill();
      }
      return out.ok();
    }
    return out.error("ERR No such client");
  }
  if (r.argc % 2 != 0) return out.error("ERR syntax error");
  int64_t id = 0, max_age = 0;
  std::string_view addr, laddr, user;
  bool by_id = false, by_addr = false, by_laddr = false, by_user = false, skipme = true;
  bool no_match = false;
  for (size_t j = 2; j + 1 < r.argc; j += 2) {
    std::string_view filter = r.arg(j), value = r.arg(j + 1);
    if (eq(filter, "ID")) {
      if (!parse_i64(value, &id) || id <= 0) {
        return out.error("ERR client-id should be greater than 0");
      }
      by_id = true;
    } else if (eq(filter, "ADDR")) {
      addr = value;
      by_addr = true;
    } else if (eq(filter, "LADDR")) {
      laddr = value;
      by_laddr = true;
    } else if (eq(filter, "USER")) {
      user = value;
      by_user = true;
    } else if (eq(filter, "TYPE")) {
      if (eq(value, "master") || eq(value, "replica") || eq(value, "slave") ||
          eq(value, "pubsub")) {
        no_match = true;
      } else if (!eq(value, "normal")) {
        return out.error("ERR Unknown client type '" + std::string(value.substr(0, 64)) + "'");
      }
    } else if (eq(filter, "SKIPME")) {
      if (eq(value, "yes")) {
        skipme = true;
      } else if (eq(value, "no")) {
        skipme = false;
      } else {
        return out.error("ERR syntax error");
      }
    } else if (eq(filter, "MAXAGE")) {
      if (!parse_i64(value, &max_age)) {
        return out.error("ERR value is not an integer or out of range");
      }
    } else {
      return out.error("ERR syntax error");
    }
  }
  int64_t killed = 0;
  const int64_t now = steady_millis_now();
  for (const auto& c : no_match ? std::vector<std::shared_ptr<ClientEntry>>{} : clients.all()) {
    if (by_id && c->id != static_cast<uint64_t>(id)) continue;
    if (by_addr && c->addr != addr) continue;
    if (by_laddr && c->laddr != laddr) continue;
    if (by_user && user != "default") continue;
    if (max_age > 0 && (now - c->created_ms) / 1000 < max_age) continue;
    if (c.get() == s.client) {
      if (skipme) continue;
      s.close_after_reply = true;
      ++killed;
    } else if (c->kill()) {
      ++killed;
    }
  }
  out.integer(killed);
}

void cmd_client(CommandContext& ctx, Request& r, RespWriter& out) {
  Session& s = *ctx.session;
  if (s.client == nullptr || ctx.introspection == nullptr) {
    return out.error("ERR CLIENT needs the server's client registry");
  }
  ClientEntry& self = *s.client;
  ClientRegistry& clients = ctx.introspection->clients;
  std::string_view sub = r.arg(1);
  auto arity = [&](size_t n) { return r.argc == n; };
  if (eq(sub, "ID")) {
    if (!arity(2)) return out.error(sub_arity_error(sub));
    return out.integer(static_cast<int64_t>(self.id));
  }
  if (eq(sub, "GETNAME")) {
    if (!arity(2)) return out.error(sub_arity_error(sub));
    std::string name = self.name();
    return name.empty() ? out.null_bulk() : out.bulk(name);
  }
  if (eq(sub, "SETNAME")) {
    if (!arity(3)) return out.error(sub_arity_error(sub));
    if (!valid_client_name(r.arg(2))) return out.error(kBadName);
    self.set_name(r.arg(2));
    return out.ok();
  }
  if (eq(sub, "INFO")) {
    if (!arity(2)) return out.error(sub_arity_error(sub));
    return out.verbatim(client_info_line(self, steady_millis_now()) + "\n");
  }
  if (eq(sub, "LIST")) return client_list(r, clients, out);
  if (eq(sub, "KILL")) {
    if (r.argc < 3) return out.error(sub_arity_error(sub));
    return client_kill(r, s, clients, out);
  }
  if (eq(sub, "NO-EVICT")) {  // nothing is evicted here; accepted for clients that set it
    if (!arity(3)) return out.error(sub_arity_error(sub));
    if (!eq(r.arg(2), "on") && !eq(r.arg(2), "off")) return out.error("ERR syntax error");
    return out.ok();
  }
  if (eq(sub, "UNBLOCK")) {  // no command blocks, so no client is ever unblocked
    if (r.argc < 3 || r.argc > 4) return out.error(sub_arity_error(sub));
    int64_t id = 0;
    if (!parse_i64(r.arg(2), &id)) return out.error("ERR value is not an integer or out of range");
    return out.integer(0);
  }
  if (eq(sub, "HELP") && arity(2)) {
    static const char* const lines[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ID",
        "    Return the ID of the current connection.",
        "GETNAME",
        "    Return the name of the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "LIST [TYPE normal|master|replica|pubsub] [ID <id> [<id> ...]]",
        "    Return information about client connections (all are of type normal here).",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options: ID <id>, ADDR <ip:port>, LADDR <ip:port>,",
        "    TYPE <type>, USER <username>, SKIPME (yes|no), MAXAGE <seconds>.",
        "NO-EVICT (on|off), UNBLOCK <id>",
        "    Accepted for compatibility: nothing is evicted or blocked here.",
        "HELP",
        "    Print this help.",
    };
    out.array(std::size(lines));
    for (const char* line : lines) out.simple(line);
    return;
  }
  out.error(unknown_subcommand_error(sub, "CLIENT"));
}

const CommandSpec kCommands[] = {
    {"hello",
     -1,
     {"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"},
     0,
     0,
     0,
     Access::kNone,
     cmd_hello,
     RunsOn::kConnection},
    {"client",
     -2,
     {"noscript", "loading", "stale"},
     0,
     0,
     0,
     Access::kNone,
     cmd_client,
     RunsOn::kConnection},
};

}  // namespace

std::span<const CommandSpec> client_commands() {
  return kCommands;
}

}  // namespace hakmem::server
