#include "resp_parser.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace hakmem::server {
namespace {

// Strict decimal integer filling the whole text.
bool parse_int(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool is_space(char ch) {
  return ch == ' ' || ch == '\t';
}

}  // namespace

RespParser::RespParser(Arena& arena, ParserLimits limits) : arena_(arena), limits_(limits) {}

RespParser::~RespParser() {
  request_destroy(request_, arena_);
  request_destroy(done_, arena_);
}

Request* RespParser::take_request() {
  Request* r = done_;
  done_ = nullptr;
  return r;
}

RespParser::Result RespParser::fail(std::string message) {
  error_ = std::move(message);
  request_destroy(request_, arena_);
  request_ = nullptr;
  return Result::kError;
}

void RespParser::begin_request() {
  request_ = request_create(arena_);
  frame_bytes_ = 0;
  args_bytes_ = 0;
}

bool RespParser::read_line(const char*& p, const char* end, size_t limit, bool require_cr) {
  const char* newline = static_cast<const char*>(std::memchr(p, '\n', end - p));
  const char* stop = newline ? newline : end;
  line_.append(p, stop);
  p = newline ? newline + 1 : end;
  if (line_.size() > limit) {
    error_ = "line too long";
    return false;
  }
  if (!newline) return false;
  if (!line_.empty() && line_.back() == '\r') {
    line_.pop_back();
  } else if (require_cr) {
    error_ = "missing CRLF";
  }
  return true;
}

bool RespParser::split_inline() {
  size_t i = 0;
  while (i < line_.size()) {
    while (i < line_.size() && is_space(line_[i])) ++i;
    size_t start = i;
    while (i < line_.size() && !is_space(line_[i])) ++i;
    if (i > start) {
      if (!request_) begin_request();
      char* buffer = request_add_arg(*request_, arena_, i - start);
      std::memcpy(buffer, line_.data() + start, i - start);
    }
  }
  return request_ != nullptr;
}

RespParser::Result RespParser::parse(const char* data, size_t size, size_t* consumed) {
  const char* p = data;
  const char* end = data + size;
  auto done = [&](Result r) {
    *consumed = static_cast<size_t>(p - data);
    return r;
  };
  // Header lines are short: a count or a length of at most 20 digits.
  constexpr size_t kMaxHeaderLine = 32;
  // Bulk strings up to this size get their whole buffer at once.
  constexpr size_t kFirstBulkBuffer = 16 * 1024;

  while (p < end) {
    switch (state_) {
      case State::kStart: {
        char type = *p;
        if (type == '\r' || type == '\n') {  // blank lines between commands are ignored
          ++p;
          break;
        }
        line_.clear();
        error_.clear();
        if (type == '*') {
          ++p;
          state_ = State::kArrayCount;
        } else if (type == '$' || type == '+' || type == '-' || type == ':' ||
                   (static_cast<unsigned char>(type) < 0x20 && type != '\t')) {
          ++p;
          return done(fail(std::string("Protocol error: unexpected type byte '") +
                           (static_cast<unsigned char>(type) < 0x20 ? '?' : type) + "'"));
        } else {
          state_ = State::kInline;
        }
        break;
      }
      case State::kArrayCount: {
        if (!read_line(p, end, kMaxHeaderLine, true)) {
          if (!error_.empty()) return done(fail("Protocol error: invalid multibulk length"));
          break;
        }
        if (!error_.empty()) return done(fail("Protocol error: missing CRLF after header"));
        int64_t count = 0;
        if (!parse_int(line_, &count) || count < 0 ||
            static_cast<uint64_t>(count) > limits_.max_args) {
          return done(fail("Protocol error: invalid multibulk length"));
        }
        if (count == 0) {  // an empty array is not a command; Redis ignores it too
          state_ = State::kStart;
          break;
        }
        begin_request();
        frame_bytes_ = line_.size() + 3;
        args_expected_ = count;
        state_ = State::kBulkType;
        break;
      }
      case State::kBulkType: {
        if (*p != '$') {
          char got = static_cast<unsigned char>(*p) < 0x20 ? '?' : *p;
          ++p;
          return done(fail(std::string("Protocol error: expected '$', got '") + got + "'"));
        }
        ++p;
        line_.clear();
        state_ = State::kBulkLength;
        break;
      }
      case State::kBulkLength: {
        if (!read_line(p, end, kMaxHeaderLine, true)) {
          if (!error_.empty()) return done(fail("Protocol error: invalid bulk length"));
          break;
        }
        if (!error_.empty()) return done(fail("Protocol error: missing CRLF after header"));
        int64_t length = 0;
        if (!parse_int(line_, &length) || length < 0) {
          return done(fail("Protocol error: invalid bulk length"));
        }
        frame_bytes_ += line_.size() + 3;
        if (static_cast<uint64_t>(length) > limits_.max_request_bytes ||
            frame_bytes_ + static_cast<uint64_t>(length) + 2 > limits_.max_request_bytes) {
          return done(fail("Protocol error: request exceeds max-request-bytes"));
        }
        frame_bytes_ += static_cast<size_t>(length) + 2;
        bulk_length_ = static_cast<size_t>(length);
        bulk_filled_ = 0;
        bulk_capacity_ = std::min(bulk_length_, kFirstBulkBuffer);
        bulk_ = request_add_arg(*request_, arena_, bulk_capacity_);
        state_ = State::kBulkData;
        break;
      }
      case State::kBulkData: {
        size_t n = std::min(bulk_length_ - bulk_filled_, static_cast<size_t>(end - p));
        if (bulk_filled_ + n > bulk_capacity_) {
          size_t grown = std::min(bulk_length_, std::max(bulk_capacity_ * 2, bulk_filled_ + n));
          bulk_ = request_grow_arg(*request_, arena_, bulk_filled_, grown);
          bulk_capacity_ = grown;
        }
        std::memcpy(bulk_ + bulk_filled_, p, n);
        bulk_filled_ += n;
        p += n;
        if (bulk_filled_ == bulk_length_) {
          args_bytes_ += bulk_length_;
          state_ = State::kBulkCr;
        }
        break;
      }
      case State::kBulkCr:
        if (*p++ != '\r') return done(fail("Protocol error: missing CRLF after bulk string"));
        state_ = State::kBulkLf;
        break;
      case State::kBulkLf:
        if (*p++ != '\n') return done(fail("Protocol error: missing CRLF after bulk string"));
        if (--args_expected_ == 0) {
          done_ = request_;
          request_ = nullptr;
          state_ = State::kStart;
          return done(Result::kRequest);
        }
        state_ = State::kBulkType;
        break;
      case State::kInline: {
        size_t limit = std::min(limits_.max_inline_bytes, limits_.max_request_bytes);
        if (!read_line(p, end, limit, false)) {
          if (!error_.empty()) return done(fail("Protocol error: too big inline request"));
          break;
        }
        state_ = State::kStart;
        if (split_inline()) {
          done_ = request_;
          request_ = nullptr;
          return done(Result::kRequest);
        }
        break;  // a line of blanks only: nothing to run
      }
    }
  }
  return done(Result::kNeedMore);
}

}  // namespace hakmem::server
