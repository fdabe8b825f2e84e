#include "rocksdb_bench.hpp"

#include <fmt/core.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "preload.hpp"
#include "run_report.hpp"

namespace hakmem::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string key_of(uint64_t i) {
  return fmt::format("key:{:012d}", i);
}

void check(const rocksdb::Status& s, const char* what) {
  if (!s.ok()) throw std::runtime_error(std::string(what) + ": " + s.ToString());
}

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hakmem-rocksdb-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("cannot create a temporary directory");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

std::unique_ptr<rocksdb::DB> open_db(const RocksdbParams& p, const std::string& dir) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.write_buffer_size = p.write_buffer_mb << 20;
  o.max_write_buffer_number = 3;
  o.target_file_size_base = 8 << 20;
  o.max_background_jobs = 2;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = rocksdb::NewLRUCache(p.block_cache_mb << 20);
  t.cache_index_and_filter_blocks = true;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  rocksdb::DB* db = nullptr;
  check(rocksdb::DB::Open(o, dir, &db), "open");
  return std::unique_ptr<rocksdb::DB>(db);
}

// Random bytes of a random length, built in a reused buffer.
struct ValueMaker {
  std::mt19937_64 rng;
  std::uniform_int_distribution<uint32_t> len;
  std::string buf;
  ValueMaker(const RocksdbParams& p, uint64_t seed) : rng(seed), len(p.min_value, p.max_value) {}
  const std::string& next() {
    buf.resize(len(rng));
    for (char& c : buf) c = static_cast<char>('a' + (rng() % 26));
    return buf;
  }
};

void fill(rocksdb::DB& db, const RocksdbParams& p, RocksdbResult& r) {
  rocksdb::WriteOptions w;
  auto start = Clock::now();
  std::vector<std::thread> threads;
  std::atomic<bool> failed{false};
  for (unsigned t = 0; t < p.threads; ++t) {
    threads.emplace_back([&, t] {
      ValueMaker values(p, p.seed * 1000 + t);
      for (uint64_t i = t; i < p.keys && !failed; i += p.threads) {
        if (!db.Put(w, key_of(i), values.next()).ok()) failed = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  if (failed) throw std::runtime_error("fill: a Put failed");
  r.fill_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.fill_ops = p.keys;
}

void mixed(rocksdb::DB& db, const RocksdbParams& p, RocksdbResult& r) {
  std::atomic<bool> stop{false}, failed{false};
  std::atomic<uint64_t> reads{0}, scans{0}, writes{0}, misses{0};
  auto writer = [&] {
    ValueMaker values(p, p.seed * 7919);
    std::uniform_int_distribution<uint64_t> key(0, p.keys - 1);
    rocksdb::WriteOptions w;
    uint64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      if (!db.Put(w, key_of(key(values.rng)), values.next()).ok()) failed = true;
      ++n;
    }
    writes += n;
  };
  auto reader = [&](unsigned t) {
    std::mt19937_64 rng(p.seed * 31 + t);
    std::uniform_int_distribution<uint64_t> key(0, p.keys - 1);
    rocksdb::ReadOptions ro;
    std::string value;
    uint64_t n_get = 0, n_scan = 0, n_miss = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      if (rng() % 100 < p.scan_percent) {
        std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro));
        it->Seek(key_of(key(rng)));
        for (int i = 0; i < 16 && it->Valid(); ++i) it->Next();
        ++n_scan;
      } else {
        rocksdb::Status s = db.Get(ro, key_of(key(rng)), &value);
        if (s.IsNotFound())
          ++n_miss;
        else if (!s.ok())
          failed = true;
        ++n_get;
      }
    }
    reads += n_get;
    scans += n_scan;
    misses += n_miss;
  };
  auto start = Clock::now();
  std::vector<std::thread> threads;
  threads.emplace_back(writer);
  for (unsigned t = 1; t < p.threads; ++t) threads.emplace_back(reader, t);
  std::this_thread::sleep_for(std::chrono::duration<double>(p.seconds));
  stop = true;
  for (auto& th : threads) th.join();
  if (failed) throw std::runtime_error("reads while writing: a Get or Put failed");
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.reads = reads;
  r.scans = scans;
  r.writes = writes;
  r.misses = misses;
}

