#include "compare.hpp"

#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <vector>

#include "alloc_api.hpp"
#include "hakmem/hakmem.h"
#include "run_report.hpp"

namespace hakmem::bench {

namespace {

struct Config {
  std::string alloc;
  std::string route;
  std::string label() const { return route.empty() ? alloc : alloc + " " + route; }
};

// Runs argv, returns its exit status and stdout.
int run_capture(const std::vector<std::string>& args, std::string* out) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
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
    if (a == "--compare" || a == "--compare-routes" || a == "--json") continue;
    if (a == "--reps" || a == "--alloc" || a == "--route") {
      ++i;
      continue;
    }
    if (a.rfind("--reps=", 0) == 0 || a.rfind("--alloc=", 0) == 0 || a.rfind("--route=", 0) == 0) {
      continue;
    }
    args.push_back(a);
  }
  return args;
}

struct Stat {
  double median = 0, min = 0, max = 0;
};

Stat stat_of(std::vector<double> v) {
  Stat s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.min = v.front();
  s.max = v.back();
  return s;
}

double counter(const RunReport& r, const char* name) {
  auto it = r.counters.find(name);
  return it == r.counters.end() ? 0.0 : static_cast<double>(it->second);
}

}  // namespace

int run_compare(int argc, char** argv, const std::string& bench, const std::string& route,
                const CompareOptions& options) {
  std::vector<Config> configs;
  if (options.routes_mode) {
    for (const char* r : {"S", "P", "CDA"}) configs.push_back({"hakmem", r});
  } else {
    std::vector<std::string> skipped;
    for (const auto& name : available_alloc_names(&skipped)) {
      configs.push_back(
          {name, name == "hakmem" ? (route.empty() ? hak_route_name(hak_get_route()) : route) : ""});
    }
    for (const auto& note : skipped) fmt::print("note: skipping {}\n", note);
  }
  std::vector<std::string> base = base_args(argc, argv);
  std::map<std::string, std::vector<RunReport>> runs;
  int failures = 0;
  long nproc = sysconf(_SC_NPROCESSORS_ONLN);
  fmt::print("{} --compare{}: {} configurations x {} reps, interleaved, on {} cores\n", bench,
             options.routes_mode ? "-routes" : "", configs.size(), options.reps, nproc);
  for (int rep = 0; rep < options.reps; ++rep) {
    for (const Config& c : configs) {
      std::vector<std::string> args = base;
      args.insert(args.end(), {"--alloc", c.alloc, "--json"});
      if (!c.route.empty()) args.insert(args.end(), {"--route", c.route});
      std::string out;
      int rc = run_capture(args, &out);
      if (rc != 0 || out.empty()) {
        fmt::print(stderr, "  {} rep {}: run failed (exit {})\n", c.label(), rep + 1, rc);
        ++failures;
        continue;
      }
      RunReport r = report_from_json(out);
      fmt::print(stderr, "  rep {}/{} {:<12} {:8.2f} M ops/s  peak RSS {:7.1f} MiB\n", rep + 1,
                 options.reps, c.label(), r.ops_per_sec / 1e6, r.peak_rss / 1048576.0);
      runs[c.label()].push_back(std::move(r));
    }
  }
  const std::string ref = options.routes_mode ? "hakmem S" : "system";
  double ref_ops = 0, ref_rss = 0;
  if (runs.count(ref)) {
    std::vector<double> o, m;
    for (auto& r : runs[ref]) {
      o.push_back(r.ops_per_sec);
      m.push_back(static_cast<double>(r.peak_rss));
    }
    ref_ops = stat_of(o).median;
    ref_rss = stat_of(m).median;
  }
  fmt::print(
      "\n| config | M ops/s median (min-max) | x {} | peak RSS MiB median (min-max) | x {} |"
      " peak committed MiB | page reuse | new pages | pending enq/drained | drain att/succ | "
      "adoptions | wall/requested s |\n",
      ref, ref);
  fmt::print("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Config& c : configs) {
    auto& rs = runs[c.label()];
    if (rs.empty()) continue;
    std::vector<double> ops, rss, committed, reuse, newp, enq, drn, att, suc, adopt, wall;
    for (auto& r : rs) {
      ops.push_back(r.ops_per_sec / 1e6);
      rss.push_back(r.peak_rss / 1048576.0);
      committed.push_back(counter(r, "bytes_committed_peak") / 1048576.0);
      reuse.push_back(r.page_reuse_rate);
      newp.push_back(counter(r, "new_pages"));
      enq.push_back(counter(r, "pending_enqueued"));
      drn.push_back(counter(r, "pending_drained"));
      att.push_back(counter(r, "drain_attempts"));
      suc.push_back(counter(r, "drain_successes"));
      adopt.push_back(counter(r, "pages_adopted"));
      wall.push_back(r.wall_seconds);
    }
    Stat so = stat_of(ops), sr = stat_of(rss);
    bool hak = c.alloc == "hakmem";
    auto med = [](const std::vector<double>& v) { return stat_of(v).median; };
    fmt::print(
        "| {} | {:.2f} ({:.2f}-{:.2f}) | {:.2f} | {:.1f} ({:.1f}-{:.1f}) | {:.2f} | {} | {} | {} | "
        "{} | {} | {} | {:.2f}/{:.2f} |\n",
        c.label(), so.median, so.min, so.max, ref_ops > 0 ? so.median * 1e6 / ref_ops : 0,
        sr.median, sr.min, sr.max, ref_rss > 0 ? sr.median * 1048576.0 / ref_rss : 0,
        hak ? fmt::format("{:.1f}", med(committed)) : "-",
        hak ? fmt::format("{:.1f}%", med(reuse) * 100) : "-",
        hak ? fmt::format("{:.0f}", med(newp)) : "-",
        hak ? fmt::format("{:.0f}/{:.0f}", med(enq), med(drn)) : "-",
        hak ? fmt::format("{:.0f}/{:.0f}", med(att), med(suc)) : "-",
        hak ? fmt::format("{:.0f}", med(adopt)) : "-", med(wall), rs.front().requested_seconds);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace hakmem::bench
