// Open-loop send schedule: request i of a connection is due at start + offset + i / rate,
// whether or not earlier replies have arrived. Latency is measured from the due ("intended")
// time, so time a request spends waiting behind a stalled server counts (no coordinated
// omission, as in wrk2).
#pragma once

#include <chrono>
#include <cstdint>

namespace hakmem::load {

class OpenLoopSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  // rate: requests per second for this connection (> 0). offset: where in the first interval
  // this connection starts, so connections sharing a rate do not fire in lockstep.
  OpenLoopSchedule(double rate, Clock::time_point start, Clock::duration offset = {});

  // Intended send time of the next request.
  Clock::time_point next_due() const { return due(issued_); }
  bool is_due(Clock::time_point now) const { return next_due() <= now; }
  // Number of requests due by `now` and not yet issued (the backlog a stall builds).
  uint64_t backlog(Clock::time_point now) const;
  // Takes the next request: returns its intended time and advances.
  Clock::time_point take() { return due(issued_++); }
  uint64_t issued() const { return issued_; }

 private:
  Clock::time_point due(uint64_t i) const;

  Clock::time_point origin_;
  double interval_ns_;
  uint64_t issued_ = 0;
};

}  // namespace hakmem::load
