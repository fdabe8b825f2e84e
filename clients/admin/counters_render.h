// `hakmem-admin counters` for people: a summary that answers the usual questions (how much
// page reuse, how many fresh pages, did adoption happen and what blocked it, how many MiB),
// then the table, zero rows hidden unless asked for; in watch mode, rates per second.
#pragma once

#include <ostream>

#include "hakmem/admin/v1/admin.pb.h"

namespace hakmem::admin_cli {

struct CountersView {
  bool all = false;  // show counters at zero too
};

// previous: the snapshot before (watch mode: rates over the interval between the two), or null.
void print_counters(std::ostream& out, const ::hakmem::admin::v1::CounterSnapshot& s,
                    const ::hakmem::admin::v1::CounterSnapshot* previous, CountersView view);

}  // namespace hakmem::admin_cli
