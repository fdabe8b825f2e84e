#include "scrape.h"

#include "prometheus_text.h"

#ifdef HAKMEM_SERVER_WITH_HAKMEM
#include "hakmem/hakmem.h"
#endif

namespace hakmem::metrics {

namespace {

#ifdef HAKMEM_SERVER_WITH_HAKMEM
struct AllocatorCounter {
  const char* name;
  bool gauge;
  const char* help;
};

// From the allocator's own list, so a counter added there is scraped without a change here.
// Event counters are rebased by hak_counters_reset (hakmem-admin reset): Prometheus sees that
// as a counter reset, which rate() and increase() handle.
#define HAK_METRIC_GAUGE_HEAP false
#define HAK_METRIC_GAUGE_PROCESS false
#define HAK_METRIC_GAUGE_DERIVED false
#define HAK_METRIC_GAUGE_GAUGE true
constexpr AllocatorCounter kAllocatorCounters[] = {
#define HAK_METRIC_ROW(name, kind, desc) {#name, HAK_METRIC_GAUGE_##kind, desc},
    HAK_COUNTERS(HAK_METRIC_ROW)
#undef HAK_METRIC_ROW
};

void write_allocator(PrometheusText& out) {
  hak_counters c{};
  hak_counters_get(&c);
  for (size_t i = 0; i < std::size(kAllocatorCounters); ++i) {
    const AllocatorCounter& row = kAllocatorCounters[i];
    const std::string name = allocator_metric_name(row.name, row.gauge);
    out.family(name, row.gauge ? "gauge" : "counter", row.help);
    out.sample(name, hak_counter_value(&c, i));
  }
  out.family("hakmem_page_reuse_ratio", "gauge",
             "reuses / (reuses + new pages) since start or the last reset; reuses = must-reuse, "
             "active-drain and partial hits, orphan claims, adoptions, emptied pages reused");
  out.sample("hakmem_page_reuse_ratio", hak_page_reuse_rate(&c));
  out.family("hakmem_route_info", "gauge", "the allocator's slow-path route (label route)");
  out.sample("hakmem_route_info", {{"route", hak_route_name(hak_get_route())}}, uint64_t{1});
  out.family("hakmem_option", "gauge", "the allocator's tuning options (label option)");
  for (size_t i = 0; const char* option = hak_option_name(i); ++i) {
    int64_t value = 0;
    hak_option_get(option, &value);
    out.sample("hakmem_option", {{"option", option}}, static_cast<double>(value));
  }
}
#endif

void write_server(PrometheusText& out, const server::StatsSnapshot& s) {
  out.family("hakmem_server_uptime_seconds", "gauge", "seconds since the server started");
  out.sample("hakmem_server_uptime_seconds", s.uptime_s);
  out.family("hakmem_server_connections", "gauge", "client connections open now");
  out.sample("hakmem_server_connections", s.connections_current);
  out.family("hakmem_server_connections_total", "counter", "client connections accepted");
  out.sample("hakmem_server_connections_total", s.connections_total);
  out.family("hakmem_server_connections_rejected_total", "counter",
             "connections refused over --max-clients");
  out.sample("hakmem_server_connections_rejected_total", s.connections_rejected);
  out.family("hakmem_server_disconnects_total", "counter",
             "connections the server closed, by reason (protocol: malformed or oversized input; "
             "idle: --idle-timeout)");
  out.sample("hakmem_server_disconnects_total", {{"reason", "protocol"}}, s.disconnects_protocol);
  out.sample("hakmem_server_disconnects_total", {{"reason", "idle"}}, s.disconnects_idle);
  out.family("hakmem_server_commands_total", "counter",
             "commands executed, by command (those seen at least once)");
  for (const auto& [command, count] : s.command_counts) {
    out.sample("hakmem_server_commands_total", {{"command", command}}, count);
  }
  out.family("hakmem_server_queue_depth", "gauge", "requests waiting for a worker");
  out.sample("hakmem_server_queue_depth", s.queue_depth);
  out.family("hakmem_server_queue_capacity", "gauge", "requests that may wait (--queue-capacity)");
  out.sample("hakmem_server_queue_capacity", s.queue_capacity);

  // One histogram for every command: the server keeps no per-command latency.
  const server::LatencyBuckets& b = s.service_latency_buckets;
  std::vector<double> bounds;
  for (uint64_t ns : b.upper_ns) bounds.push_back(static_cast<double>(ns) / 1e9);
  out.histogram("hakmem_server_service_latency_seconds",
                "time from a request's arrival on a worker's queue to its reply being ready "
                "(all commands)",
                bounds, b.cumulative, b.count, static_cast<double>(b.sum_ns) / 1e9);

  out.family("hakmem_server_arena_objects_bytes", "gauge",
             "requested bytes of live request, reply and value objects, counted by the server");
  out.sample("hakmem_server_arena_objects_bytes", s.arena.bytes_in_use);
  out.family("hakmem_server_arena_frees_total", "counter",
             "frees of server objects, by whether another thread allocated them");
  out.sample("hakmem_server_arena_frees_total", {{"thread", "same"}},
             s.arena.frees - s.arena.cross_thread_frees);
  out.sample("hakmem_server_arena_frees_total", {{"thread", "other"}}, s.arena.cross_thread_frees);
  out.family("hakmem_server_arena_info", "gauge", "the allocator of server objects (--arena)");
  out.sample("hakmem_server_arena_info", {{"arena", s.allocator.allocator}}, uint64_t{1});
  out.family("hakmem_server_system_malloc_in_use_bytes", "gauge",
             "live bytes of glibc's malloc (RocksDB and others), from mallinfo2");
  out.sample("hakmem_server_system_malloc_in_use_bytes", s.system_malloc_bytes_in_use);

  out.family("process_resident_memory_bytes", "gauge", "resident set size (VmRSS)");
  out.sample("process_resident_memory_bytes", s.rss_bytes);
  out.family("hakmem_server_peak_resident_memory_bytes", "gauge", "peak resident set size (VmHWM)");
  out.sample("hakmem_server_peak_resident_memory_bytes", s.peak_rss_bytes);
}

}  // namespace

std::string allocator_metric_name(std::string_view counter, bool gauge) {
  std::string name = "hakmem_" + std::string(counter);
  if (!gauge) return name + "_total";
  const bool bytes = counter.find("bytes") != std::string_view::npos;
  const bool ends_in_bytes = counter.size() >= 6 && counter.substr(counter.size() - 6) == "_bytes";
  return bytes && !ends_in_bytes ? name + "_bytes" : name;
}

std::string render_scrape(const server::StatsSnapshot& stats) {
  PrometheusText out;
#ifdef HAKMEM_SERVER_WITH_HAKMEM
  write_allocator(out);
#endif
  write_server(out, stats);
  return out.text();
}

}  // namespace hakmem::metrics
