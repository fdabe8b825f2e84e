// Route phases: "--phases S:10s,P:10s,S:10s" runs the load in consecutive phases and switches
// the server's allocator route through the admin RPC at each boundary.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace hakmem::load {

struct PhaseSpec {
  std::string route;  // "S", "P", "CDA" or "A"
  std::chrono::milliseconds duration{0};
};

// "ROUTE:DURATION[,ROUTE:DURATION...]"; DURATION is a number with unit s, ms or m (bare = s).
bool parse_phases(const std::string& text, std::vector<PhaseSpec>* out, std::string* error);

// Switches the server's route. An interface so the runner does not depend on gRPC.
class RouteSwitcher {
 public:
  virtual ~RouteSwitcher() = default;
  // Returns "" on success, else why it failed.
  virtual std::string set_route(const std::string& route) = 0;
};

// True when this build has the admin RPC client (the admin proto's library target existed).
bool have_grpc_route_switcher();
// The admin RPC implementation (AdminService.SetRoute at `address`, with the bearer `token` when
// not empty); nullptr when !have_grpc_route_switcher().
std::unique_ptr<RouteSwitcher> make_grpc_route_switcher(const std::string& address,
                                                        const std::string& token);

}  // namespace hakmem::load
