// AdminService: the allocator's route, options and counters plus the host's statistics.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>

#include "hakmem/admin/stats_source.h"
#include "hakmem/admin/v1/admin.grpc.pb.h"

namespace hakmem::admin {

// v1 is this namespace's own hakmem::admin::v1 (an alias to it is an error with clang).

// Clients send the token as "authorization: Bearer <token>".
inline constexpr char kTokenMetadataKey[] = "authorization";

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  // An empty token admits every caller; stats may be null.
  AdminServiceImpl(std::string token, AdminStatsSource* stats);

  grpc::Status GetRoute(grpc::ServerContext* ctx, const v1::GetRouteRequest* req,
                        v1::GetRouteResponse* resp) override;
  grpc::Status SetRoute(grpc::ServerContext* ctx, const v1::SetRouteRequest* req,
                        v1::SetRouteResponse* resp) override;
  grpc::Status GetOptions(grpc::ServerContext* ctx, const v1::GetOptionsRequest* req,
                          v1::GetOptionsResponse* resp) override;
  grpc::Status SetOptions(grpc::ServerContext* ctx, const v1::SetOptionsRequest* req,
                          v1::SetOptionsResponse* resp) override;
  grpc::Status DumpCounters(grpc::ServerContext* ctx, const v1::DumpCountersRequest* req,
                            v1::DumpCountersResponse* resp) override;
  grpc::Status ResetCounters(grpc::ServerContext* ctx, const v1::ResetCountersRequest* req,
                             v1::ResetCountersResponse* resp) override;
  grpc::Status GetStats(grpc::ServerContext* ctx, const v1::GetStatsRequest* req,
                        v1::GetStatsResponse* resp) override;
  grpc::Status WatchCounters(grpc::ServerContext* ctx, const v1::WatchCountersRequest* req,
                             grpc::ServerWriter<v1::WatchCountersResponse>* writer) override;
  grpc::Status GetVersion(grpc::ServerContext* ctx, const v1::GetVersionRequest* req,
                          v1::GetVersionResponse* resp) override;
  grpc::Status GetRouteAClasses(grpc::ServerContext* ctx, const v1::GetRouteAClassesRequest* req,
                                v1::GetRouteAClassesResponse* resp) override;

  // Ends every running WatchCounters stream and refuses new ones (server shutdown).
  void stop_watches();

 private:
  grpc::Status authorize(const grpc::ServerContext* ctx) const;

  const std::string token_;
  AdminStatsSource* const stats_;
  // Serializes the writers (route, options, resets) so "previous" values are exact and a
  // SetOptions rollback cannot undo another caller's change.
  std::mutex write_mu_;
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stopping_ = false;
};

}  // namespace hakmem::admin
