// Which keys a request reads or writes. Pipelined requests of one connection run on several
// workers at once, but only when they cannot observe each other: a request waits while an
// earlier one of the same connection still runs and one of them writes a key the other uses.
#pragma once

#include <cstdint>
#include <vector>

#include "request.h"

namespace hakmem::server {

struct Footprint {
  enum class Mode : uint8_t { kNone, kRead, kWrite };
  Mode mode = Mode::kNone;
  bool all_keys = false;       // DBSIZE reads every key, FLUSHALL writes every key
  std::vector<uint64_t> keys;  // key hashes (a collision only costs a needless wait)

  bool conflicts_with(const Footprint& other) const;
};

// From the command table; unknown commands and wrong arity touch nothing (they only error).
Footprint footprint_of(const Request& request);

}  // namespace hakmem::server
