// Translations between the allocator's C API and the admin protobuf messages.
#pragma once

#include <grpcpp/support/status.h>

#include "hakmem/admin/v1/admin.pb.h"
#include "hakmem/hakmem.h"

namespace hakmem::admin {

// v1 is this namespace's own hakmem::admin::v1 (an alias to it is an error with clang).

v1::Route to_proto(hak_route route);
// False for ROUTE_UNSPECIFIED and values this build does not know.
bool from_proto(v1::Route route, hak_route* out);
const char* route_label(v1::Route route);

// Every counter with its description, the page reuse rate and the route; then, if asked,
// resets the event counters (events between the read and the reset are lost).
void fill_snapshot(v1::CounterSnapshot* out, bool reset_after_read);

// "start", "idle_pending" or "domino" (HAK_ROUTE_A_* in lower case); "unknown" otherwise.
const char* route_a_reason_name(hak_route_a_reason reason);

// Route A's state of every size class, with the route and route_a_window when read.
void fill_route_a(v1::GetRouteAClassesResponse* out);

void fill_options(google::protobuf::RepeatedPtrField<v1::Option>* out);

// All or nothing: checks every assignment (unknown name, duplicate, out of range) before
// setting any. Callers serialize writers, so the rollback of a set that fails after a
// successful check restores exactly what this call changed.
grpc::Status set_options(const v1::SetOptionsRequest& request, v1::SetOptionsResponse* response);

}  // namespace hakmem::admin
