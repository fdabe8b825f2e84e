// Builds one RESP reply directly in an arena block, growing it as needed. The writer knows the
// connection's protocol (HELLO 2/3): handlers call map_header, set_header, null, double_reply
// and get RESP3 types on a RESP3 connection and their RESP2 spelling otherwise.
#pragma once

#include <cstdint>
#include <string_view>

#include "request.h"

namespace hakmem::server {

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
};

}  // namespace hakmem::server
