// Builds one RESP2 reply directly in an arena block, growing it as needed.
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
  void null_bulk();                    // $-1
  void array(size_t count);            // *count, elements follow
  void null_array();                   // *-1
  void ok() { simple("OK"); }

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
};

}  // namespace hakmem::server
