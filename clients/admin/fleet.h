// hakmem-admin over several servers (--addr A,B or --addr A --addr B): the addresses, one call
// on every server at once, and the counters summed or side by side.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "admin_client.h"

namespace hakmem::admin_cli {

// The --addr values split at commas, in order; false (with *error) on an empty or repeated one.
bool parse_addresses(const std::vector<std::string>& flags, std::vector<std::string>* out,
                     std::string* error);

// Connects to every address and runs call(i, client, error) on each, all at once. Returns what
// failed (connect or call), by index; empty when every server succeeded.
struct Failure {
  size_t index;
  CallError error;
};
std::vector<Failure> fan_out(const std::vector<std::string>& addresses, const std::string& token,
                             const std::function<bool(size_t, AdminClient&, CallError*)>& call);

// The fleet's counters: each counter summed over the servers (gauges such as bytes_in_use too:
// the fleet's total), the page reuse rate recomputed from the summed counters as the allocator
// computes it, the route when every server has the same one (else unspecified), the latest time.
v1::CounterSnapshot sum_counters(const std::vector<v1::CounterSnapshot>& snapshots);

// One column per server and the total.
void print_counters_by_server(std::ostream& out, const std::vector<std::string>& addresses,
                              const std::vector<v1::CounterSnapshot>& snapshots);
nlohmann::json counters_by_server_json(const std::vector<std::string>& addresses,
                                       const std::vector<v1::CounterSnapshot>& snapshots);

}  // namespace hakmem::admin_cli
