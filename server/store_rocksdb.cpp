#include "store_rocksdb.h"

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
#include "store_rocksdb_bytes.h"

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

}  // namespace

void rocksdb_check(const rocksdb::Status& status, const char* what) {
  if (!status.ok()) throw StoreError(std::string(what) + ": " + status.ToString());
}

namespace {
constexpr auto check = rocksdb_check;
using rocksdb_bytes::slice;
}  // namespace

RocksDbStore::RocksDbStore(const StoreOptions& options) : options_(options) {
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    throw std::runtime_error("cannot create data dir '" + options.data_dir + "': " + ec.message());
  }
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
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

  rocksdb::ColumnFamilyOptions family(db_options);
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, family}, {"sub", family}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, options.data_dir, families, &handles, &db);
  if (!status.ok()) {
    throw std::runtime_error("cannot open RocksDB in '" + options.data_dir +
                             "': " + status.ToString());
  }
  db_.reset(db);
  keys_ = handles[0];
  sub_ = handles[1];
  // Versions only grow, across restarts too: microseconds since the epoch at start.
  next_version_ = static_cast<uint64_t>(unix_millis_now()) * 1000;
  write_options_.sync = options.fsync == FsyncPolicy::kAlways;
  if (options.fsync == FsyncPolicy::kEverySec) syncer_ = std::thread([this] { sync_loop(); });
}

RocksDbStore::~RocksDbStore() {
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
  db_->DestroyColumnFamilyHandle(keys_);
  db_->DestroyColumnFamilyHandle(sub_);
  db_->Close();
}

bool RocksDbStore::get(std::string_view key, std::string* value) {
  rocksdb::Status s = db_->Get(read_options_, keys_, slice(key), value);
  if (s.IsNotFound()) return false;
  check(s, "get");
  return true;
}

void RocksDbStore::put(std::string_view key, std::string_view value) {
  check(db_->Put(write_options_, keys_, slice(key), slice(value)), "put");
  writes_.fetch_add(1, std::memory_order_relaxed);
}

void RocksDbStore::remove(std::string_view key) {
  rocksdb::WriteBatch batch;
  std::string stored;
  CollectionMeta meta;
  if (get(key, &stored) && decode_meta(stored, &meta)) delete_elements(batch, key, meta.version);
  check(batch.Delete(keys_, slice(key)), "batch");
  write(batch);
}

void RocksDbStore::put_many(std::vector<std::pair<std::string_view, OwnedBytes>> kvs) {
  rocksdb::WriteBatch batch;
  for (const auto& [k, owned] : kvs)
    check(batch.Put(keys_, slice(k), slice(owned.view())), "batch");
  write(batch);
}

void RocksDbStore::for_each(const std::function<void(std::string_view, std::string_view)>& visit) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_, keys_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    visit(std::string_view(it->key().data(), it->key().size()),
          std::string_view(it->value().data(), it->value().size()));
  }
  check(it->status(), "scan");
}

uint64_t RocksDbStore::scan(uint64_t cursor, size_t count,
                            const std::function<void(std::string_view, std::string_view)>& visit) {
  std::string from;
  if (cursor != 0) {
    std::lock_guard lock(cursor_mutex_);
    auto found = cursors_.find(cursor);
    if (found != cursors_.end()) from = found->second;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_, keys_));
  size_t visited = 0;
  for (it->Seek(from); it->Valid() && visited < count; it->Next(), ++visited) {
    visit(std::string_view(it->key().data(), it->key().size()),
          std::string_view(it->value().data(), it->value().size()));
  }
  check(it->status(), "scan");
  if (!it->Valid()) return 0;
  std::lock_guard lock(cursor_mutex_);
  constexpr size_t kMaxCursors = 4096;
  if (cursor_order_.size() >= kMaxCursors) {
    cursors_.erase(cursor_order_.front());
    cursor_order_.pop_front();
  }
  uint64_t id = next_cursor_++;
  cursors_[id] = it->key().ToString();
  cursor_order_.push_back(id);
  return id;
}

bool RocksDbStore::set_expire(std::string_view key, int64_t expire_at_ms) {
  std::string stored;
  if (!get(key, &stored)) return false;
  DecodedValue d = decode_value(stored);
  if (!d.valid) return false;
  std::string encoded;
  encode_value(&encoded, d.value, expire_at_ms, d.type);
  put(key, encoded);
  return true;
}

void RocksDbStore::clear() {
  rocksdb::WriteBatch batch;  // per family: [first, last) by range, then last itself
  for (auto* family : {keys_, sub_}) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_, family));
    it->SeekToFirst();
    if (!it->Valid()) {
      check(it->status(), "scan");
      continue;
    }
    std::string first = it->key().ToString();
    it->SeekToLast();
    std::string last = it->key().ToString();
    check(batch.DeleteRange(family, first, last), "batch");
    check(batch.Delete(family, last), "batch");
  }
  write(batch);
}

void RocksDbStore::flush() {
  check(db_->FlushWAL(true), "wal sync");
  check(db_->Flush(rocksdb::FlushOptions(), {keys_, sub_}), "flush");
}

std::vector<std::pair<std::string, std::string>> RocksDbStore::info() const {
  uint64_t keys = 0;
  db_->GetIntProperty(keys_, "rocksdb.estimate-num-keys", &keys);
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

void RocksDbStore::write(rocksdb::WriteBatch& batch) {
  if (batch.Count() == 0) return;
  check(db_->Write(write_options_, &batch), "write");
  writes_.fetch_add(1, std::memory_order_relaxed);
}

// fsync=everysec: the WAL is written on every write and synced once a second.
void RocksDbStore::sync_loop() {
  std::unique_lock lock(sync_mutex_);
  while (!sync_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
    lock.unlock();
    if (db_->SyncWAL().ok()) wal_syncs_.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
  }
}

namespace {}  // namespace

std::unique_ptr<Store> make_rocksdb_store(const StoreOptions& options) {
  return std::make_unique<RocksDbStore>(options);
}

}  // namespace hakmem::server
