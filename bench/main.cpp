// hakmem-bench: allocator benchmarks. A run measures one allocator: it re-executes itself with
// that allocator preloaded (preload.hpp), and the workload calls plain malloc and free.
// --compare runs every allocator (or --compare-routes every hakmem route) in child processes,
// interleaved, so peak RSS is per run and noise spreads evenly, and prints medians and ratios.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <functional>

#include "allocator_compare.hpp"
#include "burst_sleep.hpp"
#include "churn.hpp"
#include "idle_memory.hpp"
#include "larson.hpp"
#include "preload.hpp"
#include "producer_consumer.hpp"
#include "rocksdb_bench.hpp"
#include "run_report.hpp"
#include "tool_version.h"
#include "xmalloc.hpp"

using namespace hakmem::bench;

namespace {

struct Common {
  std::string alloc = "hakmem";
  std::string route;  // empty: keep the allocator's route (HAKMEM_ROUTE, default P)
  bool json = false;
  bool background = false;  // hakmem runs: option background set to 1 before the workload
  CompareOptions compare;
};

[[noreturn]] void fail(const std::string& why) {
  fmt::print(stderr, "hakmem-bench: {}\n", why);
  std::exit(2);
}

void add_common(CLI::App* cmd, Common& c) {
  cmd->add_option("--alloc", c.alloc,
                  fmt::format("allocator, preloaded into this benchmark's process: {}, or "
                              "hakmem=PATH (another build's libhakmem.so)",
                              fmt::join(alloc_names(), ", ")))
      ->capture_default_str();
  cmd->add_option("--route", c.route,
                  "hakmem slow-path route, S, P, CDA or A, set as HAKMEM_ROUTE (default: "
                  "HAKMEM_ROUTE, else P)");
  cmd->add_flag("--json", c.json, "print one JSON object instead of text");
  cmd->add_flag("--compare", c.compare.allocs_mode,
                "run every installed allocator (hakmem with --route) interleaved");
  cmd->add_option("--allocs", c.compare.allocs,
                  "with --compare: only these allocators (comma-separated; default every "
                  "installed one); hakmem=PATH adds another build of hakmem, reported against "
                  "the first")
      ->delimiter(',');
  cmd->add_flag("--compare-routes", c.compare.routes_mode,
                "run hakmem's S, P, CDA and A interleaved");
  cmd->add_flag("--compare-seed", c.compare.seed_mode,
                "the design note's table, interleaved: CDA with notify_threshold 1, 4, 2 and 1 + "
                "reenqueue_after_drain, then Route S and Route P");
  cmd->add_option("--reps", c.compare.reps, "repetitions per configuration when comparing")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
}

void add_background(CLI::App* cmd, Common& c) {
  cmd->add_flag("--background", c.background,
                "hakmem runs: start the background thread (option background=1) before the "
                "workload; other allocators ignore it");
}

// Makes `c.alloc` serve this process's malloc: the first time, re-executes this very command
// with the allocator preloaded; then checks the preload took. Exits 2 with one line otherwise.
void setup_alloc(const Common& c, const std::string& route, char** argv) {
  std::string why;
  if (!alloc_env_is(c.alloc)) {
    if (!set_alloc_env(c.alloc, is_hakmem_alloc(c.alloc) ? route : "", &why)) fail(why);
    execv("/proc/self/exe", argv);
    fail("cannot re-execute itself with " + c.alloc + " preloaded");
  }
  if (!alloc_serves_malloc(c.alloc, &why)) fail(why);
  if (is_hakmem_alloc(c.alloc)) {
    const HakmemApi* hk = preloaded_hakmem();
    if (hk == nullptr) fail(c.alloc + " serves malloc but does not export hakmem's hak_* API");
    std::string got = hk->route_name(hk->get_route());
    if (!route.empty() && got != route)
      fail("hakmem runs route " + got + ", not the " + route + " asked for (HAKMEM_ROUTE)");
  }
}

struct Measured {
  double seconds = 0;
  double ops_per_sec = 0;
  uint64_t bad_blocks = 0;
  std::map<std::string, double> extra;
};

// Runs one benchmark (or its comparison) and reports it; the process's exit code.
int run(int argc, char** argv, const std::string& bench, double requested, const Common& c,
        const std::function<Measured()>& body) {
  std::string route;
  if (!c.route.empty() && (route = canonical_route(c.route)).empty())
    fail(fmt::format("--route must be S, P, CDA or A, not '{}'", c.route));
  if (c.compare.any()) return run_compare(argc, argv, bench, route, c.compare);
  setup_alloc(c, route, argv);
  if (c.background && is_hakmem_alloc(c.alloc)) {
    char err[256] = "";
    if (preloaded_hakmem()->option_set("background", 1, err, sizeof err) != 0)
      fail(std::string("cannot set option background: ") + err);
  }
  Measured m;
  try {
    m = body();
  } catch (const std::exception& e) {  // e.g. a thread that cannot be created
    fmt::print(stderr, "hakmem-bench: {} on {} failed: {}\n", bench, c.alloc, e.what());
    return 3;
  }
  const HakmemApi* hk = is_hakmem_alloc(c.alloc) ? preloaded_hakmem() : nullptr;
  RunReport r;
  r.bench = bench;
  r.alloc = c.alloc;
  r.route = hk != nullptr ? hk->route_name(hk->get_route()) : "";
  r.requested_seconds = requested;
  r.wall_seconds = m.seconds;
  r.ops_per_sec = m.ops_per_sec;
  r.bad_blocks = m.bad_blocks;
  r.extra = m.extra;
  finish_report(r, hk);
  if (c.json)
    fmt::print("{}\n", report_json(r));
  else
    print_report(r);
  if (m.bad_blocks != 0)
    fmt::print(stderr, "hakmem-bench: {} blocks lost or corrupted\n", m.bad_blocks);
  return m.bad_blocks == 0 ? 0 : 1;
}

void add_sizes(CLI::App* cmd, uint32_t& min, uint32_t& max) {
  cmd->add_option("--min", min, "smallest block")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 30));
  cmd->add_option("--max", max, "largest block")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 30));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hakmem-bench: allocator benchmarks"};
  app.set_version_flag("--version", hakmem::tool_version("hakmem-bench"));
  app.require_subcommand(1);

  Common lc;
  LarsonParams lp;
  auto* larson =
      app.add_subcommand("larson", "Larson & Krishnan server benchmark (ops = free+malloc)");
  larson->add_option("--seconds", lp.seconds, "timed phase")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3600.0));
  add_sizes(larson, lp.min_size, lp.max_size);
  larson->add_option("--chunks", lp.chunks, "blocks per thread")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  larson->add_option("--rounds", lp.rounds, "a thread makes rounds*chunks steps, then hands over")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  larson->add_option("--seed", lp.seed, "random seed")->capture_default_str();
  larson->add_option("--threads", lp.threads, "worker threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  larson
      ->add_option("--exchange", lp.exchange,
                   "steps between swapping the array with another live thread (0: classic)")
      ->capture_default_str();
  larson->add_flag("!--no-check", lp.check_blocks,
                   "free blocks without reading their tag first, as mimalloc-bench's larson "
                   "does (bad blocks are then not counted; default: checked)");
  add_common(larson, lc);

  Common pc;
  ProdConsParams pp;
  auto* prodcons =
      app.add_subcommand("prodcons", "producers allocate, consumers free (ops = frees)");
  Common ic;
  ProdConsParams ip;
  ip.producers = 4;
  ip.consumers = 2;
  // Consumers hold a whole shift's objects (2 x 120000 >= 10 turns x 20000), so a group's
  // objects are freed while it is idle, during the other group's shift.
  ip.hold = 120000;
  ip.queue = 4;
  ip.seconds = 2;
  ip.turn_ms = 100;
  ip.min_size = 64;
  auto* idle = app.add_subcommand("idle-owner",
                                  "producers take turns bursting, then idle while consumers free");
  for (auto [cmd, p, c] : {std::tuple{prodcons, &pp, &pc}, std::tuple{idle, &ip, &ic}}) {
    cmd->add_option("--seconds", p->seconds, "timed phase")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 3600.0));
    cmd->add_option("--producers", p->producers, "producer threads")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    cmd->add_option("--consumers", p->consumers, "consumer threads")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    add_sizes(cmd, p->min_size, p->max_size);
    cmd->add_option("--batch", p->batch, "objects per hand-off")
        ->capture_default_str()
        ->check(CLI::Range(1, 1 << 20));
    cmd->add_option("--queue", p->queue, "batches in flight")
        ->capture_default_str()
        ->check(CLI::Range(1, 1 << 20));
    cmd->add_option("--seed", p->seed, "random seed")->capture_default_str();
    add_common(cmd, *c);
  }
  idle->add_option("--burst", ip.burst, "objects a producer allocates in its turn")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  idle->add_option("--turn-ms", ip.turn_ms, "length of a producer's turn")
      ->capture_default_str()
      ->check(CLI::Range(1, 60000));
  idle->add_option("--groups", ip.groups,
                   "producer groups; each works one shift of the run, then idles")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  add_background(idle, ic);
  double idle_window_ms = 0;
  idle->add_option("--idle-window-ms", idle_window_ms,
                   "after the run, with the producers idle and every object freed: how long "
                   "committed memory is sampled (0: 4 x purge_delay_ms, at least 40)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600000.0));
  for (auto [cmd, p] : {std::pair{prodcons, &pp}, std::pair{idle, &ip}}) {
    cmd->add_option("--hold", p->hold, "objects each consumer holds before freeing the oldest")
        ->capture_default_str()
        ->check(CLI::Range(0, 100000000));
  }

  Common bc;
  BurstSleepParams bp;
  auto* burst_sleep = app.add_subcommand(
      "burst-sleep",
      "producers keep a live set and hand a burst to consumers that free it; then the whole "
      "process sleeps while committed memory and CPU time are sampled (ops = burst frees)");
  burst_sleep->add_option("--producers", bp.producers, "producer threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  burst_sleep->add_option("--consumers", bp.consumers, "consumer threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  add_sizes(burst_sleep, bp.min_size, bp.max_size);
  burst_sleep->add_option("--burst", bp.burst, "objects each producer hands over")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  burst_sleep->add_option("--live-mb", bp.live_mb, "MiB the producers keep through the sleep")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20));
  burst_sleep->add_option("--batch", bp.batch, "objects per hand-off")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  burst_sleep->add_option("--sleep", bp.sleep_seconds, "seconds the process sleeps")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3600.0));
  burst_sleep
      ->add_option("--window-ms", bp.window_ms,
                   "how long committed memory is sampled at the start of the sleep (0: 4 x "
                   "purge_delay_ms, at least 40)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600000.0));
  burst_sleep->add_option("--seed", bp.seed, "random seed")->capture_default_str();
  add_common(burst_sleep, bc);
  add_background(burst_sleep, bc);

  Common xc;
  XmallocParams xp;
  auto* xmalloc = app.add_subcommand(
      "xmalloc",
      "xmalloc-test: N threads only allocate one size in malloc'ed batches of 4096 pointers, "
      "N threads only free them (ops = frees)");
  xmalloc->add_option("--seconds", xp.seconds, "timed phase")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3600.0));
  xmalloc->add_option("--threads", xp.threads, "producer threads, and as many consumers")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  xmalloc->add_option("--size", xp.size, "object size")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  xmalloc->add_option("--stack-limit", xp.stack_limit, "batches the shared stack holds")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  add_common(xmalloc, xc);

  Common cc;
  ChurnParams cp;
  auto* churn = app.add_subcommand(
      "churn",
      "rounds of threads created and joined, each freeing the objects a previous round's "
      "thread left in its slots of a shared array and leaving new ones (ops = mallocs)");
  churn->add_option("--rounds", cp.rounds, "rounds of threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  churn->add_option("--threads", cp.threads, "threads per round")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  churn->add_option("--objects", cp.objects, "mallocs per thread")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  churn->add_option("--slots", cp.slots, "slots of the transfer array (at least --threads)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  add_sizes(churn, cp.min_size, cp.max_size);
  churn->add_option("--seed", cp.seed, "random seed")->capture_default_str();
  add_common(churn, cc);

  Common hc;
  HandoffParams hp;
  auto* handoff = app.add_subcommand(
      "handoff",
      "short-lived threads each allocate --objects objects, hand half to a consumer thread "
      "that frees them and free the other half (ops = objects; watch the wall time)");
  handoff
      ->add_option("--threads-total", hp.threads_total,
                   "short-lived threads in all (the third-party program runs 20000)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  handoff->add_option("--concurrent", hp.concurrent, "short-lived threads alive at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  handoff->add_option("--objects", hp.objects, "objects per thread")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  add_sizes(handoff, hp.min_size, hp.max_size);
  handoff->add_option("--seed", hp.seed, "random seed")->capture_default_str();
  add_common(handoff, hc);

  auto* rocksdb = add_rocksdb_subcommand(app);

  CLI11_PARSE(app, argc, argv);
  if (rocksdb->parsed()) return run_rocksdb_subcommand();

  auto check_sizes = [](uint32_t min, uint32_t max) {
    if (min > max) {
      fmt::print(stderr, "hakmem-bench: --min {} is larger than --max {}\n", min, max);
      std::exit(2);
    }
  };
  if (larson->parsed()) {
    check_sizes(lp.min_size, lp.max_size);
    return run(argc, argv, "larson", lp.seconds, lc, [&] {
      LarsonResult r = run_larson(lp);
      return Measured{r.seconds,
                      r.ops / r.seconds,
                      r.bad_blocks,
                      {{"threads_started", static_cast<double>(r.threads_started)},
                       {"blocks_checked", lp.check_blocks ? 1.0 : 0.0}}};
    });
  }
  if (prodcons->parsed()) {
    check_sizes(pp.min_size, pp.max_size);
    return run(argc, argv, "prodcons", pp.seconds, pc, [&] {
      ProdConsResult r = run_prodcons(pp);
      return Measured{r.seconds, r.objects / r.seconds, r.bad_blocks, {}};
    });
  }
  if (idle->parsed()) {
    check_sizes(ip.min_size, ip.max_size);
    return run(argc, argv, "idle-owner", ip.seconds, ic, [&] {
      std::map<std::string, double> idle_figures;
      ProdConsResult r = run_idle_owner(ip, [&] {
        double delay = allocator_purge_delay_ms(10);
        double window = idle_window_ms > 0 ? idle_window_ms : std::max(40.0, 4 * delay);
        watch_idle_memory(memory_reader(), 0, delay, window, &idle_figures);
      });
      Measured m{r.seconds, r.objects / r.seconds, r.bad_blocks, idle_figures};
      m.extra["turns"] = static_cast<double>(r.turns);
      return m;
    });
  }
  if (burst_sleep->parsed()) {
    check_sizes(bp.min_size, bp.max_size);
    return run(argc, argv, "burst-sleep", 0, bc, [&] {
      BurstSleepResult r = run_burst_sleep(bp, memory_reader(), allocator_purge_delay_ms(10));
      return Measured{r.seconds, r.objects / r.seconds, r.bad_blocks, r.figures};
    });
  }
  if (xmalloc->parsed()) {
    return run(argc, argv, "xmalloc", xp.seconds, xc, [&] {
      XmallocResult r = run_xmalloc(xp);
      return Measured{r.seconds,
                      r.frees / r.seconds,
                      r.bad_blocks,
                      {{"threads", xp.threads},
                       {"size", xp.size},
                       {"frees", static_cast<double>(r.frees)},
                       {"frees_total", static_cast<double>(r.frees_total)}}};
    });
  }
  auto fixed_work = [](const ChurnResult& r) {
    return Measured{
        r.seconds,
        r.ops / r.seconds,
        r.bad_blocks,
        {{"ops", static_cast<double>(r.ops)}, {"threads", static_cast<double>(r.threads)}}};
  };
  if (churn->parsed()) {
    check_sizes(cp.min_size, cp.max_size);
    if (cp.slots < cp.threads)
      fail(fmt::format("--slots {} is fewer than --threads {}", cp.slots, cp.threads));
    return run(argc, argv, "churn", 0, cc, [&] { return fixed_work(run_churn(cp)); });
  }
  check_sizes(hp.min_size, hp.max_size);
  return run(argc, argv, "handoff", 0, hc, [&] { return fixed_work(run_handoff(hp)); });
}
