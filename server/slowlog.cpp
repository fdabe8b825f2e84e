#include "slowlog.h"

#include <fmt/format.h>

#include <chrono>

namespace hakmem::server {

void Slowlog::record(const Request& r, int64_t duration_us, std::string client_addr,
                     std::string client_name) {
  if (!wants(duration_us)) return;
  SlowlogEntry e;
  e.unix_seconds = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  e.duration_us = duration_us;
  // Bounded copies: the log keeps at most 32 x 128 bytes of a request, however big it was.
  size_t shown = r.argc;
  if (shown > kMaxArgs) shown = kMaxArgs - 1;
  for (size_t i = 0; i < shown; ++i) {
    if (r.argv[i].data == nullptr) {  // a value the store took over without a copy (SET)
      e.args.emplace_back("(value moved to the store)");
      continue;
    }
    std::string_view arg = r.arg(i);
    if (arg.size() > kMaxArgBytes) {
      e.args.push_back(fmt::format("{}... ({} more bytes)", arg.substr(0, kMaxArgBytes),
                                   arg.size() - kMaxArgBytes));
    } else {
      e.args.emplace_back(arg);
    }
  }
  if (shown < r.argc) e.args.push_back(fmt::format("... ({} more arguments)", r.argc - shown));
  e.client_addr = std::move(client_addr);
  e.client_name = std::move(client_name);
  std::lock_guard lock(mu_);
  e.id = next_id_++;
  entries_.push_front(std::move(e));
  const auto limit = static_cast<size_t>(max_len.load(std::memory_order_relaxed));
  while (entries_.size() > limit) entries_.pop_back();
}

std::vector<SlowlogEntry> Slowlog::newest(int64_t count) const {
  std::lock_guard lock(mu_);
  size_t n = count < 0 ? entries_.size() : std::min(entries_.size(), static_cast<size_t>(count));
  return {entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(n)};
}

size_t Slowlog::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void Slowlog::reset() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

void Slowlog::set_max_len(int64_t len) {
  std::lock_guard lock(mu_);
  max_len.store(len, std::memory_order_relaxed);
  while (entries_.size() > static_cast<size_t>(len)) entries_.pop_back();
}

}  // namespace hakmem::server
