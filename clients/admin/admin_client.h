// A thin blocking client for hakmem.admin.v1.AdminService: adds the token, bounds every call
// with a deadline and turns failures into one printable line.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "hakmem/admin/v1/admin.grpc.pb.h"

namespace hakmem::admin_cli {

namespace v1 = ::hakmem::admin::v1;

// Why a call failed, ready to print. unreachable: the server could not be reached at all.
struct CallError {
  bool unreachable = false;
  std::string message;
};

class AdminClient {
 public:
  AdminClient(std::string address, std::string token);

  // False (with *error filled) when no connection comes up within a few seconds.
  bool connect(CallError* error);

  bool get_route(v1::GetRouteResponse* out, CallError* error);
  bool set_route(v1::Route route, v1::SetRouteResponse* out, CallError* error);
  bool get_options(v1::GetOptionsResponse* out, CallError* error);
  bool set_options(const v1::SetOptionsRequest& req, v1::SetOptionsResponse* out, CallError* error);
  bool dump_counters(bool reset, v1::DumpCountersResponse* out, CallError* error);
  bool reset_counters(CallError* error);
  bool get_stats(v1::GetStatsResponse* out, CallError* error);
  bool get_version(v1::GetVersionResponse* out, CallError* error);
  bool get_route_a_classes(v1::GetRouteAClassesResponse* out, CallError* error);
  // Calls on_snapshot for each message until it returns false, *stop becomes true (checked
  // between messages and by a watcher), or the stream ends. True when the client ended it.
  bool watch_counters(uint32_t interval_ms, const std::atomic<bool>* stop,
                      const std::function<bool(const v1::CounterSnapshot&)>& on_snapshot,
                      CallError* error);

 private:
  void prepare(grpc::ClientContext* ctx, bool with_deadline) const;
  // Every unary call has the same shape: context, call, translate the status.
  template <typename Request, typename Response>
  bool unary(grpc::Status (v1::AdminService::Stub::*method)(grpc::ClientContext*, const Request&,
                                                            Response*),
             const Request& request, Response* response, CallError* error) {
    grpc::ClientContext ctx;
    prepare(&ctx, true);
    grpc::Status status = (stub_.get()->*method)(&ctx, request, response);
    if (status.ok()) return true;
    *error = describe(status);
    return false;
  }
  CallError describe(const grpc::Status& status) const;

  std::string address_;
  std::string token_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AdminService::Stub> stub_;
};

}  // namespace hakmem::admin_cli
