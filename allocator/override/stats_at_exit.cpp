// HAKMEM_STATS at exit, to stderr or appended to HAKMEM_STATS_FILE, by every process of a tree
// (fork children, exec'd programs that inherit LD_PRELOAD), tagged with its pid:
//   HAKMEM_STATS=json  one line for tools:
//     hakmem-stats: {"pid":123,"program":"ls","options":{...},"counters":{...}}
//   HAKMEM_STATS=1     (any other value but 0) a table for people: options and where each
//     came from, totals, every counter that is not zero. The public API reports totals only,
//     so there are no per-size-class rows.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/options.hpp"  // where each option came from (not in the public API)
#include "hakmem/hakmem.h"

namespace {

bool g_enabled = false;
bool g_json = false;
char g_path[PATH_MAX] = "";
// A copy of stderr as the process started: coreutils and others close fd 2 before exit.
int g_stderr_copy = -1;
struct stat g_stderr_stat;  // to tell whether the program closed the copy and reused its fd

// A fixed buffer that never allocates and stops appending when full.
struct Line {
  char buf[8192];
  size_t len = 0;
  bool overflow = false;

  void raw(const char* text, size_t n) {
    if (len + n >= sizeof buf) {
      overflow = true;
      return;
    }
    memcpy(buf + len, text, n);
    len += n;
  }
  void add(const char* text) { raw(text, strlen(text)); }
  void add_u64(unsigned long long v) {
    char num[32];
    add(snprintf(num, sizeof num, "%llu", v) > 0 ? num : "0");
  }
  template <typename... Args>
  void addf(const char* fmt, Args... args) {
    char text[512];
    int n = snprintf(text, sizeof text, fmt, args...);
    if (n > 0)
      raw(text, static_cast<size_t>(n) < sizeof text ? static_cast<size_t>(n) : sizeof text - 1);
  }
  void add_string(const char* s) {  // a JSON string: escape quotes, backslashes, controls
    add("\"");
    for (; *s != '\0'; ++s) {
      auto c = static_cast<unsigned char>(*s);
      if (c == '"' || c == '\\') {
        char esc[2] = {'\\', static_cast<char>(c)};
        raw(esc, 2);
      } else if (c < 0x20) {
        char esc[8];
        snprintf(esc, sizeof esc, "\\u%04x", c);
        add(esc);
      } else {
        raw(reinterpret_cast<const char*>(&c), 1);
      }
    }
    add("\"");
  }
};

void add_options(Line& line) {
  line.add("{");
  for (size_t i = 0; i < hak_option_count(); ++i) {
    const char* name = hak_option_name(i);
    int64_t value = 0;
    hak_option_get(name, &value);
    if (i > 0) line.add(",");
    line.add_string(name);
    line.add(":");
    if (strcmp(name, "route") == 0) {
      line.add_string(hak_route_name(static_cast<hak_route>(value)));
    } else {
      line.add_u64(static_cast<unsigned long long>(value));
    }
  }
  line.add("}");
}

double mib(uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

void add_table(Line& line, const hak_counters& c) {
  line.addf("hakmem stats: pid %d (%s) at exit\n", static_cast<int>(getpid()),
            program_invocation_short_name);
  line.add("  options:\n");
  for (size_t i = 0; i < hak_option_count(); ++i) {
    const char* name = hak_option_name(i);
    int64_t value = 0;
    hak_option_get(name, &value);
    if (strcmp(name, "route") == 0) {
      line.addf("    %-20s %12s  %s\n", name, hak_route_name(static_cast<hak_route>(value)),
                hakmem::option_source_name(i));
    } else {
      line.addf("    %-20s %12lld  %s\n", name, static_cast<long long>(value),
                hakmem::option_source_name(i));
    }
  }
#define HAK_ADD_REUSE(name) +c.name
  const uint64_t reuses = 0 HAK_PAGE_REUSES(HAK_ADD_REUSE);
#undef HAK_ADD_REUSE
  line.add("  totals:\n");
  line.addf("    %-20s %12llu  (large %llu)\n", "allocations",
            static_cast<unsigned long long>(c.mallocs),
            static_cast<unsigned long long>(c.large_allocs));
  line.addf("    %-20s %12llu  (local %llu, cross-thread %llu, large %llu)\n", "frees",
            static_cast<unsigned long long>(c.frees_local + c.frees_remote + c.large_frees),
            static_cast<unsigned long long>(c.frees_local),
            static_cast<unsigned long long>(c.frees_remote),
            static_cast<unsigned long long>(c.large_frees));
  line.addf("    %-20s %11.1f%%  reuses / (reuses + fresh pages) = %llu / %llu\n", "page reuse",
            100.0 * hak_page_reuse_rate(&c), static_cast<unsigned long long>(reuses),
            static_cast<unsigned long long>(reuses + c.new_pages));
  line.addf("    %-20s %12llu\n", "fresh pages", static_cast<unsigned long long>(c.new_pages));
  line.addf("    %-20s %8.1f MiB  (peak %.1f MiB)\n", "bytes in use", mib(c.bytes_in_use),
            mib(c.bytes_in_use_peak));
  line.addf("    %-20s %8.1f MiB  (peak %.1f MiB)\n", "bytes committed", mib(c.bytes_committed),
            mib(c.bytes_committed_peak));
  line.add("  counters (those not zero):\n");
  for (size_t i = 0; const char* name = hak_counter_name(i); ++i) {
    uint64_t v = hak_counter_value(&c, i);
    if (v != 0) line.addf("    %-28s %14llu\n", name, static_cast<unsigned long long>(v));
  }
  line.add("  per size class in use (since start; reuse = pages taken that were not fresh):\n");
  line.addf("    %10s %14s %14s %10s %10s %8s\n", "block", "blocks", "in use", "pages", "pages now",
            "reuse");
  for (size_t cls = 0; cls < hak_class_count(); ++cls) {
    hak_class_stats st;
    if (hak_class_stats_get(cls, &st) != 0 || st.mallocs == 0) continue;
    uint64_t live = st.mallocs > st.frees ? st.mallocs - st.frees : 0;
    double reuse = st.pages_taken == 0 ? 1.0
                                       : 1.0 - static_cast<double>(st.pages_new) /
                                                   static_cast<double>(st.pages_taken);
    line.addf("    %10zu %14llu %14llu %10llu %10lld %7.1f%%\n", st.block_size,
              static_cast<unsigned long long>(st.mallocs), static_cast<unsigned long long>(live),
              static_cast<unsigned long long>(st.pages_taken),
              static_cast<long long>(st.pages_in_use), 100.0 * reuse);
  }
}

bool write_all(int fd, const char* text, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, text, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// fd 2 first (it may have been redirected on purpose), then the copy made at start.
void write_stderr(const char* text, size_t len) {
  if (write_all(2, text, len) || errno != EBADF || g_stderr_copy < 0) return;
  struct stat now;
  if (fstat(g_stderr_copy, &now) == 0 && now.st_dev == g_stderr_stat.st_dev &&
      now.st_ino == g_stderr_stat.st_ino) {
    write_all(g_stderr_copy, text, len);
  }
}

// The environment as the program started (it may change or clear it later).
__attribute__((constructor)) void read_stats_env() {
  const char* stats = getenv("HAKMEM_STATS");
  g_enabled = stats != nullptr && *stats != '\0' && strcmp(stats, "0") != 0;
  g_json = g_enabled && strcmp(stats, "json") == 0;
  const char* path = getenv("HAKMEM_STATS_FILE");
  if (g_enabled && path != nullptr && *path != '\0') {
    // Checked now, while stderr is surely open to say so; stderr is the fallback.
    int fd = strlen(path) < sizeof g_path
                 ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)
                 : (errno = ENAMETOOLONG, -1);
    if (fd >= 0) {
      close(fd);
      // Absolute, for a program that changes its working directory (git -C does).
      if (realpath(path, g_path) == nullptr) strcpy(g_path, path);
    } else {
      char msg[256];
      snprintf(msg, sizeof msg,
               "hakmem: cannot open HAKMEM_STATS_FILE=%.100s: %s; stats go to stderr\n", path,
               strerror(errno));
      write_all(2, msg, strlen(msg));
    }
  }
  // Only when asked for stats on stderr; far above the fds a program expects to get next.
  if (g_enabled && g_path[0] == '\0') {
    g_stderr_copy = fcntl(2, F_DUPFD_CLOEXEC, 200);
    if (g_stderr_copy < 0) g_stderr_copy = fcntl(2, F_DUPFD_CLOEXEC, 3);
    if (g_stderr_copy >= 0 && fstat(g_stderr_copy, &g_stderr_stat) != 0) g_stderr_copy = -1;
  }
}

// As late as a library can run: after the program's and its other libraries' destructors
// (libhakmem.so has no dependents), so the counters cover almost the whole process.
__attribute__((destructor)) void write_stats_at_exit() {
  if (!g_enabled) return;
  int saved = errno;
  hak_counters counters;
  hak_counters_get(&counters);
  char json[4096];
  size_t need = g_json ? hak_counters_json(&counters, json, sizeof json) : 0;

  Line line;
  if (!g_json) {
    add_table(line, counters);
  } else {
    line.add("hakmem-stats: {\"pid\":");
    line.add_u64(static_cast<unsigned long long>(getpid()));
    line.add(",\"program\":");
    line.add_string(program_invocation_short_name);
    line.add(",\"options\":");
    add_options(line);
    line.add(",\"counters\":");
    line.add(need < sizeof json ? json : "null");
    line.add("}\n");
  }
  if (line.overflow) {
    line.len = 0;
    line.overflow = false;
    line.add("hakmem-stats: {\"error\":\"line too long\"}\n");
  }

  int fd = -1;
  if (g_path[0] != '\0') {
    fd = open(g_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      char msg[PATH_MAX + 128];
      snprintf(msg, sizeof msg, "hakmem: cannot open HAKMEM_STATS_FILE=%s: %s\n", g_path,
               strerror(errno));
      write_stderr(msg, strlen(msg));
    }
  }
  // One write: lines from processes sharing the file (O_APPEND) never interleave.
  if (fd >= 0) {
    write_all(fd, line.buf, line.len);
    close(fd);
  } else {
    write_stderr(line.buf, line.len);
  }
  errno = saved;
}

}  // namespace
