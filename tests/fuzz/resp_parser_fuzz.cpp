// libFuzzer: the RESP parser on arbitrary bytes. The same input fed whole, split in two at
// every byte boundary, and one byte at a time must give the same requests and the same error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "arena.h"
#include "resp_parser.h"

namespace {

using hakmem::server::Arena;
using hakmem::server::ParserLimits;
using hakmem::server::RespParser;

struct Outcome {
  std::vector<std::vector<std::string>> requests;
  std::string error;  // empty: no error
  bool operator==(const Outcome&) const = default;
};

Arena& arena() {
  static std::shared_ptr<Arena> a = hakmem::server::make_arena("system", {});
  return *a;
}

// Small limits, so the fuzzer reaches them with short inputs.
ParserLimits limits() {
  ParserLimits l;
  l.max_request_bytes = 256;
  l.max_inline_bytes = 64;
  l.max_args = 16;
  return l;
}

// Feeds the input in chunks ending at the given offsets (the last one is the size).
Outcome parse(const uint8_t* data, size_t size, const std::vector<size_t>& ends) {
  Outcome out;
  RespParser parser(arena(), limits());
  size_t begin = 0;
  if (!ends.empty() && ends.back() != size) std::abort();  // the chunks cover the input
  for (size_t end : ends) {
    const char* p = reinterpret_cast<const char*>(data) + begin;
    size_t left = end - begin;
    while (left > 0) {
      size_t consumed = 0;
      RespParser::Result r = parser.parse(p, left, &consumed);
      if (consumed > left) std::abort();
      p += consumed;
      left -= consumed;
      if (r == RespParser::Result::kRequest) {
        hakmem::server::Request* request = parser.take_request();
        std::vector<std::string> args;
        for (size_t i = 0; i < request->argc; ++i) args.emplace_back(request->arg(i));
        if (args.empty()) std::abort();  // a request always has its command
        out.requests.push_back(std::move(args));
        hakmem::server::request_destroy(request, arena());
      } else if (r == RespParser::Result::kError) {
        out.error = parser.error();
        if (out.error.empty()) std::abort();
        return out;  // the parser must not be used after an error
      } else if (consumed == 0 && left > 0) {
        std::abort();  // kNeedMore must take every byte it was given
      }
    }
    begin = end;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1024) return 0;  // every split is O(size): keep each run short
  const Outcome whole = parse(data, size, {size});
  for (size_t split = 0; split <= size; ++split) {
    if (!(parse(data, size, {split, size}) == whole)) std::abort();
  }
  std::vector<size_t> bytes;
  for (size_t i = 1; i <= size; ++i) bytes.push_back(i);
  if (!(parse(data, size, bytes) == whole)) std::abort();
  return 0;
}
