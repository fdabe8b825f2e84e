// RESP2 encoding and incremental parsing, without I/O (shared by the client and the tests'
// fake servers).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace hakmem::load::resp {

// Appends a command as an array of bulk strings.
void append_command(std::string& out, std::initializer_list<std::string_view> args);
void append_command(std::string& out, const std::vector<std::string_view>& args);

enum class ReplyKind { kSimple, kError, kInteger, kBulk, kNull, kArray };

struct Reply {
  ReplyKind kind = ReplyKind::kNull;
  std::string_view text;  // simple string, error message or bulk payload (views the buffer)
  int64_t integer = 0;    // integer value, or element count for arrays
};

// Result of parsing the front of a buffer: how many bytes one whole reply took, 0 if the
// buffer does not hold a whole reply yet, or kProtocolError.
inline constexpr long kProtocolError = -1;

// Parses one reply (arrays are consumed whole, their elements skipped).
long parse_reply(std::string_view buf, Reply* out);

// Parses one request: an array of bulk strings, or the inline form ("PING\r\n").
long parse_command(std::string_view buf, std::vector<std::string_view>* args);

// The first word of an error message ("ERR", "WRONGTYPE", ...): the kind errors are counted by.
std::string_view error_kind(std::string_view message);

}  // namespace hakmem::load::resp
