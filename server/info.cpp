#include "info.h"

#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cctype>

namespace hakmem::server {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "K", "M", "G", "T"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{}B", bytes) : fmt::format("{:.2f}{}", value, units[unit]);
}

class Section {
 public:
  Section(std::string& out, const char* title) : out_(out) {
    if (!out_.empty()) out_ += "\r\n";
    out_ += fmt::format("# {}\r\n", title);
  }
  template <typename T>
  void add(std::string_view key, const T& value) {
    out_ += fmt::format("{}:{}\r\n", key, value);
  }

 private:
  std::string& out_;
};

}  // namespace

std::string build_info(const std::vector<std::string>& sections, const StatsSnapshot& s,
                       const ServerConfig& config, Store& store) {
  bool all = sections.empty();
  std::vector<std::string> wanted;
  for (const auto& section : sections) {
    std::string name = lower(section);
    if (name == "default" || name == "all" || name == "everything") all = true;
    wanted.push_back(name);
  }
  auto want = [&](const char* name) {
    return all || std::find(wanted.begin(), wanted.end(), name) != wanted.end();
  };

  std::string out;
  if (want("server")) {
    Section sec(out, "Server");
    sec.add("redis_version", "7.0.0");  // what clients compare against; we speak RESP2 only
    sec.add("hakmem_server_version", "0.1.0");
    sec.add("redis_mode", "standalone");
    sec.add("process_id", getpid());
    sec.add("tcp_port", s.port);
    sec.add("uptime_in_seconds", s.uptime_s);
    sec.add("uptime_in_days", s.uptime_s / 86400);
    sec.add("io_threads", s.io_threads);
    sec.add("workers", s.workers);
  }
  if (want("clients")) {
    Section sec(out, "Clients");
    sec.add("connected_clients", s.connections_current);
    sec.add("maxclients", config.max_clients);
    sec.add("total_connections_received", s.connections_total);
    sec.add("rejected_connections", s.connections_rejected);
    sec.add("protocol_error_disconnects", s.disconnects_protocol);
    sec.add("idle_disconnects", s.disconnects_idle);
  }
  if (want("stats")) {
    Section sec(out, "Stats");
    sec.add("total_commands_processed", s.commands_processed);
    sec.add("worker_queue_depth", s.queue_depth);
    sec.add("worker_queue_capacity", s.queue_capacity);
    sec.add("service_latency_count", s.service_latency.count);
    sec.add("service_latency_p50_us", fmt::format("{:.1f}", s.service_latency.p50_us));
    sec.add("service_latency_p90_us", fmt::format("{:.1f}", s.service_latency.p90_us));
    sec.add("service_latency_p99_us", fmt::format("{:.1f}", s.service_latency.p99_us));
    sec.add("service_latency_p999_us", fmt::format("{:.1f}", s.service_latency.p999_us));
    sec.add("service_latency_max_us", fmt::format("{:.1f}", s.service_latency.max_us));
    for (const auto& [name, calls] : s.command_counts) sec.add("cmd_" + name, calls);
  }
  if (want("memory")) {
    Section sec(out, "Memory");
    const ArenaReport& a = s.allocator;
    const uint64_t used = s.used_memory();
    sec.add("used_memory", used);
    sec.add("used_memory_human", human_bytes(used));
    sec.add("used_memory_rss", s.rss_bytes);
    sec.add("used_memory_rss_human", human_bytes(s.rss_bytes));
    sec.add("used_memory_peak_rss", s.peak_rss_bytes);
    sec.add("used_memory_peak_rss_human", human_bytes(s.peak_rss_bytes));
    double ratio = used ? static_cast<double>(s.rss_bytes) / static_cast<double>(used) : 0.0;
    sec.add("mem_fragmentation_ratio", fmt::format("{:.2f}", ratio));
    sec.add("mem_allocator", a.allocator);
    sec.add("allocator_bytes_in_use", a.bytes_in_use);
    sec.add("allocator_bytes_committed", a.bytes_committed);
    sec.add("system_malloc_bytes_in_use", s.system_malloc_bytes_in_use);
    if (!a.route.empty()) sec.add("hakmem_route", a.route);
    if (a.page_reuse_rate >= 0) {
      sec.add("hakmem_page_reuse_rate", fmt::format("{:.4f}", a.page_reuse_rate));
      sec.add("hakmem_remote_frees", a.remote_frees);
    }
    sec.add("arena_bytes_in_use", s.arena.bytes_in_use);
    sec.add("arena_allocations", s.arena.allocations);
    sec.add("arena_frees", s.arena.frees);
    sec.add("arena_cross_thread_frees", s.arena.cross_thread_frees);
  }
  if (want("persistence")) {
    Section sec(out, "Persistence");
    sec.add("loading", 0);
    for (const auto& [key, value] : store.info()) sec.add(key, value);
  }
  return out;
}

}  // namespace hakmem::server
