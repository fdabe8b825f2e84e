#include "open_loop.hpp"

#include <cmath>

namespace hakmem::load {

OpenLoopSchedule::OpenLoopSchedule(double rate, Clock::time_point start, Clock::duration offset)
    : origin_(start + offset), interval_ns_(1e9 / rate) {}

OpenLoopSchedule::Clock::time_point OpenLoopSchedule::due(uint64_t i) const {
  // Computed from the origin each time (not accumulated) so rounding never drifts.
  const auto ns = static_cast<int64_t>(std::llround(static_cast<double>(i) * interval_ns_));
  return origin_ + std::chrono::nanoseconds(ns);
}

uint64_t OpenLoopSchedule::backlog(Clock::time_point now) const {
  if (now < origin_) return 0;
  const double elapsed = static_cast<double>((now - origin_).count()) *
                         (1e9 * Clock::duration::period::num / Clock::duration::period::den);
  const auto due_by_now = static_cast<uint64_t>(std::floor(elapsed / interval_ns_)) + 1;
  return due_by_now > issued_ ? due_by_now - issued_ : 0;
}

}  // namespace hakmem::load
