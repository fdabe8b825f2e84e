// Who may call and when: the token, the loopback rule for binding, and the health service
// (SERVING while up, NOT_SERVING once shutdown begins).
#include <grpcpp/create_channel.h>

#include "health.grpc.pb.h"
#include "test_support.h"

namespace hakmem::admin::testing {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

TEST(AdminAccess, LoopbackAddresses) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"}) {
    EXPECT_TRUE(is_loopback_address(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "example.com", ""}) {
    EXPECT_FALSE(is_loopback_address(host)) << host;
  }
}

TEST(AdminAccess, PublicBindNeedsAToken) {
  AdminServerOptions o;
  o.bind = "0.0.0.0";
  o.port = 0;
  EXPECT_NE(validate_options(o).find("--admin-token"), std::string::npos);
  AdminServer refused(o);
  EXPECT_NE(refused.start().find("--admin-token"), std::string::npos);

  o.token = "s3cret";
  EXPECT_EQ(validate_options(o), "");
  o.bind = "127.0.0.1";
  o.token.clear();
  EXPECT_EQ(validate_options(o), "");
  o.port = 70000;
  EXPECT_NE(validate_options(o), "");
}

TEST(AdminAccess, PortInUseIsReported) {
  RunningServer first;
  AdminServerOptions o;
  o.port = first.server.port();
  AdminServer second(o);
  EXPECT_NE(second.start(), "");
}

// Calls every RPC with the given token and returns the status codes.
std::vector<grpc::StatusCode> call_everything(v1::AdminService::Stub& stub,
                                              const std::string& token) {
  std::vector<grpc::StatusCode> codes;
  {
    v1::GetRouteResponse r;
    codes.push_back(stub.GetRoute(context(token).get(), {}, &r).error_code());
  }
  {
    v1::SetRouteRequest req;
    req.set_route(v1::ROUTE_S);
    v1::SetRouteResponse r;
    codes.push_back(stub.SetRoute(context(token).get(), req, &r).error_code());
  }
  {
    v1::GetOptionsResponse r;
    codes.push_back(stub.GetOptions(context(token).get(), {}, &r).error_code());
  }
  {
    v1::SetOptionsRequest req;
    auto* a = req.add_assignments();
    a->set_name("route");
    a->set_value(0);
    v1::SetOptionsResponse r;
    codes.push_back(stub.SetOptions(context(token).get(), req, &r).error_code());
  }
  {
    v1::DumpCountersResponse r;
    codes.push_back(stub.DumpCounters(context(token).get(), {}, &r).error_code());
  }
  {
    v1::ResetCountersResponse r;
    codes.push_back(stub.ResetCounters(context(token).get(), {}, &r).error_code());
  }
  {
    v1::GetStatsResponse r;
    codes.push_back(stub.GetStats(context(token).get(), {}, &r).error_code());
  }
  {
    v1::GetVersionResponse r;
    codes.push_back(stub.GetVersion(context(token).get(), {}, &r).error_code());
  }
  {
    v1::GetRouteAClassesResponse r;
    codes.push_back(stub.GetRouteAClasses(context(token).get(), {}, &r).error_code());
  }
  {
    v1::WatchCountersRequest req;
    req.set_interval_ms(100);
    auto ctx = context(token);
    auto reader = stub.WatchCounters(ctx.get(), req);
    v1::WatchCountersResponse msg;
    if (reader->Read(&msg)) ctx->TryCancel();
    while (reader->Read(&msg)) {
    }
    grpc::StatusCode code = reader->Finish().error_code();
    codes.push_back(code == grpc::StatusCode::CANCELLED ? grpc::StatusCode::OK : code);
  }
  return codes;
}

TEST(AdminAccess, TokenIsRequiredWhenConfigured) {
  AdminServerOptions o;
  o.token = "s3cret";
  RunningServer srv(o);
  const std::vector<grpc::StatusCode> all_ok(10, grpc::StatusCode::OK);
  const std::vector<grpc::StatusCode> all_denied(10, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(call_everything(*srv.stub, "s3cret"), all_ok);
  EXPECT_EQ(call_everything(*srv.stub, ""), all_denied);
  EXPECT_EQ(call_everything(*srv.stub, "wrong"), all_denied);
  EXPECT_EQ(call_everything(*srv.stub, "s3cret2"), all_denied);

  // The raw token (without "Bearer ") is accepted too; the message says what is wrong.
  grpc::ClientContext raw;
  raw.AddMetadata("authorization", "s3cret");
  v1::GetRouteResponse r;
  EXPECT_TRUE(srv.stub->GetRoute(&raw, {}, &r).ok());
  grpc::Status s = srv.stub->GetRoute(context().get(), {}, &r);
  EXPECT_NE(s.error_message().find("token"), std::string::npos);
}

TEST(AdminAccess, NoTokenConfiguredAdmitsEveryone) {
  RunningServer srv;
  const std::vector<grpc::StatusCode> all_ok(10, grpc::StatusCode::OK);
  EXPECT_EQ(call_everything(*srv.stub, ""), all_ok);
  EXPECT_EQ(call_everything(*srv.stub, "anything"), all_ok);
}

HealthCheckResponse::ServingStatus health(const std::shared_ptr<grpc::Channel>& channel,
                                          const std::string& service) {
  auto stub = Health::NewStub(channel);
  HealthCheckRequest req;
  req.set_service(service);
  HealthCheckResponse r;
  grpc::Status s = stub->Check(context().get(), req, &r);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return r.status();
}

TEST(AdminAccess, HealthServingWhileUpNotServingInShutdown) {
  RunningServer srv;
  EXPECT_EQ(health(srv.channel, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(health(srv.channel, "hakmem.admin.v1.AdminService"), HealthCheckResponse::SERVING);
  srv.server.begin_shutdown();
  EXPECT_EQ(health(srv.channel, ""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(health(srv.channel, "hakmem.admin.v1.AdminService"), HealthCheckResponse::NOT_SERVING);
  // Still answering the admin API until shutdown() proper.
  v1::GetRouteResponse r;
  EXPECT_TRUE(srv.stub->GetRoute(context().get(), {}, &r).ok());
  srv.server.shutdown();
  srv.server.shutdown();  // idempotent
}

}  // namespace
}  // namespace hakmem::admin::testing
