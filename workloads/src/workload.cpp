#include "hakmem/workloads/workload.hpp"

#include <cstdio>
#include <mutex>
#include <string>

namespace hakmem::workloads {

OpGenerator::OpGenerator(const WorkloadSpec& spec, SharedState* shared, uint64_t seed,
                         uint64_t stream)
    : spec_(spec),
      shared_(shared),
      rng_(Rng::stream(seed, stream)),
      ops_(mix_for(spec.kind)),
      keys_(
          make_key_chooser(spec.distribution, spec.keys, spec.zipf_constant, &shared->insert_head)),
      sizes_(spec.value_size) {}

Op OpGenerator::next() {
  if (spec_.kind == WorkloadKind::kLarson) return next_larson();
  Op op;
  op.type = ops_.next(rng_);
  if (op.type == OpType::kInsert) {
    op.key = shared_->insert_head.fetch_add(1, std::memory_order_relaxed);
  } else {
    op.key = keys_->next(rng_);
  }
  if (op.type != OpType::kRead) op.value_size = sizes_.next(rng_);
  return op;
}

// Larson-style churn over a sliding window [head - keys, head): half of the steps advance the
// window (SET a new key at the head, then DEL the key that fell out), the other half overwrite
// a random key inside it. Connections share the head, so an object is often freed (DEL or
// overwrite) through another connection than the one that allocated it.
Op OpGenerator::next_larson() {
  Op op;
  if (pending_delete_) {
    pending_delete_ = false;
    op.type = OpType::kDelete;
    op.key = delete_key_;
    return op;
  }
  const uint64_t width = spec_.keys == 0 ? 1 : spec_.keys;
  op.value_size = sizes_.next(rng_);
  if (rng_.uniform() < 0.5) {
    const uint64_t head = shared_->insert_head.fetch_add(1, std::memory_order_relaxed);
    op.type = OpType::kInsert;
    op.key = head;
    if (head >= width) {
      pending_delete_ = true;
      delete_key_ = head - width;
    }
    return op;
  }
  const uint64_t head = shared_->insert_head.load(std::memory_order_relaxed);
  const uint64_t low = head > width ? head - width : 0;
  op.type = OpType::kUpdate;
  op.key = head > low ? low + rng_.below(head - low) : 0;
  return op;
}

void append_key(std::string& out, uint64_t index) {
  char buf[32];
  const int n =
      std::snprintf(buf, sizeof buf, "key:%012llu", static_cast<unsigned long long>(index));
  out.append(buf, static_cast<size_t>(n));
}

std::string format_key(uint64_t index) {
  std::string s;
  append_key(s, index);
  return s;
}

std::string_view value_bytes(uint32_t size) {
  // Grown on demand up to the largest size asked for; never shrinks, so views stay valid.
  static std::mutex mu;
  static std::string* buffer = new std::string(64 * 1024, 'v');
  static std::atomic<std::string*> current{buffer};
  std::string* b = current.load(std::memory_order_acquire);
  if (size <= b->size()) return std::string_view(*b).substr(0, size);
  std::lock_guard lock(mu);
  b = current.load(std::memory_order_relaxed);
  if (size > b->size()) {
    // Old buffers are leaked on purpose: views into them may still be in use.
    b = new std::string(size, 'v');
    current.store(b, std::memory_order_release);
  }
  return std::string_view(*b).substr(0, size);
}

}  // namespace hakmem::workloads