// The malloc this process runs on: the preloaded library's name, or "system".
std::string process_malloc() {
  const char* pre = std::getenv("LD_PRELOAD");
  if (pre == nullptr || *pre == '\0') return "system";
  std::string lib = std::filesystem::path(pre).filename().string();
  for (const char* name : {"hakmem", "jemalloc", "mimalloc", "tcmalloc"}) {
    if (lib.find(name) != std::string::npos) return name;
  }
  return lib;
}

RocksdbParams params;

}  // namespace

RocksdbResult run_rocksdb(const RocksdbParams& p) {
  if (p.threads < 2) throw std::runtime_error("--threads must be at least 2 (one writer, readers)");
  TempDir dir;
  RocksdbResult r;
  {
    std::unique_ptr<rocksdb::DB> db = open_db(p, dir.path);
    fill(*db, p, r);
    mixed(*db, p, r);
    check(db->Close(), "close");
  }
  return r;
}

CLI::App* add_rocksdb_subcommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "rocksdb",
      "embedded RocksDB: fill, then reads (gets, scans) while writing; uses the process "
      "malloc, so run it under LD_PRELOAD (ops = gets+scans+puts)");
  RocksdbParams& p = params;
  cmd->add_option("--seconds", p.seconds, "reads while writing, after the fill")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3600.0));
  cmd->add_option("--threads", p.threads, "threads: one writer, the rest read")
      ->capture_default_str()
      ->check(CLI::Range(2, 256));
  cmd->add_option("--keys", p.keys, "keys filled first, then overwritten at random")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000000));
  cmd->add_option("--min", p.min_value, "smallest value")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 24));
  cmd->add_option("--max", p.max_value, "largest value")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 24));
  cmd->add_option("--block-cache-mb", p.block_cache_mb, "block cache (small, so it churns)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--write-buffer-mb", p.write_buffer_mb, "memtable size")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--scan-percent", p.scan_percent, "reads that are a seek plus 16 nexts")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_option("--seed", p.seed, "random seed")->capture_default_str();
  cmd->add_flag("--json", p.json, "print one JSON object instead of text");
  return cmd;
}

int run_rocksdb_subcommand() {
  const RocksdbParams& p = params;
  if (p.min_value > p.max_value) {
    fmt::print(stderr, "hakmem-bench: --min {} is larger than --max {}\n", p.min_value,
               p.max_value);
    return 2;
  }
  RocksdbResult res;
  try {
    res = run_rocksdb(p);
  } catch (const std::exception& e) {
    fmt::print(stderr, "hakmem-bench rocksdb: {}\n", e.what());
    return 1;
  }
  RunReport r;
  r.bench = "rocksdb";
  r.alloc = process_malloc();
  // The counters and route of the preloaded libhakmem.so, the instance that serves malloc.
  const HakmemApi* hk = r.alloc == "hakmem" ? preloaded_hakmem() : nullptr;
  if (hk != nullptr) r.route = hk->route_name(hk->get_route());
  r.requested_seconds = p.seconds;
  r.wall_seconds = res.seconds;
  r.ops_per_sec = static_cast<double>(res.reads + res.scans + res.writes) / res.seconds;
  r.extra = {{"fill_ops_per_sec", res.fill_ops / res.fill_seconds},
             {"fill_seconds", res.fill_seconds},
             {"reads", static_cast<double>(res.reads)},
             {"scans", static_cast<double>(res.scans)},
             {"writes", static_cast<double>(res.writes)},
             {"misses", static_cast<double>(res.misses)},
             {"threads", static_cast<double>(p.threads)}};
  finish_report(r, hk);
  if (p.json)
    fmt::print("{}\n", report_json(r));
  else
    print_report(r);
  return 0;
}

}  // namespace hakmem::bench
