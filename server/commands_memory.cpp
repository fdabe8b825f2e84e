// MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE, fed by the allocators' own figures
// (hak_counters for hakmem, mallinfo2 for glibc), as Redis feeds them from jemalloc.
#include <malloc.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#ifdef HAKMEM_SERVER_WITH_HAKMEM
#include <hakmem/hakmem.h>
#endif

#include "command_context.h"
#include "command_table.h"
#include "info.h"
#include "introspection.h"
#include "memory_report.h"

namespace hakmem::server {
namespace {

// Bytes the store's hash table spends per key besides the key and value blocks (node, bucket
// slot, block headers): an estimate, the same for every key.
constexpr int64_t kPerKeyOverhead = 64;

std::string sub_arity(std::string_view sub) {
  std::string name = "memory|";
  for (char ch : sub.substr(0, 64)) {
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return wrong_arity_error(name);
}

void memory_usage(CommandContext& ctx, Request& r, RespWriter& out) {
  if (r.argc != 3 && r.argc != 5) return out.error(r.argc < 3 ? sub_arity("usage") : kSyntax);
  if (r.argc == 5) {
    int64_t samples = 0;
    if (!equals_ci(r.arg(3), "SAMPLES")) return out.error(kSyntax);
    if (!parse_int64(r.arg(4), &samples)) return out.error(kNotInteger);
  }
  thread_local std::string stored;
  std::string_view value;
  if (!read_live(ctx, r.arg(2), &stored, &value, nullptr)) return out.null();
  out.integer(static_cast<int64_t>(r.arg(2).size() + stored.size()) + kPerKeyOverhead);
}

void memory_stats(CommandContext& ctx, RespWriter& out) {
  const StatsSnapshot s = ctx.server.stats();
  const MemoryFigures m = memory_figures(s);
  const ArenaReport& a = s.allocator;
  const KeyspaceStats k = keyspace_stats(ctx.store);
  struct Field {
    std::string name;
    double number;
    bool is_double;
  };
  std::vector<Field> fields = {
      {"peak.allocated", static_cast<double>(m.peak_used), false},
      {"total.allocated", static_cast<double>(m.used), false},
      {"clients.normal", static_cast<double>(s.connections_current), false},
      {"keys.count", static_cast<double>(k.keys), false},
      {"keys.bytes-per-key", k.keys ? static_cast<double>(m.used / k.keys) : 0.0, false},
      {"allocator.allocated", static_cast<double>(a.bytes_in_use), false},
      {"allocator.active", static_cast<double>(a.bytes_committed), false},
      {"allocator.resident", static_cast<double>(a.bytes_committed), false},
      {"rss.anon", static_cast<double>(m.rss_anon), false},
      {"rss.file", static_cast<double>(m.rss_file), false},
      {"fragmentation", m.fragmentation_ratio(), true},
      {"fragmentation.bytes",
       static_cast<double>(static_cast<int64_t>(m.rss_anon) - static_cast<int64_t>(m.used)), false},
      {"process-malloc.allocated", static_cast<double>(m.process_malloc_in_use), false},
  };
#ifdef HAKMEM_SERVER_WITH_HAKMEM
  // Every hakmem counter, under its own name: what the admin RPC's DumpCounters shows.
  hak_counters c{};
  hak_counters_get(&c);
  fields.push_back({"hakmem.page-reuse-rate", hak_page_reuse_rate(&c), true});
  for (size_t i = 0; const char* name = hak_counter_name(i); ++i) {
    fields.push_back(
        {std::string("hakmem.") + name, static_cast<double>(hak_counter_value(&c, i)), false});
  }
#endif
  out.map_header(fields.size() + 2);
  out.bulk("allocator");
  out.bulk(a.allocator);
  out.bulk("process-malloc");
  out.bulk(m.process_malloc);
  for (const Field& f : fields) {
    out.bulk(f.name);
    if (f.is_double) {
      out.double_reply(f.number);
    } else {
      out.integer(static_cast<int64_t>(f.number));
    }
  }
}

void memory_malloc_stats(RespWriter& out) {
#ifdef HAKMEM_SERVER_WITH_HAKMEM
  hak_counters c{};
  hak_counters_get(&c);
  std::string json(hak_counters_json(&c, nullptr, 0), '\0');
  hak_counters_json(&c, json.data(), json.size() + 1);
  out.verbatim("hakmem counters: " + json + "\n");
#else
  out.verbatim("Stats not supported for the current allocator\n");
#endif
}

void memory_purge(RespWriter& out) {
#ifdef HAKMEM_SERVER_WITH_HAKMEM
  hak_collect(1);  // every empty page back to the OS now
#endif
  if (process_malloc_name() == "glibc") malloc_trim(0);
  out.ok();
}

void cmd_memory(CommandContext& ctx, Request& r, RespWriter& out) {
  std::string_view sub = r.arg(1);
  auto only = [&](size_t argc) {
    if (r.argc == argc) return true;
    out.error(sub_arity(sub));
    return false;
  };
  if (equals_ci(sub, "USAGE")) return memory_usage(ctx, r, out);
  if (equals_ci(sub, "STATS")) {
    if (only(2)) memory_stats(ctx, out);
  } else if (equals_ci(sub, "DOCTOR")) {
    if (!only(2)) return;
    const StatsSnapshot s = ctx.server.stats();
    out.verbatim(memory_doctor(memory_figures(s), s.allocator));
  } else if (equals_ci(sub, "MALLOC-STATS")) {
    if (only(2)) memory_malloc_stats(out);
  } else if (equals_ci(sub, "PURGE")) {
    if (only(2)) memory_purge(out);
  } else if (equals_ci(sub, "HELP") && r.argc == 2) {
    static const char* const lines[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems found, from the allocator's counters.",
        "MALLOC-STATS",
        "    Return the allocator's counters (hakmem: the HAKMEM_STATS JSON).",
        "PURGE",
        "    Return empty pages to the OS now (hak_collect, malloc_trim).",
        "STATS",
        "    Return the memory figures as a map (INFO memory's, plus every hakmem counter).",
        "USAGE <key> [SAMPLES <count>]",
        "    Return the bytes a key and its value take (key, stored value, a fixed overhead).",
        "HELP",
        "    Print this help.",
    };
    out.array(std::size(lines));
    for (const char* line : lines) out.simple(line);
  } else {
    out.error(unknown_subcommand_error(sub, "MEMORY"));
  }
}

const CommandSpec kCommands[] = {
    {"memory", -2, {"readonly"}, 0, 0, 0, Access::kRead, cmd_memory},
};

}  // namespace

std::span<const CommandSpec> memory_commands() {
  return kCommands;
}

}  // namespace hakmem::server
