#include "allocator_compare.hpp"

#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <optional>

#include "preload.hpp"
#include "ratio_interval.hpp"
#include "run_report.hpp"

namespace hakmem::bench {

namespace {

struct Config {
  std::string alloc;
  std::string route;  // asked of hakmem; "" keeps its default (HAKMEM_ROUTE, else P)
  std::vector<RunReport> runs;
  // Further HAKMEM_* settings (--compare-seed) and how the label names them.
  std::vector<std::pair<std::string, std::string>> env = {};
  std::string suffix = {};
  std::vector<int> run_reps = {};  // the rep each of `runs` was made in (a failed run: a gap)
  // The route the runs reported, so the default route is named too.
  std::string label() const {
    std::string r = runs.empty() ? route : runs.front().route;
    return (r.empty() ? alloc : alloc + " " + r) + suffix;
  }
};

// Runs this binary with `args` on the configuration's allocator; its exit status and stdout.
int run_child(const Config& c, const std::vector<std::string>& args, std::string* out) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::string why;
    if (!set_alloc_env(c.alloc, c.route, &why)) {
      fmt::print(stderr, "hakmem-bench: {}\n", why);
      _exit(2);
    }
    for (const auto& [name, value] : c.env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> cargs;
    for (const auto& a : args) cargs.push_back(const_cast<char*>(a.c_str()));
    cargs.push_back(nullptr);
    execv("/proc/self/exe", cargs.data());
    _exit(127);
  }
  close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The caller's arguments minus the ones the comparison sets itself.
std::vector<std::string> base_args(int argc, char** argv) {
  std::vector<std::string> args{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--compare" || a == "--compare-routes" || a == "--compare-seed" || a == "--json")
      continue;
    bool with_value = false;
    for (const char* opt : {"--reps", "--alloc", "--allocs", "--route"}) {
      if (a == opt) {
        with_value = true;
        ++i;
      } else if (a.rfind(std::string(opt) + "=", 0) == 0) {
        with_value = true;
      }
    }
    if (!with_value) args.push_back(a);
  }
  return args;
}

struct Stat {
  double median = 0, min = 0, max = 0;
};

template <class F>
std::vector<double> values(const Config& c, F field) {
  std::vector<double> v;
  for (const RunReport& r : c.runs) v.push_back(field(r));
  return v;
}

template <class F>
Stat stat_of(const Config& c, F field) {
  std::vector<double> v = values(c, field);
  if (v.empty()) return {};
  return {median_of(v), *std::min_element(v.begin(), v.end()),
          *std::max_element(v.begin(), v.end())};
}

double ops(const RunReport& r) {
  return r.ops_per_sec / 1e6;
}
double rss(const RunReport& r) {
  return r.peak_rss / 1048576.0;
}
double counter(const RunReport& r, const char* name) {
  auto it = r.counters.find(name);
  return it == r.counters.end() ? 0.0 : static_cast<double>(it->second);
}

// c's and ref's runs made in the same rep, as (c, ref) pairs.
template <class F>
RunPairs pairs_by_rep(const Config& c, const Config& ref, F field) {
  RunPairs pairs;
  for (size_t i = 0; i < c.runs.size(); ++i) {
    for (size_t j = 0; j < ref.runs.size(); ++j) {
      if (c.run_reps[i] == ref.run_reps[j])
        pairs.emplace_back(field(c.runs[i]), field(ref.runs[j]));
    }
  }
  return pairs;
}

// The configuration a ratio is taken against, with its median.
struct Reference {
  const Config* config = nullptr;
  double value = 0;
  // c's median over the reference's, with its bootstrap interval (ratio_interval.hpp).
  template <class F>
  std::string ratio(const Config& c, F field) const {
    if (config == nullptr) return "-";
    if (&c == config) return "1.00";  // its own reps against themselves say nothing
    return format_ratio(values(c, field), values(*config, field));
  }
  // The same, rep by rep (ratio_interval.hpp's paired_ratio).
  template <class F>
  std::string paired(const Config& c, F field) const {
    if (config == nullptr) return "-";
    return format_paired_ratio(pairs_by_rep(c, *config, field));
  }
};

// Among `configs` accepted by `keep`, the one whose median of `field` is best.
template <class Keep, class Field>
Reference best(const std::vector<Config>& configs, Keep keep, Field field, bool highest) {
  Reference ref;
  for (const Config& c : configs) {
    if (c.runs.empty() || !keep(c)) continue;
    double v = stat_of(c, field).median;
    if (ref.config == nullptr || (highest ? v > ref.value : v < ref.value)) ref = {&c, v};
  }
  return ref;
}

std::vector<Config> configs_for(const std::string& route, const CompareOptions& options) {
  std::vector<Config> configs;
  if (options.seed_mode) {
    // The note's rows: CDA as it was (threshold 1), its threshold and re-enqueue attempts,
    // and the two routes it proposed instead.
    auto cda = [](std::string threshold, std::string reenqueue, std::string suffix) {
      return Config{
          "hakmem",
          "CDA",
          {},
          {{"HAKMEM_NOTIFY_THRESHOLD", threshold}, {"HAKMEM_REENQUEUE_AFTER_DRAIN", reenqueue}},
          suffix};
    };
    configs.push_back(cda("1", "0", ""));
    configs.push_back(cda("4", "0", " threshold=4"));
    configs.push_back(cda("2", "0", " threshold=2"));
    configs.push_back(cda("1", "1", " threshold=1 + re-enqueue"));
    for (const char* r : {"S", "P"}) configs.push_back({"hakmem", r, {}});
    return configs;
  }
  if (options.routes_mode) {
    for (const char* r : {"S", "P", "CDA", "A"}) configs.push_back({"hakmem", r, {}});
    return configs;
  }
  std::vector<std::string> skipped;
  std::vector<std::string> names = available_alloc_names(&skipped);
  if (!options.allocs.empty()) {
    names.clear();
    skipped.clear();
    for (const auto& n : options.allocs) names.push_back(n);  // a missing one fails its runs
  }
  for (const auto& name : names) configs.push_back({name, is_hakmem_alloc(name) ? route : "", {}});
  for (const auto& note : skipped) fmt::print("note: skipping {}\n", note);
  return configs;
}

double committed(const RunReport& r) {
  return counter(r, "bytes_committed_peak") / 1048576.0;
}

// The design's question for Route A: is it as good as the better of S and P, measured the way
// each metric prefers (more operations, less memory)?
void print_route_a_verdict(const std::vector<Config>& configs) {
  auto route_is = [](const char* r) { return [r](const Config& c) { return c.route == r; }; };
  auto s_or_p = [](const Config& c) { return c.route == "S" || c.route == "P"; };
  Reference a = best(configs, route_is("A"), ops, true);
  if (a.config == nullptr) return;
  auto line = [&](const char* what, auto field, bool highest) {
    Reference better = best(configs, s_or_p, field, highest);
    if (better.config == nullptr) return;
    fmt::print("Route A / better of S and P, {}: {} (against {}); rep by rep {}\n", what,
               better.ratio(*a.config, field), better.config->label(),
               better.paired(*a.config, field));
  };
  line("M ops/s", ops, true);
  line("peak committed", committed, false);
  line("peak RSS", rss, false);
}

// Two builds of hakmem side by side (--allocs hakmem,hakmem=PATH): each later one against the
// first, the A/B a change to the allocator is judged by.
void print_builds_against_first(const std::vector<Config>& configs) {
  const Config* first = nullptr;
  for (const Config& c : configs) {
    if (c.runs.empty() || !is_hakmem_alloc(c.alloc)) continue;
    if (first == nullptr) {
      first = &c;
      continue;
    }
    Reference ref{first, 0};
    fmt::print("{} / {}: M ops/s {}, peak RSS {}, peak committed {}\n", c.label(), first->label(),
               ref.ratio(c, ops), ref.ratio(c, rss), ref.ratio(c, committed));
    fmt::print("  rep by rep: M ops/s {}, peak RSS {}, peak committed {}\n", ref.paired(c, ops),
               ref.paired(c, rss), ref.paired(c, committed));
  }
}

void print_table(const std::vector<Config>& configs, bool routes_mode) {
  auto by_name = [&](const std::string& label) {
    return [label](const Config& c) { return c.label() == label; };
  };
  auto peer = [](const Config& c) { return !is_hakmem_alloc(c.alloc); };
  std::string ref_name = routes_mode ? "hakmem S" : "system";
  bool seed = false;
  for (const Config& c : configs) seed = seed || !c.env.empty();
  Reference ref_ops = best(configs, by_name(ref_name), ops, true);
  Reference ref_rss = best(configs, by_name(ref_name), rss, false);
  Reference best_ops = best(configs, peer, ops, true);
  Reference low_rss = best(configs, peer, rss, false);
  bool peers = !routes_mode && best_ops.config != nullptr;
  if (peers) {
    fmt::print("\nbest peer: {} ({:.2f} M ops/s); lowest peak RSS of a peer: {} ({:.1f} MiB)\n",
               best_ops.config->label(), best_ops.value, low_rss.config->label(), low_rss.value);
  }
  fmt::print(
      "\n| config | M ops/s median (min-max) | x {} |{} peak RSS MiB median (min-max) | x {} |{}"
      " wall s median (min-max) | bad blocks | peak committed MiB | page reuse | new pages |"
      " pending enq/drained | drain att/succ | adoptions |{}\n",
      ref_name, peers ? " x best peer |" : "", ref_name, peers ? " x lowest peer |" : "",
      seed ? " swept | re-enqueued |" : "");
  fmt::print("|---|---|---|{}---|---|{}---|---|---|---|---|---|---|---|{}\n", peers ? "---|" : "",
             peers ? "---|" : "", seed ? "---|---|" : "");
  for (const Config& c : configs) {
    if (c.runs.empty()) continue;
    Stat so = stat_of(c, ops), sr = stat_of(c, rss);
    Stat sw = stat_of(c, [](const RunReport& r) { return r.wall_seconds; });
    double bad = 0;
    for (const RunReport& r : c.runs) bad += static_cast<double>(r.bad_blocks);
    auto med = [&](const char* name) {
      return stat_of(c, [name](const RunReport& r) { return counter(r, name); }).median;
    };
    auto peer_cell = [&](const Reference& ref, auto field) {
      return peers ? fmt::format(" {} |", ref.ratio(c, field)) : std::string();
    };
    bool hak = is_hakmem_alloc(c.alloc);
    auto hk = [hak](std::string s) { return hak ? s : std::string("-"); };
    fmt::print(
        "| {} | {:.2f} ({:.2f}-{:.2f}) | {} |{} {:.1f} ({:.1f}-{:.1f}) | {} |{} {:.2f} "
        "({:.2f}-{:.2f}) "
        "| {:.0f} | {} | {} | {} | {} | {} | {} |{}\n",
        c.label(), so.median, so.min, so.max, ref_ops.ratio(c, ops), peer_cell(best_ops, ops),
        sr.median, sr.min, sr.max, ref_rss.ratio(c, rss), peer_cell(low_rss, rss), sw.median,
        sw.min, sw.max, bad, hk(fmt::format("{:.1f}", stat_of(c, committed).median)),
        hk(fmt::format(
            "{:.1f}%",
            stat_of(c, [](const RunReport& r) { return r.page_reuse_rate; }).median * 100)),
        hk(fmt::format("{:.0f}", med("new_pages"))),
        hk(fmt::format("{:.0f}/{:.0f}", med("pending_enqueued"), med("pending_drained"))),
        hk(fmt::format("{:.0f}/{:.0f}", med("drain_attempts"), med("drain_successes"))),
        hk(fmt::format("{:.0f}", med("pages_adopted"))),
        seed ? fmt::format(" {:.0f} | {:.0f} |", med("pages_swept"), med("pending_reenqueued"))
             : std::string());
  }
  fmt::print(
      "\nx: median over the reference's median; in brackets the bootstrap 95% interval of that "
      "ratio (with {}+ reps each). A difference counts only when the interval excludes 1.\n"
      "rep by rep: the median of the ratios of runs made in the same rep (next to each other in "
      "time), with its bootstrap interval; the machine's drift between reps moves both runs of "
      "a rep.\n",
      kMinRunsForInterval);
  if (routes_mode && !seed) print_route_a_verdict(configs);
  if (!routes_mode) print_builds_against_first(configs);
}

}  // namespace

int run_compare(int argc, char** argv, const std::string& bench, const std::string& route,
                const CompareOptions& options) {
  std::vector<Config> configs = configs_for(route, options);
  std::vector<std::string> base = base_args(argc, argv);
  int failures = 0;
  long nproc = sysconf(_SC_NPROCESSORS_ONLN);
  fmt::print(
      "{} --compare{}: {} configurations x {} reps, interleaved, each in its own process with "
      "its allocator preloaded, on {} cores\n",
      bench,
      options.seed_mode     ? "-seed"
      : options.routes_mode ? "-routes"
                            : "",
      configs.size(), options.reps, nproc);
  for (int rep = 0; rep < options.reps; ++rep) {
    // Each rep starts one configuration later (A B C, B C A, C A B, ...): with a fixed order
    // the first configuration of every rep ran after the last one of the previous rep, and
    // larson at 4 threads put Route P 4-9% ahead of S and A for that alone.
    for (size_t k = 0; k < configs.size(); ++k) {
      Config& c = configs[(k + static_cast<size_t>(rep)) % configs.size()];
      std::vector<std::string> args = base;
      args.insert(args.end(), {"--alloc", c.alloc, "--json"});
      std::string out;
      int rc = run_child(c, args, &out);
      std::optional<RunReport> r;
      try {
        if (!out.empty()) r = report_from_json(out);
      } catch (const std::exception&) {
      }
      if (rc != 0) ++failures;
      if (!r) {
        fmt::print(stderr, "  {} rep {}: run failed (exit {})\n", c.label(), rep + 1, rc);
        continue;
      }
      // A run with bad blocks exits 1 but still reports; its row shows them.
      fmt::print(stderr,
                 "  rep {}/{} {:<12} {:8.2f} M ops/s  wall {:6.2f} s  peak RSS {:7.1f} MiB{}\n",
                 rep + 1, options.reps, c.label(), ops(*r), r->wall_seconds, rss(*r),
                 r->bad_blocks ? fmt::format("  {} BAD BLOCKS", r->bad_blocks) : "");
      c.runs.push_back(std::move(*r));
      c.run_reps.push_back(rep);
    }
  }
  print_table(configs, options.routes_mode || options.seed_mode);
  return failures == 0 ? 0 : 1;
}

}  // namespace hakmem::bench
