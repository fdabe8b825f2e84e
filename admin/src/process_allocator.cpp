#include "process_allocator.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace hakmem::admin {
namespace {

HakmemApi linked_api() {
  return {false,
          "linked",
          &hak_get_route,
          &hak_set_route,
          &hak_counters_get,
          &hak_counters_reset,
          &hak_page_reuse_rate,
          &hak_counter_name,
          &hak_counter_description,
          &hak_counter_value,
          &hak_option_count,
          &hak_option_name,
          &hak_option_help,
          &hak_option_get,
          &hak_option_set,
          &hak_option_check,
          &hak_version,
          &hak_class_count,
          &hak_route_a_class};
}

template <typename Fn>
bool bind(void* handle, const char* name, Fn* out) {
  *out = reinterpret_cast<Fn>(dlsym(handle, name));
  return *out != nullptr;
}

// The library malloc() resolves to, when it is not the host itself and exports hakmem's API.
bool preloaded_api(HakmemApi* api) {
  Dl_info info{};
  void* (*fn)(size_t) = &malloc;
  if (dladdr(reinterpret_cast<void*>(fn), &info) == 0 || info.dli_fname == nullptr) return false;
  void* handle = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  HakmemApi a{};
  a.preloaded = true;
  a.where = info.dli_fname;
  const bool all =
      bind(handle, "hak_get_route", &a.get_route) && bind(handle, "hak_set_route", &a.set_route) &&
      bind(handle, "hak_counters_get", &a.counters_get) &&
      bind(handle, "hak_counters_reset", &a.counters_reset) &&
      bind(handle, "hak_page_reuse_rate", &a.page_reuse_rate) &&
      bind(handle, "hak_counter_name", &a.counter_name) &&
      bind(handle, "hak_counter_description", &a.counter_description) &&
      bind(handle, "hak_counter_value", &a.counter_value) &&
      bind(handle, "hak_option_count", &a.option_count) &&
      bind(handle, "hak_option_name", &a.option_name) &&
      bind(handle, "hak_option_help", &a.option_help) &&
      bind(handle, "hak_option_get", &a.option_get) &&
      bind(handle, "hak_option_set", &a.option_set) &&
      bind(handle, "hak_option_check", &a.option_check) &&
      bind(handle, "hak_version", &a.version) && bind(handle, "hak_class_count", &a.class_count) &&
      bind(handle, "hak_route_a_class", &a.route_a_class);
  // The handle stays open: the library is the process's malloc, it is never unloaded.
  if (!all || a.get_route == &hak_get_route) return false;  // not hakmem, or this very copy
  if (std::strcmp(a.version(), hak_version()) != 0) {
    std::fprintf(stderr,
                 "hakmem admin: %s is hakmem %s, this build %s; the admin service stays on "
                 "the linked-in allocator\n",
                 a.where, a.version(), hak_version());
    return false;
  }
  *api = a;
  return true;
}

}  // namespace

const HakmemApi& hakmem_api() {
  static const HakmemApi api = [] {
    HakmemApi a{};
    return preloaded_api(&a) ? a : linked_api();
  }();
  return api;
}

}  // namespace hakmem::admin
