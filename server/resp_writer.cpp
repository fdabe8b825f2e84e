#include "resp_writer.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <string>

namespace hakmem::server {

RespWriter::RespWriter(Arena& arena, size_t initial_capacity) : arena_(arena) {
  reply_ = static_cast<Reply*>(arena_.allocate(sizeof(Reply) + initial_capacity));
  reply_->size = 0;
  reply_->capacity = static_cast<uint32_t>(initial_capacity);
  reply_->owner_tag = this_thread_tag();
}

RespWriter::~RespWriter() {
  reply_destroy(reply_, arena_);
}

Reply* RespWriter::finish() {
  Reply* done = reply_;
  reply_ = nullptr;
  return done;
}

size_t RespWriter::size() const {
  return reply_ ? reply_->size : 0;
}

void RespWriter::clear() {
  if (reply_) reply_->size = 0;
}

size_t resp_header_size(size_t value) {
  size_t digits = 1;
  for (size_t n = value; n >= 10; n /= 10) ++digits;
  return 1 + digits + 2;
}

size_t bulk_reply_size(size_t size) {
  return resp_header_size(size) + size + 2;
}

bool RespWriter::reserve_reply(size_t bytes) {
  if (bytes > max_reply_bytes_ || bytes > std::numeric_limits<uint32_t>::max()) {
    clear();
    std::string message = "ERR reply of " + std::to_string(bytes) +
                          " bytes would exceed max-reply-bytes (" +
                          std::to_string(max_reply_bytes_) + ")";
    error(message);
    return false;
  }
  if (budget_ != nullptr && bytes > reserved_) {
    if (!budget_->try_reserve(bytes - reserved_)) {
      deferred_ = true;
      wanted_ = bytes;
      return false;
    }
    reserved_ = bytes;
  }
  reserve(bytes > size() ? bytes - size() : 0);
  return true;
}

void RespWriter::reserve(size_t extra) {
  size_t needed = static_cast<size_t>(reply_->size) + extra;
  if (needed <= reply_->capacity) return;
  if (needed > max_reply_bytes_) throw ReplyTooLarge(max_reply_bytes_);
  if (needed > std::numeric_limits<uint32_t>::max()) throw std::bad_alloc();
  size_t capacity = reply_->capacity * 2;
  if (capacity < needed) capacity = needed;
  if (capacity > std::numeric_limits<uint32_t>::max()) capacity = needed;
  auto* grown = static_cast<Reply*>(arena_.allocate(sizeof(Reply) + capacity));
  grown->size = reply_->size;
  grown->capacity = static_cast<uint32_t>(capacity);
  grown->owner_tag = this_thread_tag();
  std::memcpy(grown->data(), reply_->data(), reply_->size);
  reply_destroy(reply_, arena_);
  reply_ = grown;
}

void RespWriter::append(std::string_view bytes) {
  reserve(bytes.size());
  std::memcpy(reply_->data() + reply_->size, bytes.data(), bytes.size());
  reply_->size += static_cast<uint32_t>(bytes.size());
}

void RespWriter::append_header(char type, int64_t value) {
  char buffer[32];
  buffer[0] = type;
  auto [end, ec] = std::to_chars(buffer + 1, buffer + sizeof(buffer) - 2, value);
  (void)ec;
  *end++ = '\r';
  *end++ = '\n';
  append(std::string_view(buffer, static_cast<size_t>(end - buffer)));
}

void RespWriter::simple(std::string_view text) {
  reserve(text.size() + 3);
  append("+");
  for (char ch : text) append(std::string_view(ch == '\r' || ch == '\n' ? " " : &ch, 1));
  append("\r\n");
}

void RespWriter::error(std::string_view text) {
  reserve(text.size() + 3);
  append("-");
  for (char ch : text) append(std::string_view(ch == '\r' || ch == '\n' ? " " : &ch, 1));
  append("\r\n");
}

void RespWriter::integer(int64_t value) {
  append_header(':', value);
}

void RespWriter::bulk(std::string_view bytes) {
  reserve(bulk_reply_size(bytes.size()));  // exactly: a reserved reply is never reallocated
  append_header('$', static_cast<int64_t>(bytes.size()));
  append(bytes);
  append("\r\n");
}

void RespWriter::null_bulk() {
  append(resp3_ ? "_\r\n" : "$-1\r\n");
}
void RespWriter::array(size_t count) {
  append_header('*', static_cast<int64_t>(count));
}
void RespWriter::null_array() {
  append(resp3_ ? "_\r\n" : "*-1\r\n");
}

void RespWriter::map_header(size_t pairs) {
  resp3_ ? append_header('%', static_cast<int64_t>(pairs))
         : append_header('*', static_cast<int64_t>(pairs * 2));
}

void RespWriter::set_header(size_t count) {
  append_header(resp3_ ? '~' : '*', static_cast<int64_t>(count));
}

void RespWriter::null() {
  append(resp3_ ? "_\r\n" : "$-1\r\n");
}

void RespWriter::double_reply(double d) {
  // Redis 7.0's text: %.17g, and inf/-inf (nan never reaches a reply).
  char buffer[40];
  std::string_view text;
  if (std::isinf(d)) {
    text = d > 0 ? "inf" : "-inf";
  } else {
    auto end = fmt::format_to_n(buffer, sizeof(buffer), "{:.17g}", d).out;
    text = std::string_view(buffer, static_cast<size_t>(end - buffer));
  }
  if (!resp3_) return bulk(text);
  reserve(text.size() + 3);
  append(",");
  append(text);
  append("\r\n");
}

void RespWriter::boolean(bool b) {
  if (resp3_) return append(b ? "#t\r\n" : "#f\r\n");
  integer(b ? 1 : 0);
}

void RespWriter::verbatim(std::string_view text) {
  if (!resp3_) return bulk(text);
  reserve(text.size() + 20);
  append_header('=', static_cast<int64_t>(text.size() + 4));
  append("txt:");
  append(text);
  append("\r\n");
}

}  // namespace hakmem::server
