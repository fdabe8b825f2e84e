#include "options.hpp"
#include "hakmem/route_names.h"

#include <strings.h>
#include <unistd.h>  // environ
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "hakmem/hakmem.h"
#include "os.hpp"

namespace hakmem {

const OptionSpec kOptionSpecs[kOptionCount] = {
#define HAK_OPTION_SPEC(id, name, min, max, def, help) {#name, help, min, max, def},
    HAK_OPTIONS(HAK_OPTION_SPEC)
#undef HAK_OPTION_SPEC
};

// Constant-initialized: malloc may run before any constructor.
constinit std::atomic<int64_t> g_option_values[kOptionCount] = {
#define HAK_OPTION_DEFAULT(id, name, min, max, def, help) {def},
    HAK_OPTIONS(HAK_OPTION_DEFAULT)
#undef HAK_OPTION_DEFAULT
};

constinit std::atomic<uint8_t> g_option_sources[kOptionCount] = {};

namespace {
constinit std::atomic<void (*)(OptionId)> g_observer{nullptr};

void notify(size_t index) {
  if (auto* observer = g_observer.load(std::memory_order_acquire)) {
    observer(static_cast<OptionId>(index));
  }
}
}  // namespace

void options_set_observer(void (*observer)(OptionId)) {
  g_observer.store(observer, std::memory_order_release);
}

const char* option_source_name(size_t index) {
  if (index >= kOptionCount) return "?";
  switch (g_option_sources[index].load(std::memory_order_relaxed)) {
    case kFromEnvironment:
      return "environment";
    case kFromRunTime:
      return "run-time";
    default:
      return "default";
  }
}

namespace {

const OptionSpec* find_option(const char* name, size_t* index) {
  if (name == nullptr) return nullptr;
  for (size_t i = 0; i < kOptionCount; ++i) {
    if (strcmp(kOptionSpecs[i].name, name) == 0) {
      *index = i;
      return &kOptionSpecs[i];
    }
  }
  return nullptr;
}

void write_error(char* err, size_t err_len, const char* text) {
  if (err == nullptr || err_len == 0) return;
  size_t n = strlen(text);
  if (n >= err_len) n = err_len - 1;
  memcpy(err, text, n);
  err[n] = '\0';
}

bool parse_int(const char* text, int64_t* out) {
  if (text == nullptr || *text == '\0') return false;
  errno = 0;
  char* end = nullptr;
  long long v = strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0') return false;
  *out = v;
  return true;
}

int check(const char* name, int64_t value, char* err, size_t err_len, size_t* index) {
  const OptionSpec* spec = find_option(name, index);
  char msg[256];
  if (spec == nullptr) {
    snprintf(msg, sizeof msg, "unknown option '%s'", name ? name : "(null)");
    write_error(err, err_len, msg);
    return EINVAL;
  }
  if (value < spec->min || value > spec->max) {
    snprintf(msg, sizeof msg, "option %s: %lld is out of range %lld..%lld", spec->name,
             static_cast<long long>(value), static_cast<long long>(spec->min),
             static_cast<long long>(spec->max));
    write_error(err, err_len, msg);
    return EINVAL;
  }
  return 0;
}

int parse_value(size_t index, const char* text, int64_t* value) {
  if (index == kOptRoute) {
    hak_route r;
    if (hak_route_parse(text, &r) == 0) {
      *value = r;
      return 0;
    }
  }
  return parse_int(text, value) ? 0 : EINVAL;
}

}  // namespace

namespace {

constexpr size_t kEnvNameMax = 64;

void env_name(size_t option, char (&env)[kEnvNameMax]) {
  strcpy(env, "HAKMEM_");
  size_t n = strlen(env);
  for (const char* c = kOptionSpecs[option].name; *c != '\0' && n + 1 < sizeof env; ++c) {
    env[n++] = static_cast<char>(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
  }
  env[n] = '\0';
}

// HAKMEM_* names read elsewhere: the preload library's stats at exit, this allocator's own
// switch, and the tools that run on it (hakmem-server, -admin, -load, -bench).
constexpr const char* kOtherEnvNames[] = {
    "HAKMEM_STATS",       "HAKMEM_STATS_FILE",    "HAKMEM_VERBOSE",
    "HAKMEM_ADMIN_TOKEN", "HAKMEM_METRICS_TOKEN", "HAKMEM_BENCH_PRELOADED",
};

// Levenshtein distance of two short names, without allocating (malloc may be running).
size_t edit_distance(const char* a, size_t la, const char* b) {
  size_t lb = strlen(b);
  if (la >= kEnvNameMax || lb >= kEnvNameMax) return kEnvNameMax;
  size_t row[kEnvNameMax];
  for (size_t j = 0; j <= lb; ++j) row[j] = j;
  for (size_t i = 1; i <= la; ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; ++j) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

// Warns about every HAKMEM_* variable nobody reads, with the nearest known name when close.
void warn_unknown_names() {
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const char* entry = *e;
    if (strncmp(entry, "HAKMEM_", 7) != 0) continue;
    const char* eq = strchr(entry, '=');
    size_t len = eq ? static_cast<size_t>(eq - entry) : strlen(entry);
    char nearest[kEnvNameMax] = "";
    size_t best = kEnvNameMax;
    auto consider = [&](const char* known) {
      size_t d = edit_distance(entry, len, known);
      if (d < best) {
        best = d;
        strcpy(nearest, known);  // known may be a buffer the next name overwrites
      }
    };
    char env[kEnvNameMax];
    for (size_t i = 0; i < kOptionCount && best > 0; ++i) {
      env_name(i, env);
      consider(env);
      if (best == 0) break;
    }
    for (const char* known : kOtherEnvNames) consider(known);
    if (best == 0) continue;
    char msg[256];
    int name_len = len > 100 ? 100 : static_cast<int>(len);
    // Close means a typo: a third of the name or fewer edits.
    if (nearest[0] != '\0' && best <= (len + 2) / 3) {
      snprintf(msg, sizeof msg, "hakmem: unknown environment variable %.*s (did you mean %s?)\n",
               name_len, entry, nearest);
    } else {
      snprintf(msg, sizeof msg, "hakmem: unknown environment variable %.*s (ignored)\n", name_len,
               entry);
    }
    os::write_stderr(msg);
  }
}

bool verbose_requested() {
  const char* v = getenv("HAKMEM_VERBOSE");
  return v != nullptr && *v != '\0' && strcmp(v, "0") != 0;
}

void print_options() {
  os::write_stderr("hakmem: options (value, where it came from):\n");
  for (size_t i = 0; i < kOptionCount; ++i) {
    int64_t value = g_option_values[i].load(std::memory_order_relaxed);
    char shown[32];
    if (i == kOptRoute) {
      snprintf(shown, sizeof shown, "%s", hak_route_name(static_cast<hak_route>(value)));
    } else {
      snprintf(shown, sizeof shown, "%lld", static_cast<long long>(value));
    }
    char env[kEnvNameMax];
    env_name(i, env);
    char msg[256];
    if (g_option_sources[i].load(std::memory_order_relaxed) == kFromEnvironment) {
      snprintf(msg, sizeof msg, "hakmem:   %-20s %-8s environment (%s)\n", kOptionSpecs[i].name,
               shown, env);
    } else {
      snprintf(msg, sizeof msg, "hakmem:   %-20s %-8s %s\n", kOptionSpecs[i].name, shown,
               option_source_name(i));
    }
    os::write_stderr(msg);
  }
}

}  // namespace

void options_init_from_env() {
  for (size_t i = 0; i < kOptionCount; ++i) {
    char env[kEnvNameMax];
    env_name(i, env);
    const char* text = getenv(env);
    if (text == nullptr) continue;
    char err[256];
    if (hak_option_set_text(kOptionSpecs[i].name, text, err, sizeof err) != 0) {
      char msg[512];
      snprintf(msg, sizeof msg, "hakmem: ignoring %s=%s: %s\n", env, text, err);
      os::write_stderr(msg);
    } else {
      g_option_sources[i].store(kFromEnvironment, std::memory_order_relaxed);
    }
  }
  warn_unknown_names();
  if (verbose_requested()) print_options();
}

}  // namespace hakmem

using namespace hakmem;

extern "C" {

size_t hak_option_count(void) {
  return kOptionCount;
}

const char* hak_option_name(size_t index) {
  return index < kOptionCount ? kOptionSpecs[index].name : nullptr;
}

const char* hak_option_help(const char* name) {
  size_t index;
  const OptionSpec* spec = find_option(name, &index);
  return spec ? spec->help : nullptr;
}

int hak_option_get(const char* name, int64_t* value) {
  size_t index;
  if (find_option(name, &index) == nullptr || value == nullptr) return EINVAL;
  *value = g_option_values[index].load(std::memory_order_relaxed);
  return 0;
}

int hak_option_check(const char* name, int64_t value, char* err, size_t err_len) {
  size_t index;
  return check(name, value, err, err_len, &index);
}

int hak_option_set(const char* name, int64_t value, char* err, size_t err_len) {
  size_t index;
  int rc = check(name, value, err, err_len, &index);
  if (rc == 0) {
    g_option_values[index].store(value, std::memory_order_relaxed);
    g_option_sources[index].store(kFromRunTime, std::memory_order_relaxed);
    notify(index);
  }
  return rc;
}

int hak_option_set_text(const char* name, const char* text, char* err, size_t err_len) {
  size_t index;
  const OptionSpec* spec = find_option(name, &index);
  if (spec == nullptr) return check(name, 0, err, err_len, &index);
  int64_t value;
  if (parse_value(index, text, &value) != 0) {
    char msg[256];
    snprintf(msg, sizeof msg, "option %s: '%s' is not valid (%s)", spec->name,
             text ? text : "(null)", spec->help);
    write_error(err, err_len, msg);
    return EINVAL;
  }
  return hak_option_set(name, value, err, err_len);
}

const char* hak_route_name(hak_route route) {
  return hak_route_to_name(route);
}

int hak_route_parse(const char* text, hak_route* out) {
  if (text == nullptr || out == nullptr) return EINVAL;
  return hak_route_from_name(text, out) ? 0 : EINVAL;
}

int hak_set_route(hak_route route) {
  if (route != HAK_ROUTE_S && route != HAK_ROUTE_P && route != HAK_ROUTE_CDA &&
      route != HAK_ROUTE_A) {
    return EINVAL;
  }
  g_option_values[kOptRoute].store(route, std::memory_order_relaxed);
  g_option_sources[kOptRoute].store(kFromRunTime, std::memory_order_relaxed);
  return 0;
}

hak_route hak_get_route(void) {
  return static_cast<hak_route>(g_option_values[kOptRoute].load(std::memory_order_relaxed));
}

}  // extern "C"
