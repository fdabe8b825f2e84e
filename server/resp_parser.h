// Incremental RESP2 request parser: arrays of bulk strings and the inline form. Bytes can arrive
// split at any position; argument bytes are copied once, straight into arena buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "request.h"

namespace hakmem::server {

struct ParserLimits {
  size_t max_request_bytes = 64u << 20;  // one bulk string and one whole frame
  size_t max_inline_bytes = 64u << 10;   // an inline command line (Redis uses the same)
  size_t max_args = 1u << 20;            // elements of one array
};

class RespParser {
 public:
  enum class Result { kNeedMore, kRequest, kError };

  RespParser(Arena& arena, ParserLimits limits);
  ~RespParser();
  RespParser(const RespParser&) = delete;
  RespParser& operator=(const RespParser&) = delete;

  // Consumes bytes until one request is complete, an error is found or the input runs out.
  // *consumed says how many bytes were used. After kError the parser must not be used again.
  Result parse(const char* data, size_t size, size_t* consumed);
  // The request completed by the last kRequest; the caller owns it.
  Request* take_request();
  // Bytes of the request still being received (its complete arguments and the one arriving):
  // CLIENT LIST's argv-mem.
  size_t partial_bytes() const {
    return request_ == nullptr ? 0 : args_bytes_ + (state_ == State::kBulkData ? bulk_filled_ : 0);
  }
  // Redis-style error text (without the leading '-'), valid after kError.
  const std::string& error() const { return error_; }

 private:
  enum class State {
    kStart,
    kArrayCount,
    kBulkType,
    kBulkLength,
    kBulkData,
    kBulkCr,
    kBulkLf,
    kInline
  };

  // Accumulates a line up to '\n'. Returns true when the line is complete.
  bool read_line(const char*& p, const char* end, size_t limit, bool require_cr);
  Result fail(std::string message);
  void begin_request();
  bool split_inline();

  Arena& arena_;
  ParserLimits limits_;
  State state_ = State::kStart;
  std::string line_;
  Request* request_ = nullptr;
  Request* done_ = nullptr;
  int64_t args_expected_ = 0;
  // The bulk string being filled. Its buffer grows (geometrically) as its bytes arrive, not from
  // the declared length, so declaring a large bulk costs nothing until it is sent.
  char* bulk_ = nullptr;
  size_t bulk_length_ = 0;    // declared
  size_t bulk_filled_ = 0;    // copied so far
  size_t bulk_capacity_ = 0;  // of bulk_
  size_t frame_bytes_ = 0;    // bytes consumed by the current frame
  size_t args_bytes_ = 0;     // of the current frame's complete bulk strings
  std::string error_;
};

}  // namespace hakmem::server
