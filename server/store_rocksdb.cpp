// RocksDB store: WAL on, fsync policy always / everysec / no, optional block cache allocator.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/memory_allocator.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "arena.h"
#include "store.h"

namespace hakmem::server {
namespace {

// Lets RocksDB's block cache take its blocks from our arena (hakmem).
class ArenaMemoryAllocator final : public rocksdb::MemoryAllocator {
 public:
  explicit ArenaMemoryAllocator(std::shared_ptr<Arena> arena) : arena_(std::move(arena)) {}
  const char* Name() const override { return "HakmemArenaAllocator"; }
  void* Allocate(size_t size) override {
    void* p = arena_->raw_allocate(size);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  void Deallocate(void* p) override { arena_->raw_deallocate(p); }
  size_t UsableSize(void* p, size_t /*allocation_size*/) const override {
    return arena_->raw_usable_size(p);
  }

 private:
  std::shared_ptr<Arena> arena_;
};

void check(const rocksdb::Status& status, const char* what) {
  if (!status.ok()) throw StoreError(std::string(what) + ": " + status.ToString());
}

class RocksDbStore final : public Store {
 public:
  explicit RocksDbStore(const StoreOptions& options) : options_(options) {
    std::error_code ec;
    std::filesystem::create_directories(options.data_dir, ec);
    if (ec) {
      throw std::runtime_error("cannot create data dir '" + options.data_dir +
                               "': " + ec.message());
    }
    rocksdb::Options db_options;
    db_options.create_if_missing = true;
    db_options.IncreaseParallelism(2);
    db_options.max_open_files = 512;
    rocksdb::BlockBasedTableOptions table;
    std::shared_ptr<rocksdb::MemoryAllocator> allocator;
    if (options.block_cache_arena) {
      allocator = std::make_shared<ArenaMemoryAllocator>(options.block_cache_arena);
      cache_allocator_name_ = options.block_cache_arena->name();
    }
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes, -1, false, 0.5, allocator);
    db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

    rocksdb::DB* db = nullptr;
    rocksdb::Status status = rocksdb::DB::Open(db_options, options.data_dir, &db);
    if (!status.ok()) {
      throw std::runtime_error("cannot open RocksDB in '" + options.data_dir +
                               "': " + status.ToString());
    }
    db_.reset(db);
    write_options_.sync = options.fsync == FsyncPolicy::kAlways;
    if (options.fsync == FsyncPolicy::kEverySec) syncer_ = std::thread([this] { sync_loop(); });
  }

  ~RocksDbStore() override {
    {
      std::lock_guard lock(sync_mutex_);
      stopping_ = true;
    }
    sync_cv_.notify_all();
    if (syncer_.joinable()) syncer_.join();
    try {
      flush();
    } catch (const std::exception&) {
      // Nothing left to report to; the WAL still holds what was written.
    }
    db_->Close();
  }

  const char* name() const override { return "rocksdb"; }

  bool get(std::string_view key, std::string* value) override {
    rocksdb::Status s = db_->Get(read_options_, rocksdb::Slice(key.data(), key.size()), value);
    if (s.IsNotFound()) return false;
    check(s, "get");
    return true;
  }

  void put(std::string_view key, std::string_view value) override {
    check(db_->Put(write_options_, rocksdb::Slice(key.data(), key.size()),
                   rocksdb::Slice(value.data(), value.size())),
          "put");
    writes_.fetch_add(1, std::memory_order_relaxed);
  }

  void remove(std::string_view key) override {
    check(db_->Delete(write_options_, rocksdb::Slice(key.data(), key.size())), "delete");
    writes_.fetch_add(1, std::memory_order_relaxed);
  }

  void put_many(std::vector<std::pair<std::string_view, OwnedBytes>> kvs) override {
    rocksdb::WriteBatch batch;
    for (const auto& [k, owned] : kvs) {
      std::string_view v = owned.view();
      check(batch.Put(rocksdb::Slice(k.data(), k.size()), rocksdb::Slice(v.data(), v.size())),
            "batch");
    }
    check(db_->Write(write_options_, &batch), "write");
    writes_.fetch_add(1, std::memory_order_relaxed);
  }

  void for_each_value(const std::function<void(std::string_view)>& visit) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rocksdb::Slice v = it->value();
      visit(std::string_view(v.data(), v.size()));
    }
    check(it->status(), "scan");
  }

  void clear() override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_));
    it->SeekToFirst();
    if (!it->Valid()) return check(it->status(), "scan");
    std::string first = it->key().ToString();
    it->SeekToLast();
    std::string last = it->key().ToString();
    it.reset();
    rocksdb::WriteBatch batch;  // [first, last) by range, then last itself
    check(batch.DeleteRange(first, last), "batch");
    check(batch.Delete(last), "batch");
    check(db_->Write(write_options_, &batch), "write");
  }

  void flush() override {
    check(db_->FlushWAL(true), "wal sync");
    check(db_->Flush(rocksdb::FlushOptions()), "flush");
  }

  std::vector<std::pair<std::string, std::string>> info() const override {
    uint64_t keys = 0;
    db_->GetIntProperty("rocksdb.estimate-num-keys", &keys);
    return {{"store", "rocksdb"},
            {"durable", "1"},
            {"data_dir", options_.data_dir},
            {"wal", "1"},
            {"fsync", fsync_policy_name(options_.fsync)},
            {"wal_syncs", std::to_string(wal_syncs_.load(std::memory_order_relaxed))},
            {"writes", std::to_string(writes_.load(std::memory_order_relaxed))},
            {"rocksdb_estimate_num_keys", std::to_string(keys)},
            {"block_cache_bytes", std::to_string(options_.block_cache_bytes)},
            {"block_cache_allocator", cache_allocator_name_}};
  }

 private:
  // fsync=everysec: the WAL is written on every write and synced once a second.
  void sync_loop() {
    std::unique_lock lock(sync_mutex_);
    while (!sync_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
      lock.unlock();
      if (db_->SyncWAL().ok()) wal_syncs_.fetch_add(1, std::memory_order_relaxed);
      lock.lock();
    }
  }

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ReadOptions read_options_;
  rocksdb::WriteOptions write_options_;
  std::string cache_allocator_name_ = "system";
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> wal_syncs_{0};
  std::mutex sync_mutex_;
  std::condition_variable sync_cv_;
  bool stopping_ = false;
  std::thread syncer_;
};

}  // namespace

std::unique_ptr<Store> make_rocksdb_store(const StoreOptions& options) {
  return std::make_unique<RocksDbStore>(options);
}

}  // namespace hakmem::server
