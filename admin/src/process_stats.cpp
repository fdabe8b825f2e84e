#include "process_stats.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace hakmem::admin {

namespace {

// "VmRSS:     1234 kB" -> bytes.
uint64_t status_kib(const std::string& text, const char* key) {
  size_t at = text.find(key);
  if (at == std::string::npos) return 0;
  std::istringstream in(text.substr(at + std::char_traits<char>::length(key)));
  uint64_t kib = 0;
  in >> kib;
  return kib * 1024;
}

// Seconds since boot when this process started: field 22 of /proc/self/stat, in clock ticks.
// The command name (field 2) may hold spaces, so count fields after its closing parenthesis.
double start_since_boot() {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::stod(field) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return 0;
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats s;
  std::ifstream status("/proc/self/status");
  std::string text((std::istreambuf_iterator<char>(status)), std::istreambuf_iterator<char>());
  s.rss_bytes = status_kib(text, "VmRSS:");
  s.peak_rss_bytes = status_kib(text, "VmHWM:");
  double since_boot = 0;
  std::ifstream("/proc/uptime") >> since_boot;
  double started = start_since_boot();
  s.uptime_seconds = since_boot > started ? since_boot - started : 0;
  return s;
}

}  // namespace hakmem::admin
