// Operation mixes: the YCSB core workloads (minus E, which needs SCAN) and a Larson-style
// churn that makes a server allocate and free objects of many sizes across threads.
#pragma once

#include <cstdint>
#include <string>

#include "hakmem/workloads/key_chooser.hpp"
#include "hakmem/workloads/rng.hpp"

namespace hakmem::workloads {

enum class OpType : uint8_t {
  kRead,             // GET
  kUpdate,           // SET of an existing key
  kInsert,           // SET of a new key (workload D, preload)
  kReadModifyWrite,  // GET then SET of the same key, timed as one operation (workload F)
  kDelete,           // DEL (larson)
};
inline constexpr int kOpTypeCount = 5;
const char* op_type_name(OpType t);

enum class WorkloadKind { kA, kB, kC, kD, kF, kLarson };
// "a".."f" (also "ycsb-a"...), "larson". E is rejected: the server has no SCAN.
bool parse_workload(const std::string& name, WorkloadKind* out);
const char* workload_name(WorkloadKind k);
KeyDistribution default_distribution(WorkloadKind k);

// Proportions of each YCSB operation; they sum to 1.
struct OpMix {
  double read = 0;
  double update = 0;
  double insert = 0;
  double read_modify_write = 0;
};
// Larson has no fixed proportions (see OpGenerator); mix_for returns an all-update mix for it.
OpMix mix_for(WorkloadKind k);

class OpChooser {
 public:
  explicit OpChooser(const OpMix& mix);
  OpType next(Rng& rng) const;

 private:
  double read_, update_, insert_;  // cumulative thresholds
};

}  // namespace hakmem::workloads
