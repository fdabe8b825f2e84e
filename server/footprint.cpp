#include "footprint.h"

#include <algorithm>
#include <functional>
#include <string_view>

#include "command_table.h"

namespace hakmem::server {

bool Footprint::conflicts_with(const Footprint& other) const {
  if (mode == Mode::kNone || other.mode == Mode::kNone) return false;
  if (mode == Mode::kRead && other.mode == Mode::kRead) return false;
  if (all_keys || other.all_keys) return true;
  for (uint64_t k : keys) {
    if (std::find(other.keys.begin(), other.keys.end(), k) != other.keys.end()) return true;
  }
  return false;
}

Footprint footprint_of(const Request& request) {
  Footprint f;
  const CommandSpec* command = request.command;
  if (!request.bound) command = find_command(request.arg(0));
  if (command == nullptr || !command->arity_ok(request.argc)) return f;
  const CommandSpec& spec = *command;
  switch (spec.access) {
    case Access::kNone:
      return f;
    case Access::kRead:
      f.mode = Footprint::Mode::kRead;
      break;
    case Access::kWrite:
      f.mode = Footprint::Mode::kWrite;
      break;
  }
  if (spec.first_key == 0) {  // a keyspace-wide command
    f.all_keys = true;
    return f;
  }
  size_t last = spec.last_key < 0 ? request.argc + spec.last_key : spec.last_key;
  for (size_t i = spec.first_key; i <= last && i < request.argc; i += spec.step) {
    f.keys.push_back(std::hash<std::string_view>{}(request.arg(i)));
  }
  return f;
}

}  // namespace hakmem::server
