#include "info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <random>

#ifdef HAKMEM_SERVER_WITH_HAKMEM
#include <hakmem/hakmem.h>
#endif

#include "allocator_background.h"
#include "memory_report.h"
#include "tool_version.h"
#include "value_codec.h"

namespace hakmem::server {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

const std::string& run_id() {
  static const std::string id = [] {
    std::random_device rd;
    std::string hex;
    for (int i = 0; i < 40; ++i) hex += "0123456789abcdef"[rd() % 16];
    return hex;
  }();
  return id;
}

std::string os_name() {
  struct utsname u {};
  if (uname(&u) != 0) return "unknown";
  return fmt::format("{} {} {}", u.sysname, u.release, u.machine);
}

const char* allocator_version() {
#ifdef HAKMEM_SERVER_WITH_HAKMEM
  return hak_version();
#else
  return project_version();
#endif
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

KeyspaceStats keyspace_stats(Store& store) {
  KeyspaceStats k;
  const int64_t now = unix_millis_now();
  uint64_t ttl_sum = 0;
  store.for_each_value([&](std::string_view stored) {
    DecodedValue d = decode_value(stored);
    if (!d.valid || d.expired(now)) return;
    ++k.keys;
    if (d.expire_at_ms > 0) {
      ++k.expires;
      ttl_sum += static_cast<uint64_t>(d.expire_at_ms - now);
    }
  });
  k.avg_ttl_ms = k.expires ? ttl_sum / k.expires : 0;
  return k;
}

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
    sec.add("redis_version", "7.0.0");  // what clients compare their feature checks against
    sec.add("hakmem_version", allocator_version());
    sec.add("hakmem_server_version", project_version());
    sec.add("hakmem_git_revision", git_revision());
    sec.add("redis_git_sha1", "00000000");
    sec.add("redis_git_dirty", 0);
    sec.add("redis_mode", "standalone");
    sec.add("os", os_name());
    sec.add("arch_bits", sizeof(void*) * 8);
    sec.add("multiplexing_api", "epoll");
    sec.add("process_id", getpid());
    sec.add("run_id", run_id());
    sec.add("tcp_port", s.port);
    sec.add("server_time_usec", std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
    sec.add("uptime_in_seconds", s.uptime_s);
    sec.add("uptime_in_days", s.uptime_s / 86400);
    sec.add("io_threads", s.io_threads);
    sec.add("workers", s.workers);
  }
  if (want("clients")) {
    Section sec(out, "Clients");
    sec.add("connected_clients", s.connections_current);
    sec.add("cluster_connections", 0);
    sec.add("maxclients", s.max_clients ? s.max_clients : config.max_clients);
    sec.add("client_recent_max_input_buffer", 0);
    sec.add("client_recent_max_output_buffer", 0);
    sec.add("blocked_clients", 0);  // no blocking command exists
    sec.add("tracking_clients", 0);
    sec.add("clients_in_timeout_table", 0);
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
    const MemoryFigures m = memory_figures(s);
    sec.add("used_memory", m.used);
    sec.add("used_memory_human", human_bytes(m.used));
    sec.add("used_memory_rss", m.rss);
    sec.add("used_memory_rss_human", human_bytes(m.rss));
    sec.add("used_memory_rss_anon", m.rss_anon);
    sec.add("used_memory_rss_file", m.rss_file);
    sec.add("used_memory_peak", m.peak_used);
    sec.add("used_memory_peak_human", human_bytes(m.peak_used));
    sec.add("used_memory_peak_rss", m.peak_rss);
    sec.add("used_memory_peak_rss_human", human_bytes(m.peak_rss));
    sec.add("maxmemory", 0);
    sec.add("maxmemory_human", "0B");
    sec.add("maxmemory_policy", "noeviction");
    // allocator_*: the arena allocator alone (Redis: jemalloc's allocated/active/resident).
    sec.add("allocator_allocated", a.bytes_in_use);
    sec.add("allocator_active", a.bytes_committed);
    sec.add("allocator_resident", a.bytes_committed);
    sec.add("mem_fragmentation_ratio", fmt::format("{:.2f}", m.fragmentation_ratio()));
    sec.add("mem_fragmentation_bytes",
            static_cast<int64_t>(m.rss_anon) - static_cast<int64_t>(m.used));
    sec.add("mem_allocator", a.allocator);
    sec.add("process_malloc", m.process_malloc);
    sec.add("allocator_background", allocator_background_state());
    sec.add("allocator_bytes_in_use", a.bytes_in_use);
    sec.add("allocator_bytes_committed", a.bytes_committed);
    sec.add("system_malloc_bytes_in_use", m.process_malloc_in_use);
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
    sec.add("async_loading", 0);
    sec.add("rdb_changes_since_last_save", 0);
    sec.add("rdb_bgsave_in_progress", 0);
    sec.add("rdb_last_bgsave_status", "ok");
    sec.add("aof_enabled", config.store.kind == "rocksdb" ? 1 : 0);
    sec.add("aof_rewrite_in_progress", 0);
    sec.add("aof_last_write_status", "ok");
    for (const auto& [key, value] : store.info()) sec.add(key, value);
  }
  if (want("keyspace")) {
    Section sec(out, "Keyspace");
    KeyspaceStats k = keyspace_stats(store);
    if (k.keys > 0) {  // Redis lists only databases that hold keys
      sec.add("db0", fmt::format("keys={},expires={},avg_ttl={}", k.keys, k.expires, k.avg_ttl_ms));
    }
  }
  return out;
}

}  // namespace hakmem::server
