#include "commands.h"

namespace hakmem::server {

CommandCounters::CommandCounters()
    : slots_(all_commands().size() + 1),
      calls_(std::make_unique<std::atomic<uint64_t>[]>(slots_)) {}

void CommandCounters::count(const CommandSpec* command) {
  size_t slot = command == nullptr ? slots_ - 1 : command->id;
  calls_[slot].fetch_add(1, std::memory_order_relaxed);
}

void CommandCounters::reset() {
  for (size_t i = 0; i < slots_; ++i) calls_[i].store(0, std::memory_order_relaxed);
}

uint64_t CommandCounters::total() const {
  uint64_t sum = 0;
  for (size_t i = 0; i < slots_; ++i) sum += calls_[i].load(std::memory_order_relaxed);
  return sum;
}

std::vector<std::pair<std::string, uint64_t>> CommandCounters::nonzero() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  const auto& commands = all_commands();
  for (size_t i = 0; i + 1 < slots_; ++i) {
    uint64_t n = calls_[i].load(std::memory_order_relaxed);
    if (n) out.emplace_back(commands[i]->name, n);
  }
  uint64_t unknown = calls_[slots_ - 1].load(std::memory_order_relaxed);
  if (unknown) out.emplace_back("unknown", unknown);
  return out;
}

void request_bind_command(Request& request) {
  if (request.bound) return;
  request.command = request.argc == 0 ? nullptr : find_command(request.arg(0));
  request.bound = true;
}

CommandExecutor::OwnIntrospection::OwnIntrospection(const ServerConfig& c)
    : limits(c),
      config(c, limits, slowlog, [] { return uint16_t{0}; }),
      view{clients, slowlog, config, [] {}} {}

CommandExecutor::CommandExecutor(Store& store, Arena& arena, const ServerConfig& config,
                                 const ServerIntrospection& server, CommandCounters& counters)
    : store_(store),
      arena_(arena),
      config_(config),
      server_(server),
      counters_(counters),
      own_(std::make_unique<OwnIntrospection>(config)),
      introspection_(&own_->view) {}

void CommandExecutor::execute(Request& request, RespWriter& out, Session* session) {
  request_bind_command(request);
  const CommandSpec* command = request.command;
  counters_.count(command);
  if (command == nullptr) return out.error(unknown_command_error(request));
  if (!command->arity_ok(request.argc)) return out.error(wrong_arity_error(command->name));
  CommandContext ctx{store_, arena_, config_, server_, counters_, locks_, session, introspection_};
  if (command->runs_on == RunsOn::kConnection && session == nullptr) {
    return out.error(std::string("ERR ") + command->name + " needs a connection");
  }
  try {
    command->handler(ctx, request, out);
  } catch (const StoreError& e) {
    out.clear();
    out.error(std::string("ERR store: ") + e.what());
  }
}

}  // namespace hakmem::server
