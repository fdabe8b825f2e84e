// COMMAND DOCS: a summary, group and usage line per command. redis-cli builds its hints and
// HELP from this reply, so every command of the table needs an entry (a unit test checks).
#pragma once

#include <string_view>

namespace hakmem::server {

struct CommandDoc {
  std::string_view name;
  std::string_view group;  // Redis' groups: string, list, hash, set, sorted-set, generic, ...
  std::string_view since;
  std::string_view summary;
  std::string_view usage;  // the arguments after the name, as redis-cli prints them
};

// Null for a command without docs.
const CommandDoc* find_command_doc(std::string_view name);

}  // namespace hakmem::server
