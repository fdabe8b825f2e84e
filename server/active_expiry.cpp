#include "active_expiry.h"

#include <string>
#include <vector>

#include "value_codec.h"

namespace hakmem::server {

void ActiveExpiry::start(std::chrono::milliseconds period) {
  thread_ = std::thread([this, period] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      try {
        run_cycle();
      } catch (const StoreError&) {
        // A failing store is reported by the commands; the next cycle tries again.
      }
      lock.lock();
    }
  });
}

void ActiveExpiry::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t ActiveExpiry::run_cycle() {
  std::vector<std::string> expired;
  int64_t now = unix_millis_now();
  cursor_ = store_.scan(cursor_, kKeysPerCycle, [&](std::string_view key, std::string_view value) {
    DecodedValue d = decode_value(value);
    if (d.valid && d.expired(now)) expired.emplace_back(key);
  });
  size_t removed = 0;
  std::string stored;
  for (const std::string& key : expired) {
    std::lock_guard lock(locks_.lock_for(key));
    if (!store_.get(key, &stored)) continue;  // removed meanwhile
    DecodedValue d = decode_value(stored);
    if (!d.valid || !d.expired(unix_millis_now())) continue;  // written again meanwhile
    store_.remove(key);
    ++removed;
  }
  removed_.fetch_add(removed, std::memory_order_relaxed);
  return removed;
}

}  // namespace hakmem::server
