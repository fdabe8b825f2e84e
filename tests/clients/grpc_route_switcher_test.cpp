// The real route switcher against the admin service (in this process, on a free port): the
// allocator's route follows, and hakmem-load --phases switches it at each boundary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_resp_server.hpp"
#include "hakmem/admin/admin_server.h"
#include "hakmem/hakmem.h"
#include "phases.hpp"
#include "process.hpp"

namespace hl = hakmem::load;

TEST(GrpcRouteSwitcher, SetsTheAllocatorsRoute) {
  ASSERT_TRUE(hl::have_grpc_route_switcher());
  hakmem::admin::AdminServer admin({.bind = "127.0.0.1", .port = 0, .token = ""});
  ASSERT_EQ(admin.start(), "");
  auto switcher = hl::make_grpc_route_switcher(admin.address(), "");
  ASSERT_EQ(switcher->set_route("P"), "");
  EXPECT_EQ(hak_get_route(), HAK_ROUTE_P);
  ASSERT_EQ(switcher->set_route("S"), "");
  EXPECT_EQ(hak_get_route(), HAK_ROUTE_S);
}

TEST(GrpcRouteSwitcher, ReportsRpcFailures) {
  hakmem::admin::AdminServer admin({.bind = "127.0.0.1", .port = 0, .token = "secret"});
  ASSERT_EQ(admin.start(), "");
  ASSERT_EQ(hak_set_route(HAK_ROUTE_S), 0);
  const std::string error = hl::make_grpc_route_switcher(admin.address(), "")->set_route("P");
  EXPECT_NE(error.find("SetRoute(P)"), std::string::npos) << error;
  EXPECT_EQ(hak_get_route(), HAK_ROUTE_S);
  EXPECT_EQ(hl::make_grpc_route_switcher(admin.address(), "secret")->set_route("P"), "");
  EXPECT_EQ(hak_get_route(), HAK_ROUTE_P);
}

TEST(GrpcRouteSwitcher, HakmemLoadPhasesSwitchRoutes) {
  ASSERT_EQ(hak_set_route(HAK_ROUTE_S), 0);
  hakmem::admin::AdminServer admin({.bind = "127.0.0.1", .port = 0, .token = ""});
  ASSERT_EQ(admin.start(), "");
  hl::testing::FakeRespServer server({});
  const auto dir = hl::testing::temp_dir("grpc");
  const auto json_path = (dir / "run.json").string();
  const auto r = hl::testing::run_process(
      {HAKMEM_LOAD_BIN, "--port", std::to_string(server.port()), "--admin", admin.address(),
       "--phases", "S:500ms,CDA:500ms,P:500ms", "--warmup", "0", "-q", "--json", json_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(hak_get_route(), HAK_ROUTE_P);  // the last phase's route
  const auto doc = nlohmann::json::parse(hl::testing::slurp(json_path));
  ASSERT_EQ(doc["phases"].size(), 3u);
  EXPECT_EQ(doc["phases"][0]["route"], "S");
  EXPECT_EQ(doc["phases"][1]["route"], "CDA");
  EXPECT_EQ(doc["phases"][2]["route"], "P");
  for (const auto& p : doc["phases"]) {
    EXPECT_GT(p["ops"].get<uint64_t>(), 0u);
    EXPECT_NEAR(p["duration_s"].get<double>(), 0.5, 0.3);
  }
  EXPECT_NE(r.out.find("phase 1 (route CDA"), std::string::npos) << r.out;
  std::filesystem::remove_all(dir);
}
