// CONFIG GET / SET: the server's run-time limits, the slowlog's settings and the allocator's
// tuning options (hakmem-<option>, validated by the allocator exactly as the admin RPC's
// SetOptions is), plus read-only parameters clients ask for (save, appendonly, ...).
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config.h"
#include "slowlog.h"

namespace hakmem::server {

// The limits CONFIG SET may change while the server runs; readers on any thread load them
// relaxed. Start values come from the flags.
struct RuntimeLimits {
  explicit RuntimeLimits(const ServerConfig& config)
      : max_clients(config.max_clients),
        max_request_bytes(config.max_request_bytes),
        max_pipeline(config.max_pipeline),
        max_output_bytes(config.max_output_bytes),
        idle_timeout_s(config.idle_timeout_s) {}
  std::atomic<size_t> max_clients;
  std::atomic<size_t> max_request_bytes;  // read when a connection opens
  std::atomic<size_t> max_pipeline;
  std::atomic<size_t> max_output_bytes;
  std::atomic<unsigned> idle_timeout_s;
};

class RuntimeConfig {
 public:
  RuntimeConfig(const ServerConfig& config, RuntimeLimits& limits, Slowlog& slowlog,
                std::function<uint16_t()> port);

  // Parameters matching any of the glob patterns (case-insensitive), each once, in table order.
  std::vector<std::pair<std::string, std::string>> get(
      const std::vector<std::string_view>& patterns) const;
  // All or nothing: every pair is validated before any is applied. Returns "" on success,
  // otherwise the error reply (with its ERR prefix), and then nothing changed.
  std::string set(const std::vector<std::pair<std::string_view, std::string_view>>& pairs);

  struct Param {
    std::string name;
    std::function<std::string()> get;
    // Validates value; applies it when apply is true. Returns "" or the reason it is refused.
    // Null for a read-only parameter.
    std::function<std::string(std::string_view value, bool apply)> set;
  };
  const std::vector<Param>& params() const { return params_; }

 private:
  const Param* find(std::string_view name) const;
  std::vector<Param> params_;
  std::mutex set_mu_;  // one CONFIG SET at a time, so a rollback restores exact values
};

// CONFIG HELP's lines.
const std::vector<std::string>& config_help_lines();

}  // namespace hakmem::server
