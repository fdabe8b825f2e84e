#include "runtime_config.h"

#include <fnmatch.h>
#include <strings.h>

#include <cctype>
#include <charconv>
#include <limits>
#include <set>

#ifdef HAKMEM_SERVER_WITH_HAKMEM
#include <hakmem/hakmem.h>
#endif

namespace hakmem::server {
namespace {

bool parse_ll(std::string_view text, int64_t* out) {
  if (text.empty() || text[0] == '+') return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// Redis' memory values: an integer with an optional unit (k=1000, kb=1024, m, mb, g, gb).
bool parse_memory(std::string_view text, int64_t* out) {
  size_t digits = 0;
  while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) ||
                                  (digits == 0 && text[0] == '-'))) {
    ++digits;
  }
  std::string unit(text.substr(digits));
  int64_t mul = 1;
  const std::pair<const char*, int64_t> units[] = {
      {"", 1},        {"b", 1},           {"k", 1000},       {"kb", 1024},
      {"m", 1000000}, {"mb", 1024 << 10}, {"g", 1000000000}, {"gb", int64_t{1} << 30}};
  bool known = false;
  for (const auto& [name, factor] : units) {
    if (strcasecmp(unit.c_str(), name) == 0) {
      mul = factor;
      known = true;
    }
  }
  int64_t n = 0;
  if (!known || !parse_ll(text.substr(0, digits), &n)) return false;
  return !__builtin_mul_overflow(n, mul, out);
}

std::string range_error(int64_t lo, int64_t hi) {
  return "argument must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
         " inclusive";
}

// An integer parameter backed by an atomic, with Redis' range check and messages.
template <typename T>
RuntimeConfig::Param integer_param(std::string name, std::atomic<T>& target, int64_t lo, int64_t hi,
                                   bool memory) {
  return {std::move(name), [&target] { return std::to_string(target.load()); },
          [&target, lo, hi, memory](std::string_view value, bool apply) -> std::string {
            int64_t n = 0;
            if (memory ? !parse_memory(value, &n) : !parse_ll(value, &n)) {
              return memory ? "argument must be a memory value"
                            : "argument couldn't be parsed into an integer";
            }
            if (n < lo || n > hi) return range_error(lo, hi);
            if (apply) target.store(static_cast<T>(n));
            return "";
          }};
}

RuntimeConfig::Param fixed_param(std::string name, std::string value) {
  return {std::move(name), [value] { return value; }, nullptr};
}

#ifdef HAKMEM_SERVER_WITH_HAKMEM
// hakmem-<option>, '_' spelled '-' as Redis spells its parameters.
RuntimeConfig::Param allocator_param(const char* option) {
  std::string name = std::string("hakmem-") + option;
  for (char& ch : name) ch = ch == '_' ? '-' : ch;
  std::string opt = option;
  bool is_route = opt == "route";
  return {name,
          [opt, is_route] {
            int64_t v = 0;
            hak_option_get(opt.c_str(), &v);
            return is_route ? std::string(hak_route_name(static_cast<hak_route>(v)))
                            : std::to_string(v);
          },
          [opt, is_route](std::string_view text, bool apply) -> std::string {
            int64_t v = 0;
            if (is_route) {
              hak_route r{};
              if (hak_route_parse(std::string(text).c_str(), &r) != 0) {
                return "route must be S, P, CDA or A";
              }
              v = r;
            } else if (!parse_ll(text, &v)) {
              return "argument couldn't be parsed into an integer";
            }
            char err[256] = {};
            int rc = apply ? hak_option_set(opt.c_str(), v, err, sizeof err)
                           : hak_option_check(opt.c_str(), v, err, sizeof err);
            if (rc == 0) return "";
            return err[0] ? std::string(err) : std::string("refused by the allocator");
          }};
}
#endif

}  // namespace

