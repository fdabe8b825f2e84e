// Builds one RESP reply directly in an arena block, growing it as needed. The writer knows the
// connection's protocol (HELLO 2/3): handlers call map_header, set_header, null, double_reply
// and get RESP3 types on a RESP3 connection and their RESP2 spelling otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "request.h"

namespace hakmem::server {

// Where a reply's bytes are accounted before it is built (the connection: reply memory is bounded
// per connection and per server). try_reserve is called from a worker.
class ReplyBudget {
 public:
  virtual ~ReplyBudget() = default;
  // False: no room now; the request is run again once replies have drained.
  virtual bool try_reserve(size_t bytes) = 0;
};

// Thrown when a reply grows past max_reply_bytes without having said its size first (commands
// whose reply size is not computed up front): the worker answers -ERR instead.
class ReplyTooLarge : public std::runtime_error {
 public:
  explicit ReplyTooLarge(size_t limit)
      : std::runtime_error("ERR reply would exceed max-reply-bytes (" + std::to_string(limit) +
                           ")") {}
};

class RespWriter {
 public:
  explicit RespWriter(Arena& arena, size_t initial_capacity = 64);
  ~RespWriter();
  RespWriter(const RespWriter&) = delete;
  RespWriter& operator=(const RespWriter&) = delete;

  void simple(std::string_view text);  // +text
  void error(std::string_view text);   // -text (text includes the ERR/NOAUTH prefix)
  void integer(int64_t value);         // :value
  void bulk(std::string_view bytes);   // $len bytes
  void null_bulk();                    // $-1 (RESP3: _)
  void array(size_t count);            // *count, elements follow
  void null_array();                   // *-1 (RESP3: _)
  void ok() { simple("OK"); }

  // RESP3 types, spelled as RESP2 on a RESP2 connection.
  void map_header(size_t pairs);  // %pairs, then key, value, ... (RESP2: *2*pairs)
  void set_header(size_t count);  // ~count (RESP2: *count)
  void null();                    // _ (RESP2: $-1)
  void double_reply(double d);    // ,d (RESP2: the same text as a bulk string); %.17g, inf
  void boolean(bool b);           // #t / #f (RESP2: :1 / :0)
  // Text for a human (INFO, MEMORY DOCTOR): =len txt:... (RESP2: a bulk string).
  void verbatim(std::string_view text);

  // 2 or 3; RESP2 unless set.
  void set_protocol(int version) { resp3_ = version == 3; }
  bool resp3() const { return resp3_; }
  // Commands whose reply can be large say its (whole) size before writing it. False when the
  // command must stop writing: the reply would pass max_reply_bytes (an error is written instead)
  // or the budget has no room (deferred()). Without a budget only the size limit applies.
  bool reserve_reply(size_t bytes);
  void set_budget(ReplyBudget* budget, size_t max_reply_bytes) {
    budget_ = budget;
    max_reply_bytes_ = max_reply_bytes;
  }
  size_t max_reply_bytes() const { return max_reply_bytes_; }
  bool deferred() const { return deferred_; }
  size_t reserved() const { return reserved_; }  // bytes reserve_reply took from the budget
  size_t wanted() const { return wanted_; }      // the size asked for when it was deferred

  // Hands the finished reply over; the writer is empty afterwards.
  Reply* finish();
  size_t size() const;
  // Drops what was written so far (e.g. to replace a partial reply with an error).
  void clear();

 private:
  void append(std::string_view bytes);
  void append_header(char type, int64_t value);
  void reserve(size_t extra);

  Arena& arena_;
  Reply* reply_ = nullptr;
  bool resp3_ = false;
  ReplyBudget* budget_ = nullptr;
  size_t max_reply_bytes_ = SIZE_MAX;
  size_t reserved_ = 0;
  size_t wanted_ = 0;
  bool deferred_ = false;
};

// Bytes of "$<size>\r\n" (or '*', ':'), and of the whole bulk string reply holding `size` bytes.
size_t resp_header_size(size_t value);
size_t bulk_reply_size(size_t size);
// Upper bounds for commands that size a reply before building it: an aggregate header of
// `count` elements in either protocol (a RESP2 map doubles the count), and a double (%.17g is at
// most 24 characters; RESP2 writes it as a bulk string, RESP3 shorter).
inline size_t aggregate_header_size(size_t count) {
  return resp_header_size(2 * count);
}
inline size_t double_reply_size() {
  return bulk_reply_size(24);
}

}  // namespace hakmem::server
