// Shared pieces of the admin tests: a fake server statistics source and an admin server
// started on a free loopback port, with a client stub.
#pragma once

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "hakmem/admin/admin_server.h"
#include "hakmem/admin/v1/admin.grpc.pb.h"
#include "hakmem/hakmem.h"

namespace hakmem::admin::testing {

namespace v1 = ::hakmem::admin::v1;

class FakeStats : public AdminStatsSource {
 public:
  ServerStats server_stats() override {
    std::lock_guard lock(mu_);
    return stats_;
  }
  void set(ServerStats s) {
    std::lock_guard lock(mu_);
    stats_ = std::move(s);
  }

 private:
  std::mutex mu_;
  ServerStats stats_;
};

struct RunningServer {
  explicit RunningServer(AdminServerOptions options = {}, AdminStatsSource* stats = nullptr)
      : server(with_free_port(std::move(options)), stats) {
    std::string err = server.start();
    EXPECT_EQ(err, "");
    channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
    stub = v1::AdminService::NewStub(channel);
  }

  static AdminServerOptions with_free_port(AdminServerOptions o) {
    o.port = 0;
    return o;
  }

  AdminServer server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::AdminService::Stub> stub;
};

// A context with a generous deadline (a wedged call fails the test instead of hanging it)
// and, if given, the admin token.
inline std::unique_ptr<grpc::ClientContext> context(const std::string& token = "") {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

// The concurrency tests always set must_reuse_budget and purge_delay_ms to the same value in
// one SetOptions batch: a read that sees them differ saw half a batch.
inline bool is_torn(const v1::GetOptionsResponse& r) {
  int64_t budget = -1, delay = -2;
  for (const v1::Option& o : r.options()) {
    if (o.name() == "must_reuse_budget") budget = o.value();
    if (o.name() == "purge_delay_ms") delay = o.value();
  }
  return budget != delay;
}

// Saves the two options the concurrency tests batch together and restores them on scope exit,
// so a failed assertion cannot leave them changed for the next test.
class SavedBatchOptions {
 public:
  SavedBatchOptions() {
    hak_option_get("must_reuse_budget", &budget_);
    hak_option_get("purge_delay_ms", &delay_);
  }
  ~SavedBatchOptions() {
    hak_option_set("must_reuse_budget", budget_, nullptr, 0);
    hak_option_set("purge_delay_ms", delay_, nullptr, 0);
  }
  SavedBatchOptions(const SavedBatchOptions&) = delete;
  SavedBatchOptions& operator=(const SavedBatchOptions&) = delete;

 private:
  int64_t budget_ = 0, delay_ = 0;
};

// After the batches: the last one applied whole, and the route flips ended on S.
inline void expect_last_batch_won() {
  int64_t budget = 0, delay = 0;
  ASSERT_EQ(hak_option_get("must_reuse_budget", &budget), 0);
  ASSERT_EQ(hak_option_get("purge_delay_ms", &delay), 0);
  EXPECT_EQ(budget, delay);
  EXPECT_EQ(hak_get_route(), HAK_ROUTE_S);
}

}  // namespace hakmem::admin::testing
