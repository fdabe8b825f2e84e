// A workload: operation mix + key chooser + value sizes, producing a stream of operations.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "hakmem/workloads/key_chooser.hpp"
#include "hakmem/workloads/op_mix.hpp"
#include "hakmem/workloads/rng.hpp"
#include "hakmem/workloads/value_size.hpp"

namespace hakmem::workloads {

struct WorkloadSpec {
  WorkloadKind kind = WorkloadKind::kA;
  KeyDistribution distribution = KeyDistribution::kZipfian;
  double zipf_constant = kDefaultZipfConstant;
  uint64_t keys = 100000;  // key space; larson: the sliding window's width
  ValueSizeSpec value_size;
};

// State shared by every generator of one run (all threads).
struct SharedState {
  // Next key index to insert (workload D) or the larson window's head. Starts at `keys`: the
  // key space [0, keys) is what --load fills. Reads under "latest" may pick a key whose insert
  // is still in flight and miss; YCSB avoids that with an acknowledgement counter, which would
  // cost a shared write per reply here.
  std::atomic<uint64_t> insert_head{0};
  explicit SharedState(uint64_t keys) : insert_head(keys) {}
};

struct Op {
  OpType type = OpType::kRead;
  uint64_t key = 0;
  uint32_t value_size = 0;  // for writes
};

// One per connection (not thread safe). Reproducible from (seed, stream) when the shared state
// is not advanced by other generators (i.e. for one connection, or workloads without inserts).
class OpGenerator {
 public:
  OpGenerator(const WorkloadSpec& spec, SharedState* shared, uint64_t seed, uint64_t stream);
  Op next();
  Rng& rng() { return rng_; }
  uint32_t next_value_size() { return sizes_.next(rng_); }

 private:
  Op next_larson();

  WorkloadSpec spec_;
  SharedState* shared_;
  Rng rng_;
  OpChooser ops_;
  std::unique_ptr<KeyChooser> keys_;
  ValueSizeChooser sizes_;
  bool pending_delete_ = false;  // larson: the DEL that follows a window advance
  uint64_t delete_key_ = 0;
};

// Key names are fixed width so every key costs the server the same bytes.
void append_key(std::string& out, uint64_t index);
std::string format_key(uint64_t index);
// `size` filler bytes for a SET value; a view into one static buffer (no allocation per op).
std::string_view value_bytes(uint32_t size);

}  // namespace hakmem::workloads
