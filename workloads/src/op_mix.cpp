#include "hakmem/workloads/op_mix.hpp"

namespace hakmem::workloads {

const char* op_type_name(OpType t) {
  switch (t) {
    case OpType::kRead:
      return "read";
    case OpType::kUpdate:
      return "update";
    case OpType::kInsert:
      return "insert";
    case OpType::kReadModifyWrite:
      return "rmw";
    case OpType::kDelete:
      return "delete";
  }
  return "?";
}

bool parse_workload(const std::string& raw, WorkloadKind* out) {
  std::string name = raw;
  if (name.starts_with("ycsb-")) name = name.substr(5);
  if (name == "a" || name == "A") {
    *out = WorkloadKind::kA;
  } else if (name == "b" || name == "B") {
    *out = WorkloadKind::kB;
  } else if (name == "c" || name == "C") {
    *out = WorkloadKind::kC;
  } else if (name == "d" || name == "D") {
    *out = WorkloadKind::kD;
  } else if (name == "f" || name == "F") {
    *out = WorkloadKind::kF;
  } else if (name == "larson") {
    *out = WorkloadKind::kLarson;
  } else {
    return false;
  }
  return true;
}

const char* workload_name(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::kA:
      return "a";
    case WorkloadKind::kB:
      return "b";
    case WorkloadKind::kC:
      return "c";
    case WorkloadKind::kD:
      return "d";
    case WorkloadKind::kF:
      return "f";
    case WorkloadKind::kLarson:
      return "larson";
  }
  return "?";
}

KeyDistribution default_distribution(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::kD:
      return KeyDistribution::kLatest;
    case WorkloadKind::kLarson:
      return KeyDistribution::kUniform;
    default:
      return KeyDistribution::kZipfian;
  }
}

OpMix mix_for(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::kA:
      return {.read = 0.5, .update = 0.5};
    case WorkloadKind::kB:
      return {.read = 0.95, .update = 0.05};
    case WorkloadKind::kC:
      return {.read = 1.0};
    case WorkloadKind::kD:
      return {.read = 0.95, .insert = 0.05};
    case WorkloadKind::kF:
      return {.read = 0.5, .read_modify_write = 0.5};
    case WorkloadKind::kLarson:
      return {.update = 1.0};
  }
  return {};
}

OpChooser::OpChooser(const OpMix& mix)
    : read_(mix.read),
      update_(mix.read + mix.update),
      insert_(mix.read + mix.update + mix.insert) {}

OpType OpChooser::next(Rng& rng) const {
  const double u = rng.uniform();
  if (u < read_) return OpType::kRead;
  if (u < update_) return OpType::kUpdate;
  if (u < insert_) return OpType::kInsert;
  return OpType::kReadModifyWrite;
}

}  // namespace hakmem::workloads
