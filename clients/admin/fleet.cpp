#include "fleet.h"

#include <algorithm>
#include <map>
#include <thread>

#include "hakmem/hakmem.h"  // HAK_PAGE_REUSES only
#include "render.h"

namespace hakmem::admin_cli {

bool parse_addresses(const std::vector<std::string>& flags, std::vector<std::string>* out,
                     std::string* error) {
  std::vector<std::string> addresses;
  for (const std::string& flag : flags) {
    size_t from = 0;
    while (from <= flag.size()) {
      const size_t comma = std::min(flag.find(',', from), flag.size());
      const std::string a = flag.substr(from, comma - from);
      from = comma + 1;
      if (a.empty()) {
        *error = "--addr: empty address in '" + flag + "'";
        return false;
      }
      if (std::find(addresses.begin(), addresses.end(), a) != addresses.end()) {
        *error = "--addr: " + a + " is given twice";
        return false;
      }
      addresses.push_back(a);
    }
  }
  *out = std::move(addresses);
  return true;
}

std::vector<Failure> fan_out(const std::vector<std::string>& addresses, const std::string& token,
                             const std::function<bool(size_t, AdminClient&, CallError*)>& call) {
  std::vector<CallError> errors(addresses.size());
  std::vector<char> ok(addresses.size(), 0);
  auto one = [&](size_t i) {
    AdminClient client(addresses[i], token);
    ok[i] = client.connect(&errors[i]) && call(i, client, &errors[i]);
  };
  if (addresses.size() == 1) {
    one(0);
  } else {
    // A server that does not answer costs its connect timeout once, not once per server.
    std::vector<std::thread> threads;
    for (size_t i = 0; i < addresses.size(); ++i) threads.emplace_back(one, i);
    for (auto& t : threads) t.join();
  }
  std::vector<Failure> failures;
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (!ok[i]) failures.push_back({i, errors[i]});
  }
  return failures;
}

v1::CounterSnapshot sum_counters(const std::vector<v1::CounterSnapshot>& snapshots) {
  v1::CounterSnapshot total;
  if (snapshots.empty()) return total;
  std::map<std::string, int> index;  // name -> position in total, first server's order first
  for (const auto& s : snapshots) {
    for (const v1::Counter& c : s.counters()) {
      auto [it, added] = index.emplace(c.name(), total.counters_size());
      if (added) {
        v1::Counter* t = total.add_counters();
        t->set_name(c.name());
        t->set_description(c.description());
      }
      v1::Counter* t = total.mutable_counters(it->second);
      t->set_value(t->value() + c.value());
    }
  }
  total.set_route(snapshots[0].route());
  int64_t latest = 0;
  for (const auto& s : snapshots) {
    if (s.route() != total.route()) total.set_route(v1::ROUTE_UNSPECIFIED);
    latest = std::max<int64_t>(latest, s.taken_at_unix_ms());
  }
  total.set_taken_at_unix_ms(latest);
  // hak_page_reuse_rate's formula, on the fleet's sums.
  auto value = [&](const char* name) {
    auto it = index.find(name);
    return it == index.end() ? 0.0 : static_cast<double>(total.counters(it->second).value());
  };
#define HAK_ADD_REUSE(name) +value(#name)
  const double reuses = 0 HAK_PAGE_REUSES(HAK_ADD_REUSE);
#undef HAK_ADD_REUSE
  const double all = reuses + value("new_pages");
  total.set_page_reuse_rate(all > 0 ? reuses / all : 1.0);
  return total;
}

void print_counters_by_server(std::ostream& out, const std::vector<std::string>& addresses,
                              const std::vector<v1::CounterSnapshot>& snapshots) {
  const v1::CounterSnapshot total = sum_counters(snapshots);
  std::vector<std::string> header{"COUNTER"};
  for (const auto& a : addresses) header.push_back(a);
  header.push_back("TOTAL");
  std::vector<std::string> routes{"route"}, rates{"page_reuse_rate"};
  for (const auto& s : snapshots) {
    routes.push_back(route_name(s.route()));
    rates.push_back(std::to_string(s.page_reuse_rate()));
  }
  routes.push_back(route_name(total.route()));
  rates.push_back(std::to_string(total.page_reuse_rate()));
  std::vector<std::vector<std::string>> rows{routes, rates};
  for (const v1::Counter& t : total.counters()) {
    std::vector<std::string> row{t.name()};
    for (const auto& s : snapshots) {
      uint64_t v = 0;
      for (const v1::Counter& c : s.counters()) {
        if (c.name() == t.name()) v = c.value();
      }
      row.push_back(std::to_string(v));
    }
    row.push_back(std::to_string(t.value()));
    rows.push_back(std::move(row));
  }
  print_table(out, header, rows);
}

nlohmann::json counters_by_server_json(const std::vector<std::string>& addresses,
                                       const std::vector<v1::CounterSnapshot>& snapshots) {
  nlohmann::json servers = nlohmann::json::object();
  for (size_t i = 0; i < addresses.size(); ++i) servers[addresses[i]] = counters_json(snapshots[i]);
  return {{"total", counters_json(sum_counters(snapshots))}, {"servers", servers}};
}

}  // namespace hakmem::admin_cli
