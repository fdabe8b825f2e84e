// What the connections of one I/O thread measured since the last collection, and the sink they
// record it into. The runner swaps sinks out once a second and merges them (per second, per
// phase, whole run).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "hakmem/workloads/op_mix.hpp"
#include "histogram.hpp"

namespace hakmem::load {

// The RESP command an operation sends, for the per-command rows of the report. A
// read-modify-write (GET then SET, timed as one) is a row of its own.
enum class Command : uint8_t { kGet, kSet, kDel, kGetSet };
inline constexpr int kCommandCount = 4;
const char* command_name(Command c);  // "GET", "SET", "DEL", "GET+SET"
Command command_of(workloads::OpType t);

struct CommandStats {
  uint64_t ops = 0;     // answered without an error
  uint64_t errors = 0;  // answered with an error
  Histogram latency;    // of ops, from the intended send time
};

struct Stats {
  Histogram latency;              // from the intended send time (open loop) / send time
  Histogram uncorrected_latency;  // from the actual send time
  std::array<uint64_t, workloads::kOpTypeCount> ops_by_type{};
  std::array<CommandStats, kCommandCount> by_command;
  uint64_t ops = 0;     // operations answered without an error
  uint64_t misses = 0;  // reads that found no value
  // Wire bytes of the recorded requests answered (errors too) and of their replies.
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  std::map<std::string, uint64_t> errors;  // by kind: server error word, "protocol", ...

  uint64_t error_count() const;
  void merge(const Stats& other);
  void reset();
};

// One per I/O thread, with what each server answered kept apart (one slot without
// --servers); the lock is uncontended except when the runner collects.
class StatsSink {
 public:
  explicit StatsSink(size_t servers = 1) : stats_(servers == 0 ? 1 : servers) {}
  template <typename F>
  void with(F&& f) {
    with(0, std::forward<F>(f));
  }
  template <typename F>
  void with(size_t server, F&& f) {
    std::lock_guard lock(mu_);
    f(stats_[server]);
  }
  // Moves what was recorded into `out` (merging every server's) and starts afresh.
  void drain_into(Stats& out);
  // The same, and each server's into (*per_server)[i] as well (sized here).
  void drain_into(Stats& out, std::vector<Stats>* per_server);

 private:
  std::mutex mu_;
  std::vector<Stats> stats_;
};

}  // namespace hakmem::load
