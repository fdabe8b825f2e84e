// `hakmem-admin route classes`: Route A's per-class decision (GetRouteAClasses) as a table with a
// header saying whether Route A is the one deciding now, or as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "hakmem/admin/v1/admin.pb.h"

namespace hakmem::admin_cli {

// all: every class; otherwise only the classes Route A has counted or switched anything for.
void print_route_a(std::ostream& out, const ::hakmem::admin::v1::GetRouteAClassesResponse& r,
                   bool all);

// Every class, whatever its activity (tools filter for themselves).
nlohmann::json route_a_json(const ::hakmem::admin::v1::GetRouteAClassesResponse& r);

}  // namespace hakmem::admin_cli
