#include "admin_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <thread>

namespace hakmem::admin_cli {

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(3);
constexpr auto kCallTimeout = std::chrono::seconds(10);

}  // namespace

AdminClient::AdminClient(std::string address, std::string token)
    : address_(std::move(address)),
      token_(std::move(token)),
      channel_(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials())),
      stub_(v1::AdminService::NewStub(channel_)) {}

bool AdminClient::connect(CallError* error) {
  // A refused connection shows as TRANSIENT_FAILURE at once; no need to wait out the timeout.
  const auto deadline = std::chrono::system_clock::now() + kConnectTimeout;
  for (;;) {
    grpc_connectivity_state state = channel_->GetState(true);
    if (state == GRPC_CHANNEL_READY) return true;
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN ||
        !channel_->WaitForStateChange(state, deadline)) {
      break;
    }
  }
  *error = {true, "cannot reach the hakmem admin service at " + address_};
  return false;
}

void AdminClient::prepare(grpc::ClientContext* ctx, bool with_deadline) const {
  if (!token_.empty()) ctx->AddMetadata("authorization", "Bearer " + token_);
  if (with_deadline) ctx->set_deadline(std::chrono::system_clock::now() + kCallTimeout);
}

CallError AdminClient::describe(const grpc::Status& status) const {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return {true,
            "cannot reach the hakmem admin service at " + address_ + ": " + status.error_message()};
  }
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  int code = status.error_code();
  std::string name = code >= 0 && code <= 16 ? kNames[code] : std::to_string(code);
  return {false, name + ": " + status.error_message()};
}

bool AdminClient::get_route(v1::GetRouteResponse* out, CallError* error) {
  return unary(&v1::AdminService::Stub::GetRoute, v1::GetRouteRequest(), out, error);
}

bool AdminClient::set_route(v1::Route route, v1::SetRouteResponse* out, CallError* error) {
  v1::SetRouteRequest req;
  req.set_route(route);
  return unary(&v1::AdminService::Stub::SetRoute, req, out, error);
}

bool AdminClient::get_options(v1::GetOptionsResponse* out, CallError* error) {
  return unary(&v1::AdminService::Stub::GetOptions, v1::GetOptionsRequest(), out, error);
}

bool AdminClient::set_options(const v1::SetOptionsRequest& req, v1::SetOptionsResponse* out,
                              CallError* error) {
  return unary(&v1::AdminService::Stub::SetOptions, req, out, error);
}

bool AdminClient::dump_counters(bool reset, v1::DumpCountersResponse* out, CallError* error) {
  v1::DumpCountersRequest req;
  req.set_reset_after_read(reset);
  return unary(&v1::AdminService::Stub::DumpCounters, req, out, error);
}

bool AdminClient::reset_counters(CallError* error) {
  v1::ResetCountersResponse out;
  return unary(&v1::AdminService::Stub::ResetCounters, v1::ResetCountersRequest(), &out, error);
}

bool AdminClient::get_stats(v1::GetStatsResponse* out, CallError* error) {
  return unary(&v1::AdminService::Stub::GetStats, v1::GetStatsRequest(), out, error);
}

bool AdminClient::get_version(v1::GetVersionResponse* out, CallError* error) {
  return unary(&v1::AdminService::Stub::GetVersion, v1::GetVersionRequest(), out, error);
}

bool AdminClient::get_route_a_classes(v1::GetRouteAClassesResponse* out, CallError* error) {
  return unary(&v1::AdminService::Stub::GetRouteAClasses, v1::GetRouteAClassesRequest(), out,
               error);
}

bool AdminClient::watch_counters(uint32_t interval_ms, const std::atomic<bool>* stop,
                                 const std::function<bool(const v1::CounterSnapshot&)>& on_snapshot,
                                 CallError* error) {
  grpc::ClientContext ctx;
  prepare(&ctx, false);  // runs until cancelled
  v1::WatchCountersRequest req;
  req.set_interval_ms(interval_ms);
  std::atomic<bool> done{false};
  // Read() blocks between snapshots; this watcher turns a stop request into a cancel.
  std::thread watcher([&] {
    while (!done.load() && !stop->load())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!done.load()) ctx.TryCancel();
  });
  auto reader = stub_->WatchCounters(&ctx, req);
  v1::WatchCountersResponse msg;
  bool client_ended = false;
  while (reader->Read(&msg)) {
    if (stop->load() || !on_snapshot(msg.snapshot())) {
      client_ended = true;
      ctx.TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  done.store(true);
  watcher.join();
  if (client_ended || stop->load()) return true;
  *error = status.ok() ? CallError{false, "the server ended the watch"} : describe(status);
  return false;
}

}  // namespace hakmem::admin_cli
