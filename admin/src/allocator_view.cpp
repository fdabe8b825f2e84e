#include "allocator_view.h"

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "process_allocator.h"

namespace hakmem::admin {

v1::Route to_proto(hak_route route) {
  switch (route) {
    case HAK_ROUTE_S:
      return v1::ROUTE_S;
    case HAK_ROUTE_P:
      return v1::ROUTE_P;
    case HAK_ROUTE_CDA:
      return v1::ROUTE_CDA;
    case HAK_ROUTE_A:
      return v1::ROUTE_A;
  }
  return v1::ROUTE_UNSPECIFIED;
}

bool from_proto(v1::Route route, hak_route* out) {
  switch (route) {
    case v1::ROUTE_S:
      *out = HAK_ROUTE_S;
      return true;
    case v1::ROUTE_P:
      *out = HAK_ROUTE_P;
      return true;
    case v1::ROUTE_CDA:
      *out = HAK_ROUTE_CDA;
      return true;
    case v1::ROUTE_A:
      *out = HAK_ROUTE_A;
      return true;
    default:
      return false;
  }
}

const char* route_label(v1::Route route) {
  hak_route r;
  return from_proto(route, &r) ? hak_route_name(r) : "unspecified";
}

void fill_snapshot(v1::CounterSnapshot* out, bool reset_after_read) {
  hak_counters c{};
  hakmem_api().counters_get(&c);
  if (reset_after_read) hakmem_api().counters_reset();
  out->clear_counters();
  for (size_t i = 0; const char* name = hakmem_api().counter_name(i); ++i) {
    v1::Counter* counter = out->add_counters();
    counter->set_name(name);
    counter->set_value(hakmem_api().counter_value(&c, i));
    if (const char* desc = hakmem_api().counter_description(i)) counter->set_description(desc);
  }
  out->set_page_reuse_rate(hakmem_api().page_reuse_rate(&c));
  out->set_route(to_proto(hakmem_api().get_route()));
  out->set_taken_at_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
}

const char* route_a_reason_name(hak_route_a_reason reason) {
  switch (reason) {
    case HAK_ROUTE_A_START:
      return "start";
    case HAK_ROUTE_A_IDLE_PENDING:
      return "idle_pending";
    case HAK_ROUTE_A_DOMINO:
      return "domino";
  }
  return "unknown";  // a newer allocator's reason: show it happened rather than fail the call
}

void fill_route_a(v1::GetRouteAClassesResponse* out) {
  out->set_route(to_proto(hakmem_api().get_route()));
  int64_t window = 0;
  if (hakmem_api().option_get("route_a_window", &window) == 0) out->set_window(window);
  out->clear_classes();
  for (size_t cls = 0; cls < hakmem_api().class_count(); ++cls) {
    hak_route_a_state s{};
    if (hakmem_api().route_a_class(cls, &s) != 0) break;
    v1::RouteAClass* c = out->add_classes();
    c->set_size_class(static_cast<uint32_t>(cls));
    c->set_block_size(s.class_size);
    c->set_open(s.open != 0);
    c->set_reason(route_a_reason_name(s.reason));
    c->set_switches(s.switches);
    c->set_window_events(s.window_events);
    c->set_last_adoptions(s.last_adoptions);
    c->set_last_dominoes(s.last_dominoes);
    c->set_last_fresh_pages(s.last_fresh_pages);
    c->set_last_missed(s.last_missed);
  }
}

void fill_options(google::protobuf::RepeatedPtrField<v1::Option>* out) {
  out->Clear();
  for (size_t i = 0; i < hakmem_api().option_count(); ++i) {
    const char* name = hakmem_api().option_name(i);
    if (name == nullptr) break;
    int64_t value = 0;
    if (hakmem_api().option_get(name, &value) != 0) continue;
    v1::Option* option = out->Add();
    option->set_name(name);
    option->set_value(value);
    if (const char* help = hakmem_api().option_help(name)) option->set_help(help);
  }
}

namespace {

// The allocator's message usually names the option already; make sure it always does.
std::string naming(const std::string& name, const char* err, const std::string& fallback) {
  std::string msg = (err != nullptr && err[0] != '\0') ? err : fallback;
  if (msg.find(name) == std::string::npos) msg = "option '" + name + "': " + msg;
  return msg;
}

}  // namespace

grpc::Status set_options(const v1::SetOptionsRequest& request, v1::SetOptionsResponse* response) {
  if (request.assignments().empty()) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "no option to set"};
  }
  std::set<std::string> seen;
  std::vector<int64_t> previous;
  for (const v1::OptionAssignment& a : request.assignments()) {
    const std::string& name = a.name();
    // The C API reads names up to their first NUL: "route\0x" would set route, and
    // "budget" and "budget\0" would both pass the duplicate check below.
    if (name.find('\0') != std::string::npos) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "option name '" +
                                                      name.substr(0, name.find('\0')) +
                                                      "...' contains a NUL byte; nothing changed"};
    }
    if (!seen.insert(name).second) {
      return {grpc::StatusCode::INVALID_ARGUMENT,
              "option '" + name + "' given more than once; nothing changed"};
    }
    int64_t current = 0;
    if (hakmem_api().option_get(name.c_str(), &current) != 0) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "unknown option '" + name + "'; nothing changed"};
    }
    char err[256] = {};
    if (hakmem_api().option_check(name.c_str(), a.value(), err, sizeof err) != 0) {
      return {grpc::StatusCode::INVALID_ARGUMENT,
              naming(name, err, "value " + std::to_string(a.value()) + " out of range") +
                  "; nothing changed"};
    }
    previous.push_back(current);
  }
  for (int i = 0; i < request.assignments_size(); ++i) {
    const v1::OptionAssignment& a = request.assignments(i);
    char err[256] = {};
    if (hakmem_api().option_set(a.name().c_str(), a.value(), err, sizeof err) != 0) {
      // Checked a moment ago, refused now (e.g. a route this build cannot run yet): undo.
      for (int j = i - 1; j >= 0; --j) {
        hakmem_api().option_set(request.assignments(j).name().c_str(), previous[j], nullptr, 0);
      }
      return {grpc::StatusCode::FAILED_PRECONDITION,
              naming(a.name(), err, "refused by the allocator") + "; nothing changed"};
    }
  }
  for (int i = 0; i < request.assignments_size(); ++i) {
    v1::OptionAssignment* p = response->add_previous();
    p->set_name(request.assignments(i).name());
    p->set_value(previous[i]);
  }
  fill_options(response->mutable_options());
  return grpc::Status::OK;
}

}  // namespace hakmem::admin
