#include "reply_memory.h"

namespace hakmem::server {

bool ReplyMemory::fits(size_t bytes, bool in_order) const {
  return room(bytes_.load(), bytes, in_order);
}

bool ReplyMemory::room(size_t before, size_t bytes, bool in_order) const {
  // An empty server has room for any one reply in order, so each is built eventually.
  return in_order ? before == 0 || before + bytes <= limit_ : before + bytes <= limit_ / 2;
}

bool ReplyMemory::try_add(size_t bytes, bool in_order) {
  size_t before = bytes_.fetch_add(bytes);
  if (room(before, bytes, in_order)) return true;
  release(bytes);
  return false;
}

void ReplyMemory::release(size_t bytes) {
  size_t after = bytes_.fetch_sub(bytes) - bytes;
  if (after < limit_ && has_waiters_.load()) wake_all();
}

void ReplyMemory::wait(std::function<void()> wake) {
  {
    std::lock_guard lock(mutex_);
    waiters_.push_back(std::move(wake));
    has_waiters_.store(true);
  }
  // Replies may have drained between the caller's check and the registration.
  if (has_room()) wake_all();
}

void ReplyMemory::wake_all() {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(mutex_);
    wake.swap(waiters_);
    has_waiters_.store(false);
  }
  for (auto& callback : wake) callback();
}

}  // namespace hakmem::server