RuntimeConfig::RuntimeConfig(const ServerConfig& config, RuntimeLimits& limits, Slowlog& slowlog,
                             std::function<uint16_t()> port) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // Ranges are the flags' ranges (hakmem-server --help), so CONFIG SET allows what a restart
  // with that flag would.
  params_.push_back(integer_param("maxclients", limits.max_clients, 1, 1 << 20, false));
  params_.push_back(integer_param("timeout", limits.idle_timeout_s, 0, 2147483647, false));
  params_.push_back(
      integer_param("proto-max-bulk-len", limits.max_request_bytes, 16, int64_t{1} << 31, true));
  params_.push_back(integer_param("hakmem-max-pipeline", limits.max_pipeline, 1, 1 << 20, false));
  params_.push_back(
      integer_param("hakmem-max-output-bytes", limits.max_output_bytes, 1, int64_t{1} << 40, true));
  params_.push_back(
      integer_param("slowlog-log-slower-than", slowlog.slower_than_us, -1, kMax, false));
  params_.push_back({"slowlog-max-len",
                     [&slowlog] { return std::to_string(slowlog.max_len.load()); },
                     [&slowlog](std::string_view value, bool apply) -> std::string {
                       int64_t n = 0;
                       if (!parse_ll(value, &n))
                         return "argument couldn't be parsed into an integer";
                       if (n < 0) return range_error(0, std::numeric_limits<int64_t>::max());
                       if (apply) slowlog.set_max_len(n);
                       return "";
                     }});
#ifdef HAKMEM_SERVER_WITH_HAKMEM
  for (size_t i = 0; i < hak_option_count(); ++i) {
    if (const char* option = hak_option_name(i)) params_.push_back(allocator_param(option));
  }
#endif
  // Read-only: what the flags fixed at start, and what clients probe (redis-benchmark asks for
  // save and appendonly).
  params_.push_back(fixed_param("bind", config.bind));
  params_.push_back({"port", [port] { return std::to_string(port()); }, nullptr});
  params_.push_back(fixed_param("requirepass", config.requirepass));
  params_.push_back(fixed_param("databases", "1"));
  params_.push_back(fixed_param("save", ""));
  params_.push_back(fixed_param("appendonly", config.store.kind == "rocksdb" ? "yes" : "no"));
  params_.push_back(fixed_param("appendfsync", fsync_policy_name(config.store.fsync)));
  params_.push_back(fixed_param("dir", config.store.data_dir));
  params_.push_back(fixed_param("maxmemory", "0"));
  params_.push_back(fixed_param("maxmemory-policy", "noeviction"));
  params_.push_back(fixed_param("io-threads", std::to_string(config.io_threads)));
  params_.push_back(fixed_param("hakmem-workers", std::to_string(config.workers)));
  params_.push_back(fixed_param("hakmem-store", config.store.kind));
  params_.push_back(fixed_param("hakmem-arena", config.arena));
}

const RuntimeConfig::Param* RuntimeConfig::find(std::string_view name) const {
  for (const Param& p : params_) {
    if (p.name.size() == name.size() && strncasecmp(p.name.data(), name.data(), name.size()) == 0)
      return &p;
  }
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> RuntimeConfig::get(
    const std::vector<std::string_view>& patterns) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Param& p : params_) {
    for (std::string_view pattern : patterns) {
      if (fnmatch(std::string(pattern).c_str(), p.name.c_str(), FNM_CASEFOLD) == 0) {
        out.emplace_back(p.name, p.get());
        break;
      }
    }
  }
  return out;
}

std::string RuntimeConfig::set(
    const std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  auto failed = [](std::string_view name, std::string_view why) {
    return "ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " +
           std::string(why);
  };
  std::lock_guard lock(set_mu_);
  std::vector<const Param*> targets;
  std::set<const Param*> seen;
  for (const auto& [name, value] : pairs) {
    const Param* p = find(name);
    if (p == nullptr) {
      return "ERR Unknown option or number of arguments for CONFIG SET - '" +
             std::string(name.substr(0, 128)) + "'";
    }
    if (!p->set) return failed(p->name, "can't set immutable config");
    if (!seen.insert(p).second) return failed(p->name, "duplicate parameter");
    targets.push_back(p);
  }
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (std::string why = targets[i]->set(pairs[i].second, false); !why.empty()) {
      return failed(targets[i]->name, why);
    }
  }
  std::vector<std::string> previous;
  for (const Param* p : targets) previous.push_back(p->get());
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (std::string why = targets[i]->set(pairs[i].second, true); !why.empty()) {
      // Validated a moment ago, refused now (the allocator changed its mind): undo.
      for (size_t j = 0; j < i; ++j) targets[j]->set(previous[j], true);
      return failed(targets[i]->name, why);
    }
  }
  return "";
}

const std::vector<std::string>& config_help_lines() {
  static const std::vector<std::string> lines = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value> [<directive> <value> ...]",
      "    Set each <directive> to <value>, all or none. hakmem-<option> parameters are the",
      "    allocator's tuning options (checked by the allocator, as the admin RPC does).",
      "RESETSTAT",
      "    Reset the statistics INFO reports (commands, latency, the allocator's counters).",
      "HELP",
      "    Print this help.",
  };
  return lines;
}

}  // namespace hakmem::server
