// The hakmem instance the admin service reads and tunes: the one that serves the process's
// malloc when libhakmem.so is LD_PRELOADed, otherwise the copy linked into the host.
#pragma once

#include "hakmem/hakmem.h"

namespace hakmem::admin {

// The hak_* entry points the service calls, each bound to one instance. A host such as
// hakmem-server links hakmem statically (its arena), so its own hak_* calls bind to that copy
// at link time; under LD_PRELOAD=libhakmem.so the process's malloc is a second instance that
// only the preloaded library's own symbols reach. Resolving them with dlsym on the library
// that serves malloc() (dladdr) keeps one code path for both cases and needs no link-time
// dependency on the shared library.
struct HakmemApi {
  bool preloaded;     // the instance is the LD_PRELOAD library serving malloc
  const char* where;  // its file, or "linked" (for logs and tests)
  decltype(&hak_get_route) get_route;
  decltype(&hak_set_route) set_route;
  decltype(&hak_counters_get) counters_get;
  decltype(&hak_counters_reset) counters_reset;
  decltype(&hak_page_reuse_rate) page_reuse_rate;
  decltype(&hak_counter_name) counter_name;
  decltype(&hak_counter_description) counter_description;
  decltype(&hak_counter_value) counter_value;
  decltype(&hak_option_count) option_count;
  decltype(&hak_option_name) option_name;
  decltype(&hak_option_help) option_help;
  decltype(&hak_option_get) option_get;
  decltype(&hak_option_set) option_set;
  decltype(&hak_option_check) option_check;
  decltype(&hak_version) version;
  decltype(&hak_class_count) class_count;
  decltype(&hak_route_a_class) route_a_class;
};

// Resolved once, on first use. The preloaded instance is used only when it exports every entry
// point above and is the same hakmem version (hak_counters' layout is the caller's).
const HakmemApi& hakmem_api();

}  // namespace hakmem::admin
