// libFuzzer: the admin SetOptions validation on arbitrary protobuf bytes. A refused request
// must change no option; an accepted one must leave every named option at its value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "allocator_view.h"

namespace {

std::vector<int64_t> all_options() {
  std::vector<int64_t> values;
  for (size_t i = 0; i < hak_option_count(); ++i) {
    int64_t v = 0;
    if (hak_option_get(hak_option_name(i), &v) != 0) std::abort();
    values.push_back(v);
  }
  return values;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<int64_t> defaults = [] {
    google::protobuf::SetLogHandler(nullptr);  // invalid UTF-8 names are logged otherwise
    return all_options();
  }();
  hakmem::admin::v1::SetOptionsRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  const std::vector<int64_t> before = all_options();
  hakmem::admin::v1::SetOptionsResponse response;
  grpc::Status status = hakmem::admin::set_options(request, &response);
  if (!status.ok()) {
    if (all_options() != before) std::abort();  // "nothing changed"
    if (status.error_message().empty()) std::abort();
  } else {
    for (const auto& a : request.assignments()) {
      int64_t v = 0;
      if (hak_option_get(a.name().c_str(), &v) != 0) std::abort();
      // A later assignment of the same name is refused, so each name was set once.
      if (v != a.value()) std::abort();
    }
  }
  // Back to the defaults, so each input starts from the same state.
  for (size_t i = 0; i < hak_option_count(); ++i) {
    hak_option_set(hak_option_name(i), defaults[i], nullptr, 0);
  }
  return 0;
}
