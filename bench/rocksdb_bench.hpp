// hakmem-bench rocksdb: an embedded RocksDB as the workload. Several threads fill it, then read
// (point gets and short scans) while one thread keeps writing, with a block cache small enough
// to churn, so RocksDB's own allocations (memtables, blocks, iterators, compaction buffers)
// exercise whatever malloc the process has: run it under LD_PRELOAD of libhakmem.so or a peer.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace hakmem::bench {

struct RocksdbParams {
  double seconds = 10;     // reads while writing, after the fill
  unsigned threads = 4;    // thread 0 writes, the others read
  uint64_t keys = 200000;  // filled first, then overwritten at random
  uint32_t min_value = 16;
  uint32_t max_value = 2048;
  size_t block_cache_mb = 8;   // far below the data size: blocks are evicted and re-read
  size_t write_buffer_mb = 4;  // small memtables: frequent flushes and compactions
  unsigned scan_percent = 10;  // reader operations that are a seek plus 16 nexts
  uint64_t seed = 1;
  bool json = false;
};

struct RocksdbResult {
  double fill_seconds = 0;
  uint64_t fill_ops = 0;
  double seconds = 0;
  uint64_t reads = 0, scans = 0, writes = 0, misses = 0;
};

// Runs in a fresh temporary directory, removed afterwards. Throws std::runtime_error on a
// RocksDB error.
RocksdbResult run_rocksdb(const RocksdbParams& p);

// The `rocksdb` subcommand: its flags, and the run once parsed (returns the exit code).
CLI::App* add_rocksdb_subcommand(CLI::App& app);
int run_rocksdb_subcommand();

}  // namespace hakmem::bench
