#include "memory_report.h"

#include <dlfcn.h>
#include <malloc.h>

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <optional>

#ifdef HAKMEM_SERVER_WITH_HAKMEM
#include <hakmem/hakmem.h>
#endif

namespace hakmem::server {
namespace {

struct ProcStatus {
  uint64_t rss = 0, hwm = 0, anon = 0, file = 0, shmem = 0;
};

ProcStatus read_proc_status() {
  ProcStatus s;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    auto kb = [&](const char* prefix, uint64_t* out) {
      size_t n = std::char_traits<char>::length(prefix);
      if (line.compare(0, n, prefix) == 0)
        *out = std::strtoull(line.c_str() + n, nullptr, 10) * 1024;
    };
    kb("VmRSS:", &s.rss);
    kb("VmHWM:", &s.hwm);
    kb("RssAnon:", &s.anon);
    kb("RssFile:", &s.file);
    kb("RssShmem:", &s.shmem);
  }
  return s;
}

std::atomic<uint64_t> g_peak_used{0};

std::string malloc_library_path() {
  Dl_info info{};
  void* (*fn)(size_t) = &malloc;
  if (dladdr(reinterpret_cast<void*>(fn), &info) == 0 || info.dli_fname == nullptr) return {};
  return info.dli_fname;
}

// Live bytes of the LD_PRELOAD allocator serving malloc(), asked through that library's own
// symbols (the server's statically linked hakmem is another instance): hakmem's
// hak_counters_get or jemalloc's mallctl. nullopt for glibc or an allocator that cannot say.
std::optional<uint64_t> preloaded_malloc_in_use() {
  void* handle = process_malloc_library();
  if (handle == nullptr) return std::nullopt;
#ifdef HAKMEM_SERVER_WITH_HAKMEM
  using CountersFn = void (*)(hak_counters*);
  if (auto get = reinterpret_cast<CountersFn>(dlsym(handle, "hak_counters_get"))) {
    if (get == &hak_counters_get) return 0;  // the arena's own instance: counted there
    hak_counters c{};
    get(&c);
    return c.bytes_in_use;
  }
#endif
  using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);
  if (auto mallctl = reinterpret_cast<MallctlFn>(dlsym(handle, "mallctl"))) {
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    mallctl("epoch", &epoch, &len, &epoch, len);
    size_t allocated = 0;
    len = sizeof allocated;
    if (mallctl("stats.allocated", &allocated, &len, nullptr, 0) == 0) return allocated;
  }
  return std::nullopt;
}

}  // namespace

const std::string& process_malloc_name() {
  static const std::string name = [] {
    std::string file = malloc_library_path();
    if (file.empty()) return std::string("unknown");
    std::string base = file.substr(file.rfind('/') + 1);
    return base.rfind("libc.so", 0) == 0 ? std::string("glibc") : base;
  }();
  return name;
}

void* process_malloc_library() {
  static void* const handle = [] {
    std::string path = malloc_library_path();
    if (path.empty() || process_malloc_name() == "glibc") return static_cast<void*>(nullptr);
    return dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  }();
  return handle;
}

double MemoryFigures::fragmentation_ratio() const {
  return used ? static_cast<double>(rss_anon) / static_cast<double>(used) : 0.0;
}

MemoryFigures memory_figures(const StatsSnapshot& s) {
  MemoryFigures m;
  ProcStatus proc = read_proc_status();
  m.rss = proc.rss ? proc.rss : s.rss_bytes;
  m.peak_rss = proc.hwm ? proc.hwm : s.peak_rss_bytes;
  m.rss_anon = proc.anon + proc.shmem;
  m.rss_file = proc.file;
  m.arena = s.allocator.allocator;
  m.process_malloc = process_malloc_name();
  // glibc's figures mean something only when glibc serves malloc. An LD_PRELOAD allocator is
  // asked through its own library; when the arena is that very allocator (--arena jemalloc
  // with libjemalloc preloaded) it is counted once.
  const bool arena_is_process_malloc = !m.arena.empty() && m.arena != "hakmem" &&
                                       m.process_malloc.find(m.arena) != std::string::npos;
  if (m.process_malloc == "glibc") {
    m.process_malloc_in_use = s.system_malloc_bytes_in_use;
  } else if (!arena_is_process_malloc) {
    m.process_malloc_in_use = preloaded_malloc_in_use().value_or(0);
  }
  m.arena_in_use = s.allocator.allocator == "system" ? 0 : s.allocator.bytes_in_use;
  m.arena_committed = s.allocator.bytes_committed;
  m.used = m.arena_in_use + m.process_malloc_in_use;
  if (m.used == 0) m.used = s.allocator.bytes_in_use;
  uint64_t peak = g_peak_used.load(std::memory_order_relaxed);
  while (m.used > peak && !g_peak_used.compare_exchange_weak(peak, m.used)) {
  }
  m.peak_used = std::max(peak, m.used);
  return m;
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

std::string memory_doctor(const MemoryFigures& m, const ArenaReport& a) {
  constexpr uint64_t kSmall = 5u << 20;
  if (m.used < kSmall) {
    return fmt::format(
        "This server uses {} through its allocators: too little for a diagnosis to mean "
        "anything (fixed costs dominate). Ask again once it holds some data.\n",
        human_bytes(m.used));
  }
  std::string out;
  auto issue = [&](const std::string& text) { out += " * " + text + "\n"; };
  if (m.peak_used > m.used * 3 / 2) {
    issue(fmt::format(
        "Peak allocated memory ({}) is more than 1.5 times what is allocated now ({}): RSS may "
        "stay high after the peak until freed pages are returned (hakmem-purge-delay-ms).",
        human_bytes(m.peak_used), human_bytes(m.used)));
  }
  if (m.fragmentation_ratio() > 1.4) {
    issue(
        fmt::format("Anonymous RSS is {:.2f} times the allocated bytes ({} mapped for {} in use).",
                    m.fragmentation_ratio(), human_bytes(m.rss_anon), human_bytes(m.used)));
  }
  if (a.allocator == "hakmem" && a.bytes_in_use > 0 && a.bytes_committed > a.bytes_in_use * 3 / 2) {
    issue(fmt::format(
        "hakmem holds {} committed for {} of live blocks: pages are partly empty (page reuse "
        "rate {:.2f}); CONFIG SET hakmem-route P enables adoption of pages freed by other "
        "threads, and MEMORY PURGE returns empty pages now.",
        human_bytes(a.bytes_committed), human_bytes(a.bytes_in_use), a.page_reuse_rate));
  }
  if (out.empty()) {
    return "No memory problem found: allocated, committed and resident memory agree.\n";
  }
  return "Memory report:\n\n" + out;
}

}  // namespace hakmem::server
