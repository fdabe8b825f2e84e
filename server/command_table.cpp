#include "command_table.h"

#include <cctype>
#include <string>
#include <unordered_map>

namespace hakmem::server {
namespace {

// The groups, in the order COMMAND lists them. A new group file adds its line here.
constexpr std::span<const CommandSpec> (*kGroups[])() = {
    server_commands, string_commands, key_commands, list_commands, hash_commands,
    set_commands, zset_commands, client_commands, introspection_commands, memory_commands,
};

struct Table {
  std::vector<CommandSpec> specs;  // copies with id and no_auth filled in
  std::vector<const CommandSpec*> order;
  std::unordered_map<std::string_view, const CommandSpec*> by_name;

  Table() {
    for (auto group : kGroups) {
      for (const CommandSpec& spec : group()) specs.push_back(spec);
    }
    for (size_t i = 0; i < specs.size(); ++i) {
      CommandSpec& spec = specs[i];
      spec.id = static_cast<uint32_t>(i);
      for (const char* flag : spec.flags) {
        if (std::string_view(flag) == "no_auth") spec.no_auth = true;
      }
      order.push_back(&spec);
      by_name.emplace(spec.name, &spec);
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

}  // namespace

const std::vector<const CommandSpec*>& all_commands() {
  return table().order;
}

const CommandSpec* find_command(std::string_view name) {
  char lower[32];  // longer than any command name
  if (name.size() > sizeof(lower)) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) {
    lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
  }
  const auto& by_name = table().by_name;
  auto it = by_name.find(std::string_view(lower, name.size()));
  return it == by_name.end() ? nullptr : it->second;
}

}  // namespace hakmem::server
