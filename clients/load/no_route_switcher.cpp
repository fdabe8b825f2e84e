// Built instead of grpc_route_switcher.cpp when the admin proto's target is missing: the
// binary then refuses --admin/--phases instead of pretending to switch routes.
#include "phases.hpp"

namespace hakmem::load {

bool have_grpc_route_switcher() {
  return false;
}

std::unique_ptr<RouteSwitcher> make_grpc_route_switcher(const std::string&, const std::string&) {
  return nullptr;
}

}  // namespace hakmem::load
