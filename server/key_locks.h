// Striped locks that make read-modify-write commands (INCR, SET NX, DEL...) atomic per key while
// several workers run commands of one pipeline at the same time.
#pragma once

#include <algorithm>
#include <array>
#include <functional>
#include <mutex>
#include <string_view>
#include <vector>

namespace hakmem::server {

class KeyLocks {
 public:
  static constexpr size_t kStripes = 1024;

  size_t stripe_of(std::string_view key) const {
    return std::hash<std::string_view>{}(key) % kStripes;
  }
  std::mutex& lock_for(std::string_view key) { return stripes_[stripe_of(key)]; }

  // Locks the stripes of several keys in index order (no deadlock between multi-key commands).
  class Multi {
   public:
    Multi(KeyLocks& locks, std::vector<size_t> stripes)
        : locks_(locks), stripes_(std::move(stripes)) {
      std::sort(stripes_.begin(), stripes_.end());
      stripes_.erase(std::unique(stripes_.begin(), stripes_.end()), stripes_.end());
      for (size_t s : stripes_) locks_.stripes_[s].lock();
    }
    ~Multi() {
      for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it) locks_.stripes_[*it].unlock();
    }
    Multi(const Multi&) = delete;
    Multi& operator=(const Multi&) = delete;

   private:
    KeyLocks& locks_;
    std::vector<size_t> stripes_;
  };

  std::vector<size_t> all_stripes() const {
    std::vector<size_t> all(kStripes);
    for (size_t i = 0; i < kStripes; ++i) all[i] = i;
    return all;
  }

 private:
  std::array<std::mutex, kStripes> stripes_;
};

}  // namespace hakmem::server
