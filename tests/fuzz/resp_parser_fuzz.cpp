// libFuzzer: the RESP parser on arbitrary bytes. The same input fed whole, one byte at a time,
// split in two at many byte boundaries, and in chunks ending at all those boundaries at once must
// give the same requests and the same error. Inputs up to kAllSplits bytes are split in two at
// every boundary. Longer ones only at the first and last bytes, around line ends (before the
// '\r', between '\r' and '\n', after the '\n': where a header or inline line ends and the
// next type byte starts), and at a few points drawn from a hash of the input (the same points on
// every run of it). Why not every boundary: that costs O(size²) per input, 1,026 parses of a
// 1 KiB input, and most of those boundaries fall inside bulk data or a line, where the
// byte-at-a-time feed already stops the parser at every byte in every state.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "arena.h"
#include "resp_parser.h"

namespace {

using hakmem::server::Arena;
using hakmem::server::ParserLimits;
using hakmem::server::RespParser;

constexpr size_t kAllSplits = 64;   // inputs this short are split at every boundary
constexpr size_t kMaxLineEnds = 8;  // line ends split around, spread over a longer input
constexpr size_t kRandomSplits = 8;

struct Outcome {
  std::string requests;  // each request: its argc, then each argument's length and bytes
  std::string error;     // empty: no error
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

void append_size(std::string& out, size_t n) {
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
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
        if (request->argc == 0) std::abort();  // a request always has its command
        append_size(out.requests, request->argc);
        for (size_t i = 0; i < request->argc; ++i) {
          std::string_view arg = request->arg(i);
          append_size(out.requests, arg.size());
          out.requests.append(arg);
        }
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

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

// Sorted, distinct offsets in [0, size] to split the input at.
std::vector<size_t> split_points(const uint8_t* data, size_t size) {
  std::vector<size_t> points;
  auto add = [&](size_t at) {
    if (at <= size) points.push_back(at);
  };
  if (size <= kAllSplits) {
    for (size_t at = 0; at <= size; ++at) add(at);
    return points;
  }
  for (size_t k = 0; k <= 2; ++k) {
    add(k);
    add(size - k);
  }
  uint64_t hash = 0xcbf29ce484222325;  // FNV-1a: the same input gets the same points
  size_t line_ends = 0;
  for (size_t i = 0; i < size; ++i) {
    hash = (hash ^ data[i]) * 0x100000001b3;
    line_ends += data[i] == '\n';
  }
  // Before the '\r', between it and the '\n', and after the '\n' (before the next type byte).
  const size_t stride = (line_ends + kMaxLineEnds - 1) / kMaxLineEnds;
  size_t skip = stride > 1 ? hash % stride : 0;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] != '\n') continue;
    if (skip-- > 0) continue;
    skip = stride - 1;
    add(i - (i > 0));
    add(i);
    add(i + 1);
  }
  uint64_t state = hash;
  for (size_t k = 0; k < kRandomSplits; ++k) add(splitmix(state) % (size + 1));
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  return points;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1024) return 0;  // every feed is O(size): keep each run short
  const Outcome whole = parse(data, size, {size});
  const std::vector<size_t> points = split_points(data, size);
  for (size_t split : points) {
    if (!(parse(data, size, {split, size}) == whole)) std::abort();
  }
  std::vector<size_t> ends = points;  // all the split points in one feed
  if (ends.empty() || ends.back() != size) std::abort();
  if (!(parse(data, size, ends) == whole)) std::abort();
  std::vector<size_t> bytes;
  for (size_t i = 1; i <= size; ++i) bytes.push_back(i);
  if (!(parse(data, size, bytes) == whole)) std::abort();
  return 0;
}
