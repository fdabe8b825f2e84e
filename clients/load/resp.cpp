#include "resp.hpp"

#include <charconv>

namespace hakmem::load::resp {

namespace {

constexpr int kMaxDepth = 8;                       // nested arrays we accept
constexpr int64_t kMaxBulk = 512ll * 1024 * 1024;  // Redis' proto-max-bulk-len
constexpr int64_t kMaxElements = 1024ll * 1024;

void append_bulk(std::string& out, std::string_view arg) {
  out += '$';
  out += std::to_string(arg.size());
  out += "\r\n";
  out.append(arg);
  out += "\r\n";
}

// Reads a line starting at pos; sets *line (without CRLF) and returns the position after it,
// or 0 if the line is incomplete.
size_t read_line(std::string_view buf, size_t pos, std::string_view* line) {
  const size_t cr = buf.find("\r\n", pos);
  if (cr == std::string_view::npos) return 0;
  *line = buf.substr(pos, cr - pos);
  return cr + 2;
}

bool to_int(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// Returns the position after the reply at pos, 0 if incomplete, -1 on protocol error.
long parse_at(std::string_view buf, size_t pos, Reply* out, int depth) {
  if (pos >= buf.size()) return 0;
  if (depth > kMaxDepth) return kProtocolError;
  const char type = buf[pos];
  std::string_view line;
  const size_t after = read_line(buf, pos + 1, &line);
  if (after == 0) return 0;
  switch (type) {
    case '+':
      *out = {ReplyKind::kSimple, line, 0};
      return static_cast<long>(after);
    case '-':
      *out = {ReplyKind::kError, line, 0};
      return static_cast<long>(after);
    case ':': {
      int64_t v;
      if (!to_int(line, &v)) return kProtocolError;
      *out = {ReplyKind::kInteger, {}, v};
      return static_cast<long>(after);
    }
    case '$': {
      int64_t len;
      if (!to_int(line, &len) || len < -1 || len > kMaxBulk) return kProtocolError;
      if (len == -1) {
        *out = {ReplyKind::kNull, {}, 0};
        return static_cast<long>(after);
      }
      const size_t end = after + static_cast<size_t>(len);
      if (buf.size() < end + 2) return 0;
      if (buf[end] != '\r' || buf[end + 1] != '\n') return kProtocolError;
      *out = {ReplyKind::kBulk, buf.substr(after, static_cast<size_t>(len)), len};
      return static_cast<long>(end + 2);
    }
    case '*': {
      int64_t n;
      if (!to_int(line, &n) || n < -1 || n > kMaxElements) return kProtocolError;
      if (n == -1) {
        *out = {ReplyKind::kNull, {}, 0};
        return static_cast<long>(after);
      }
      size_t p = after;
      for (int64_t i = 0; i < n; ++i) {
        Reply element;
        const long next = parse_at(buf, p, &element, depth + 1);
        if (next <= 0) return next;
        p = static_cast<size_t>(next);
      }
      *out = {ReplyKind::kArray, {}, n};
      return static_cast<long>(p);
    }
    default:
      return kProtocolError;
  }
}

}  // namespace

void append_command(std::string& out, std::initializer_list<std::string_view> args) {
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (auto a : args) append_bulk(out, a);
}

void append_command(std::string& out, const std::vector<std::string_view>& args) {
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (auto a : args) append_bulk(out, a);
}

long parse_reply(std::string_view buf, Reply* out) {
  return parse_at(buf, 0, out, 0);
}

long parse_command(std::string_view buf, std::vector<std::string_view>* args) {
  args->clear();
  if (buf.empty()) return 0;
  std::string_view line;
  size_t pos = read_line(buf, buf[0] == '*' ? 1 : 0, &line);
  if (pos == 0) return 0;
  if (buf[0] != '*') {  // inline command: words separated by spaces
    size_t start = 0;
    while (start < line.size()) {
      const size_t space = line.find(' ', start);
      const size_t end = space == std::string_view::npos ? line.size() : space;
      if (end > start) args->push_back(line.substr(start, end - start));
      start = end + 1;
    }
    return static_cast<long>(pos);
  }
  int64_t n;
  if (!to_int(line, &n) || n < 1 || n > kMaxElements) return kProtocolError;
  for (int64_t i = 0; i < n; ++i) {
    if (pos >= buf.size()) return 0;
    if (buf[pos] != '$') return kProtocolError;
    const size_t after = read_line(buf, pos + 1, &line);
    if (after == 0) return 0;
    int64_t len;
    if (!to_int(line, &len) || len < 0 || len > kMaxBulk) return kProtocolError;
    const size_t end = after + static_cast<size_t>(len);
    if (buf.size() < end + 2) return 0;
    if (buf[end] != '\r' || buf[end + 1] != '\n') return kProtocolError;
    args->push_back(buf.substr(after, static_cast<size_t>(len)));
    pos = end + 2;
  }
  return static_cast<long>(pos);
}

std::string_view error_kind(std::string_view message) {
  const size_t space = message.find(' ');
  std::string_view kind = message.substr(0, space);
  return kind.empty() ? std::string_view("ERR") : kind;
}

}  // namespace hakmem::load::resp
