// Output of hakmem-admin: aligned tables for people, one JSON document per result for tools.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "hakmem/admin/v1/admin.pb.h"

namespace hakmem::admin_cli {

namespace v1 = ::hakmem::admin::v1;

// Columns padded to their widest cell; numeric-looking cells are right-aligned.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

const char* route_name(v1::Route route);

void print_route(std::ostream& out, const v1::GetRouteResponse& r);
void print_route_change(std::ostream& out, const v1::SetRouteResponse& r);
void print_options(std::ostream& out, const google::protobuf::RepeatedPtrField<v1::Option>& o);

nlohmann::json counters_json(const v1::CounterSnapshot& s);
// The human form of counters is in counters_render.h.

nlohmann::json stats_json(const v1::GetStatsResponse& s);
void print_stats(std::ostream& out, const v1::GetStatsResponse& s);

}  // namespace hakmem::admin_cli
