// Server introspection: INFO, CONFIG, COMMAND, SLOWLOG, TIME. (CLIENT and HELLO are in
// commands_client.cpp, MEMORY in commands_memory.cpp.)
#include <chrono>
#include <string>
#include <vector>

#include "command_context.h"
#include "command_docs.h"
#include "command_table.h"
#include "info.h"
#include "introspection.h"

namespace hakmem::server {
namespace {

std::string sub_arity(std::string_view command, std::string_view sub) {
  std::string name(command);
  name += '|';
  for (char ch : sub.substr(0, 64))
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return wrong_arity_error(name);
}

void help_reply(RespWriter& out, const std::vector<std::string>& lines) {
  out.array(lines.size());
  for (const auto& line : lines) out.simple(line);
}

void cmd_info(CommandContext& ctx, Request& r, RespWriter& out) {
  std::vector<std::string> sections;
  for (size_t i = 1; i < r.argc; ++i) sections.emplace_back(r.arg(i));
  out.verbatim(build_info(sections, ctx.server.stats(), ctx.config, ctx.store));
}

void cmd_config(CommandContext& ctx, Request& r, RespWriter& out) {
  std::string_view sub = r.arg(1);
  RuntimeConfig& config = ctx.introspection->config;
  if (equals_ci(sub, "GET")) {
    if (r.argc < 3) return out.error(sub_arity("config", sub));
    std::vector<std::string_view> patterns;
    for (size_t i = 2; i < r.argc; ++i) patterns.push_back(r.arg(i));
    auto params = config.get(patterns);
    out.map_header(params.size());
    for (const auto& [name, value] : params) {
      out.bulk(name);
      out.bulk(value);
    }
  } else if (equals_ci(sub, "SET")) {
    if (r.argc < 4) return out.error(sub_arity("config", sub));
    if (r.argc % 2 != 0) return out.error(kSyntax);
    std::vector<std::pair<std::string_view, std::string_view>> pairs;
    for (size_t i = 2; i + 1 < r.argc; i += 2) pairs.emplace_back(r.arg(i), r.arg(i + 1));
    std::string error = config.set(pairs);
    error.empty() ? out.ok() : out.error(error);
  } else if (equals_ci(sub, "RESETSTAT")) {
    if (r.argc != 2) return out.error(sub_arity("config", sub));
    if (ctx.introspection->reset_stats) ctx.introspection->reset_stats();
    out.ok();
  } else if (equals_ci(sub, "HELP")) {
    if (r.argc != 2) return out.error(sub_arity("config", sub));
    help_reply(out, config_help_lines());
  } else {
    out.error(unknown_subcommand_error(sub, "CONFIG"));
  }
}

void write_command_info(const CommandSpec& spec, RespWriter& out) {
  out.array(10);
  out.bulk(spec.name);
  out.integer(spec.arity);
  out.set_header(spec.flags.size());
  for (const char* flag : spec.flags) out.simple(flag);
  out.integer(spec.first_key);
  out.integer(spec.last_key);
  out.integer(spec.step);
  out.set_header(0);  // ACL categories
  out.set_header(0);  // tips
  out.array(0);       // key specs
  out.array(0);       // subcommands
}

// The usage line as one argument per top-level word, "[...]" marked optional: redis-cli joins
// them back into the hint it shows.
std::vector<std::string_view> usage_words(std::string_view usage) {
  std::vector<std::string_view> words;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= usage.size(); ++i) {
    char ch = i < usage.size() ? usage[i] : ' ';
    if (ch == '[') ++depth;
    if (ch == ']' && depth > 0) --depth;
    if (ch == ' ' && depth == 0) {
      if (i > start) words.push_back(usage.substr(start, i - start));
      start = i + 1;
    }
  }
  return words;
}

void write_command_doc(const CommandSpec& spec, RespWriter& out) {
  const CommandDoc* doc = find_command_doc(spec.name);
  std::vector<std::string_view> words =
      doc ? usage_words(doc->usage) : std::vector<std::string_view>{};
  out.bulk(spec.name);
  out.map_header(4);
  out.bulk("summary");
  out.bulk(doc ? doc->summary : "");
  out.bulk("since");
  out.bulk(doc ? doc->since : "");
  out.bulk("group");
  out.bulk(doc ? doc->group : "generic");
  out.bulk("arguments");
  out.array(words.size());
  for (std::string_view word : words) {
    bool optional = word.size() >= 2 && word.front() == '[' && word.back() == ']';
    out.map_header(optional ? 3 : 2);
    out.bulk("name");
    out.bulk(optional ? word.substr(1, word.size() - 2) : word);
    out.bulk("type");
    out.bulk("string");
    if (optional) {
      out.bulk("flags");
      out.set_header(1);
      out.simple("optional");
    }
  }
}

void cmd_command(CommandContext&, Request& r, RespWriter& out) {
  const auto& commands = all_commands();
  if (r.argc == 1) {
    out.array(commands.size());
    for (const CommandSpec* spec : commands) write_command_info(*spec, out);
    return;
  }
  std::string_view sub = r.arg(1);
  if (equals_ci(sub, "COUNT")) {
    if (r.argc != 2) return out.error(sub_arity("command", sub));
    out.integer(static_cast<int64_t>(commands.size()));
  } else if (equals_ci(sub, "LIST")) {
    if (r.argc != 2) return out.error(kSyntax);  // FILTERBY is not supported
    out.array(commands.size());
    for (const CommandSpec* spec : commands) out.bulk(spec->name);
  } else if (equals_ci(sub, "DOCS")) {
    std::vector<const CommandSpec*> wanted;
    if (r.argc == 2) {
      wanted = commands;
    } else {
      for (size_t i = 2; i < r.argc; ++i) {
        if (const CommandSpec* spec = find_command(r.arg(i))) wanted.push_back(spec);
      }
    }
    out.map_header(wanted.size());
    for (const CommandSpec* spec : wanted) write_command_doc(*spec, out);
  } else if (equals_ci(sub, "INFO")) {
    if (r.argc == 2) {
      out.array(commands.size());
      for (const CommandSpec* spec : commands) write_command_info(*spec, out);
      return;
    }
    out.array(r.argc - 2);
    for (size_t i = 2; i < r.argc; ++i) {
      const CommandSpec* spec = find_command(r.arg(i));
      spec == nullptr ? out.null_array() : write_command_info(*spec, out);
    }
  } else if (equals_ci(sub, "HELP") && r.argc == 2) {
    help_reply(
        out, {"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "(no subcommand)",
              "    Return details about all commands.", "COUNT",
              "    Return the total number of commands in this server.", "LIST",
              "    Return a list of all commands in this server.", "INFO [<command-name> ...]",
              "    Return details about the given commands, or all of them.",
              "DOCS [<command-name> ...]",
              "    Return a summary, group and usage of the given commands, or all.", "HELP",
              "    Print this help."});
  } else {
    out.error(unknown_subcommand_error(sub, "COMMAND"));
  }
}

void cmd_slowlog(CommandContext& ctx, Request& r, RespWriter& out) {
  std::string_view sub = r.arg(1);
  Slowlog& log = ctx.introspection->slowlog;
  if (equals_ci(sub, "GET") && r.argc <= 3) {
    int64_t count = 10;
    if (r.argc == 3 && (!parse_int64(r.arg(2), &count) || count < -1)) {
      return out.error("ERR count should be greater than or equal to -1");
    }
    auto entries = log.newest(count);
    out.array(entries.size());
    for (const SlowlogEntry& e : entries) {
      out.array(6);
      out.integer(e.id);
      out.integer(e.unix_seconds);
      out.integer(e.duration_us);
      out.array(e.args.size());
      for (const auto& arg : e.args) out.bulk(arg);
      out.bulk(e.client_addr);
      out.bulk(e.client_name);
    }
  } else if (equals_ci(sub, "LEN")) {
    if (r.argc != 2) return out.error(sub_arity("slowlog", sub));
    out.integer(static_cast<int64_t>(log.size()));
  } else if (equals_ci(sub, "RESET")) {
    if (r.argc != 2) return out.error(sub_arity("slowlog", sub));
    log.reset();
    out.ok();
  } else if (equals_ci(sub, "HELP") && r.argc == 2) {
    help_reply(out,
               {"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "GET [<count>]",
                "    Return the <count> most recent entries (default 10, -1 for all).",
                "    Each is: id, unix time, microseconds of execution, arguments, client",
                "    address, client name. Threshold: CONFIG SET slowlog-log-slower-than.", "LEN",
                "    Return the number of entries.", "RESET", "    Remove every entry.", "HELP",
                "    Print this help."});
  } else if (equals_ci(sub, "GET")) {
    out.error("ERR unknown subcommand or wrong number of arguments for '" +
              std::string(sub.substr(0, 128)) + "'. Try SLOWLOG HELP.");
  } else {
    out.error(unknown_subcommand_error(sub, "SLOWLOG"));
  }
}

void cmd_time(CommandContext&, Request&, RespWriter& out) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  out.array(2);
  out.bulk(std::to_string(us / 1000000));
  out.bulk(std::to_string(us % 1000000));
}

// CONFIG SET and SLOWLOG RESET change state later requests of the pipeline read: kWrite with
// first_key 0 orders them against every keyed request of the connection, as Redis' single
// thread would.
const CommandSpec kCommands[] = {
    {"info", -1, {"loading", "stale"}, 0, 0, 0, Access::kNone, cmd_info},
    {"config", -2, {"admin", "noscript", "loading", "stale"}, 0, 0, 0, Access::kWrite, cmd_config},
    {"command", -1, {"loading", "stale"}, 0, 0, 0, Access::kNone, cmd_command},
    {"slowlog", -2, {"admin", "loading", "stale"}, 0, 0, 0, Access::kWrite, cmd_slowlog},
    {"time", 1, {"loading", "stale", "fast"}, 0, 0, 0, Access::kNone, cmd_time},
};

}  // namespace

std::span<const CommandSpec> introspection_commands() {
  return kCommands;
}

}  // namespace hakmem::server
