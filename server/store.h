// Key/value storage behind the commands. Stores keep opaque bytes; expiry is encoded into the
// value by value_codec.h so every store supports TTLs the same way and they survive restarts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "arena_bytes.h"

namespace hakmem::server {

// A failed read or write (e.g. the disk is full); the command replies with -ERR.
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual const char* name() const = 0;

  // All methods are thread-safe. Atomicity across keys is up to the caller (KeyLocks).
  virtual bool get(std::string_view key, std::string* value) = 0;
  virtual void put(std::string_view key, std::string_view value) = 0;
  // Like put, for a value already in an arena block: a store that keeps values in the arena
  // keeps this block (no copy), the others copy it and free it.
  virtual void put_owned(std::string_view key, OwnedBytes value) { put(key, value.view()); }
  virtual void remove(std::string_view key) = 0;
  // Applied atomically: readers see all of the writes or none. Later pairs win over earlier ones.
  virtual void put_many(std::vector<std::pair<std::string_view, OwnedBytes>> kvs) = 0;
  // Visits every stored value (expired ones included; the caller decides).
  virtual void for_each_value(const std::function<void(std::string_view value)>& visit) = 0;
  virtual void clear() = 0;
  // Makes everything written so far durable (shutdown, and fsync=everysec's timer).
  virtual void flush() = 0;
  // Extra `key:value` lines for INFO persistence.
  virtual std::vector<std::pair<std::string, std::string>> info() const = 0;
};

enum class FsyncPolicy { kAlways, kEverySec, kNo };

struct StoreOptions {
  std::string kind = "rocksdb";  // rocksdb | memory
  std::string data_dir = "./data";
  FsyncPolicy fsync = FsyncPolicy::kEverySec;
  size_t block_cache_bytes = 64u << 20;
  std::shared_ptr<Arena> block_cache_arena;  // RocksDB block cache allocates here when set
  std::shared_ptr<Arena> arena;  // the memory store's keys, values and table (required by it)
};

// Throws std::runtime_error with a one-line message when the store cannot be opened.
std::unique_ptr<Store> make_store(const StoreOptions& options);
// Keys, values and the table's nodes are allocated from arena, which must outlive the store.
std::unique_ptr<Store> make_memory_store(std::shared_ptr<Arena> arena);
std::unique_ptr<Store> make_rocksdb_store(const StoreOptions& options);

const char* fsync_policy_name(FsyncPolicy policy);
bool parse_fsync_policy(std::string_view text, FsyncPolicy* out);

}  // namespace hakmem::server
