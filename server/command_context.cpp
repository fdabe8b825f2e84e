#include "command_context.h"

#include <strings.h>

#include <charconv>
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
               std::string_view* value, int64_t* expire_at, bool key_locked) {
  if (!ctx.store.get(key, stored)) return false;
  DecodedValue d = decode_value(*stored);
  if (!d.valid) return false;
  if (d.expired(unix_millis_now())) {
    if (!key_locked) remove_if_expired(ctx, key);  // locked callers overwrite the key anyway
    return false;
  }
  if (value) *value = d.value;
  if (expire_at) *expire_at = d.expire_at_ms;
  return true;
}

void remove_if_expired(CommandContext& ctx, std::string_view key) {
  std::lock_guard lock(ctx.locks.lock_for(key));
  std::string stored;
  if (!ctx.store.get(key, &stored)) return;
  DecodedValue d = decode_value(stored);
  if (d.valid && d.expired(unix_millis_now())) ctx.store.remove(key);
}

OwnedBytes take_value(CommandContext& ctx, Request& r, size_t i, int64_t expire_at) {
  char header[kMaxValueHeader];
  const size_t length = encode_value_header(header, expire_at);
  OwnedBytes value = request_take_arg(r, i, ctx.arena);
  value.prepend(std::string_view(header, length));  // always fits: kArgHeadroom
  return value;
}

}  // namespace hakmem::server
