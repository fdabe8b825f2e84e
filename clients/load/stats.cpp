#include "stats.hpp"

namespace hakmem::load {

const char* command_name(Command c) {
  switch (c) {
    case Command::kGet:
      return "GET";
    case Command::kSet:
      return "SET";
    case Command::kDel:
      return "DEL";
    case Command::kGetSet:
      return "GET+SET";
  }
  return "?";
}

Command command_of(workloads::OpType t) {
  switch (t) {
    case workloads::OpType::kRead:
      return Command::kGet;
    case workloads::OpType::kUpdate:
    case workloads::OpType::kInsert:
      return Command::kSet;
    case workloads::OpType::kReadModifyWrite:
      return Command::kGetSet;
    case workloads::OpType::kDelete:
      return Command::kDel;
  }
  return Command::kGet;
}

uint64_t Stats::error_count() const {
  uint64_t n = 0;
  for (const auto& [kind, count] : errors) n += count;
  return n;
}

void Stats::merge(const Stats& other) {
  latency.merge(other.latency);
  uncorrected_latency.merge(other.uncorrected_latency);
  for (size_t i = 0; i < ops_by_type.size(); ++i) ops_by_type[i] += other.ops_by_type[i];
  for (size_t i = 0; i < by_command.size(); ++i) {
    by_command[i].ops += other.by_command[i].ops;
    by_command[i].errors += other.by_command[i].errors;
    by_command[i].latency.merge(other.by_command[i].latency);
  }
  ops += other.ops;
  misses += other.misses;
  bytes_sent += other.bytes_sent;
  bytes_received += other.bytes_received;
  for (const auto& [kind, count] : other.errors) errors[kind] += count;
}

void Stats::reset() {
  latency.reset();
  uncorrected_latency.reset();
  ops_by_type.fill(0);
  for (auto& c : by_command) {
    c.ops = c.errors = 0;
    c.latency.reset();
  }
  ops = 0;
  misses = 0;
  bytes_sent = bytes_received = 0;
  errors.clear();
}

void StatsSink::drain_into(Stats& out) {
  drain_into(out, nullptr);
}

void StatsSink::drain_into(Stats& out, std::vector<Stats>* per_server) {
  std::lock_guard lock(mu_);
  if (per_server && per_server->size() < stats_.size()) per_server->resize(stats_.size());
  for (size_t i = 0; i < stats_.size(); ++i) {
    out.merge(stats_[i]);
    if (per_server) (*per_server)[i].merge(stats_[i]);
    stats_[i].reset();
  }
}

}  // namespace hakmem::load
