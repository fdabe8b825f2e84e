// RouteSwitcher over the admin gRPC service (built only when hakmem_admin_proto exists).
#include <grpcpp/grpcpp.h>
#include "hakmem/route_names.h"

#include <chrono>

#include "hakmem/admin/v1/admin.grpc.pb.h"
#include "phases.hpp"

namespace hakmem::load {

namespace {

namespace admin = hakmem::admin::v1;

constexpr auto kDeadline = std::chrono::seconds(5);

// The RPC numbers routes from 1 (0: unspecified), the allocator from 0.
admin::Route to_proto(const std::string& route) {
  hak_route parsed;
  if (!hak_route_from_name(route.c_str(), &parsed)) return admin::ROUTE_UNSPECIFIED;
  return static_cast<admin::Route>(static_cast<int>(parsed) + 1);
}

class GrpcRouteSwitcher final : public RouteSwitcher {
 public:
  GrpcRouteSwitcher(const std::string& address, const std::string& token)
      : address_(address),
        token_(token),
        stub_(admin::AdminService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

  std::string set_route(const std::string& route) override {
    admin::SetRouteRequest request;
    request.set_route(to_proto(route));
    admin::SetRouteResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kDeadline);
    if (!token_.empty()) context.AddMetadata("authorization", "Bearer " + token_);
    const grpc::Status status = stub_->SetRoute(&context, request, &response);
    if (!status.ok()) {
      return "SetRoute(" + route + ") at " + address_ + " failed: " + status.error_message() +
             " (gRPC code " + std::to_string(static_cast<int>(status.error_code())) + ")";
    }
    if (response.current() != request.route()) {
      return "SetRoute(" + route + ") at " + address_ + " left the route at " +
             admin::Route_Name(response.current());
    }
    return "";
  }

 private:
  std::string address_;
  std::string token_;
  std::unique_ptr<admin::AdminService::Stub> stub_;
};

}  // namespace

bool have_grpc_route_switcher() {
  return true;
}

std::unique_ptr<RouteSwitcher> make_grpc_route_switcher(const std::string& address,
                                                        const std::string& token) {
  return std::make_unique<GrpcRouteSwitcher>(address, token);
}

}  // namespace hakmem::load
