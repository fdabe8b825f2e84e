#include "command_context.h"

#include <strings.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <mutex>

#include "value_codec.h"

namespace hakmem::server {

bool equals_ci(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool parse_int64(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 20 || text[0] == '+') return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool parse_double(std::string_view text, double* out) {
  if (text.empty() || text.size() > 256 || std::isspace(static_cast<unsigned char>(text[0]))) {
    return false;
  }
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || std::isnan(value)) return false;
  if (errno == ERANGE && !std::isinf(value) && value != 0) return false;
  *out = value;
  return true;
}

std::string format_double(double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  if (value > -4503599627370495.0 && value < 4503599627370496.0 &&
      value == static_cast<double>(static_cast<long long>(value))) {
    snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(value));
  } else {
    snprintf(buf, sizeof(buf), "%.17g", value);
  }
  return buf;
}

bool clamp_range(int64_t start, int64_t stop, size_t length, size_t* first, size_t* last) {
  const auto n = static_cast<int64_t>(length);
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return false;
  if (stop >= n) stop = n - 1;
  *first = static_cast<size_t>(start);
  *last = static_cast<size_t>(stop);
  return true;
}

std::string wrong_arity_error(std::string_view command) {
  return "ERR wrong number of arguments for '" + std::string(command) + "' command";
}

std::string unknown_command_error(const Request& r) {
  std::string message = "ERR unknown command '";
  message.append(r.arg(0).substr(0, 128)).append("', with args beginning with: ");
  size_t budget = 128;
  for (size_t i = 1; i < r.argc && budget > 0; ++i) {
    std::string_view arg = r.arg(i).substr(0, budget);
    budget -= arg.size();
    message.append("'").append(arg).append("' ");
  }
  return message;
}

std::string unknown_subcommand_error(std::string_view subcommand, std::string_view command) {
  return "ERR unknown subcommand '" + std::string(subcommand.substr(0, 128)) + "'. Try " +
         std::string(command) + " HELP.";
}

bool read_live(CommandContext& ctx, std::string_view key, std::string* stored,
               std::string_view* value, int64_t* expire_at, bool key_locked, KeyType* type) {
  if (type) *type = KeyType::kNone;
  if (!ctx.store.get(key, stored)) return false;
  DecodedValue d = decode_value(*stored);
  if (!d.valid) return false;
  if (d.expired(unix_millis_now())) {
    if (!key_locked) remove_if_expired(ctx, key);  // locked callers overwrite the key anyway
    return false;
  }
  if (value) *value = d.value;
  if (expire_at) *expire_at = d.expire_at_ms;
  if (type) *type = d.type;
  return true;
}

KeyType locked_type(CommandContext& ctx, std::string_view key, int64_t* expire_at) {
  thread_local std::string stored;
  if (!ctx.store.get(key, &stored)) return KeyType::kNone;
  DecodedValue d = decode_value(stored);
  if (!d.valid) return KeyType::kNone;
  if (d.expired(unix_millis_now())) {
    ctx.store.remove(key);
    return KeyType::kNone;
  }
  if (expire_at) *expire_at = d.expire_at_ms;
  return d.type;
}

void remove_if_expired(CommandContext& ctx, std::string_view key) {
  std::lock_guard lock(ctx.locks.lock_for(key));
  std::string stored;
  if (!ctx.store.get(key, &stored)) return;
  DecodedValue d = decode_value(stored);
  if (d.valid && d.expired(unix_millis_now())) ctx.store.remove(key);
}

bool check_type(CommandContext& ctx, std::string_view key, KeyType type, RespWriter& out,
                bool* exists) {
  KeyType actual = locked_type(ctx, key);
  if (exists) *exists = actual == type;
  if (actual == KeyType::kNone || actual == type) return true;
  out.error(kWrongType);
  return false;
}

OwnedBytes take_value(CommandContext& ctx, Request& r, size_t i, int64_t expire_at) {
  char header[kMaxValueHeader];
  const size_t length = encode_value_header(header, expire_at);
  OwnedBytes value = request_take_arg(r, i, ctx.arena);
  value.prepend(std::string_view(header, length));  // always fits: kArgHeadroom
  return value;
}

}  // namespace hakmem::server
