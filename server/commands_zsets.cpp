// Sorted set commands: ZADD, ZINCRBY, ZREM, ZSCORE, ZRANGE, ZRANK, ZCARD, ZPOPMIN.
#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>

#include "command_context.h"
#include "command_table.h"

namespace hakmem::server {
namespace {

template <typename Fn>
void with_zset(CommandContext& ctx, Request& r, RespWriter& out, Fn fn) {
  std::string_view key = r.arg(1);
  std::lock_guard lock(ctx.locks.lock_for(key));
  bool exists;
  if (!check_type(ctx, key, KeyType::kZSet, out, &exists)) return;
  fn(key, exists);
}

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
void cmd_zadd(CommandContext& ctx, Request& r, RespWriter& out) {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
  size_t i = 2;
  for (; i < r.argc; ++i) {
    std::string_view opt = r.arg(i);
    if (equals_ci(opt, "NX")) {
      nx = true;
    } else if (equals_ci(opt, "XX")) {
      xx = true;
    } else if (equals_ci(opt, "GT")) {
      gt = true;
    } else if (equals_ci(opt, "LT")) {
      lt = true;
    } else if (equals_ci(opt, "CH")) {
      ch = true;
    } else if (equals_ci(opt, "INCR")) {
      incr = true;
    } else {
      break;
    }
  }
  const size_t elements = r.argc - i;
  if (elements == 0 || elements % 2 != 0) return out.error(kSyntax);
  if (nx && xx) return out.error("ERR XX and NX options at the same time are not compatible");
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    return out.error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (incr && elements > 2) {
    return out.error("ERR INCR option supports a single increment-element pair");
  }
  std::vector<std::pair<double, std::string_view>> input;
  for (size_t j = i; j < r.argc; j += 2) {
    double score = 0;
    if (!parse_double(r.arg(j), &score)) return out.error(kNotFloat);
    input.emplace_back(score, r.arg(j + 1));
  }
  with_zset(ctx, r, out, [&](std::string_view key, bool) {
    std::vector<Store::MemberScore> writes;
    size_t added = 0, changed = 0;
    std::optional<double> incr_result;
    for (const auto& [score_in, member] : input) {
      double score = score_in;
      auto current = ctx.store.zset_score(key, member);
      if ((nx && current) || (xx && !current)) continue;
      if (incr && current) {
        score += *current;
        if (std::isnan(score)) return out.error("ERR resulting score is not a number (NaN)");
      }
      if (current && ((gt && score <= *current) || (lt && score >= *current))) continue;
      if (!current) {
        ++added;
      } else if (*current != score) {
        ++changed;
      } else {
        if (incr) incr_result = score;
        continue;
      }
      writes.emplace_back(member, score);
      if (incr) incr_result = score;
    }
    if (!writes.empty()) ctx.store.zset_add(key, writes);
    if (incr) return incr_result ? out.double_reply(*incr_result) : out.null_bulk();
    out.integer(static_cast<int64_t>(ch ? added + changed : added));
  });
}

void cmd_zincrby(CommandContext& ctx, Request& r, RespWriter& out) {
  double by = 0;
  if (!parse_double(r.arg(2), &by)) return out.error(kNotFloat);
  with_zset(ctx, r, out, [&](std::string_view key, bool) {
    double score = ctx.store.zset_score(key, r.arg(3)).value_or(0) + by;
    if (std::isnan(score)) return out.error("ERR resulting score is not a number (NaN)");
    Store::MemberScore write{r.arg(3), score};
    ctx.store.zset_add(key, std::span(&write, 1));
    out.double_reply(score);
  });
}

void cmd_zrem(CommandContext& ctx, Request& r, RespWriter& out) {
  with_zset(ctx, r, out, [&](std::string_view key, bool) {
    std::vector<std::string_view> members;
    for (size_t i = 2; i < r.argc; ++i) members.push_back(r.arg(i));
    out.integer(static_cast<int64_t>(ctx.store.zset_rem(key, members)));
  });
}

void cmd_zscore(CommandContext& ctx, Request& r, RespWriter& out) {
  with_zset(ctx, r, out, [&](std::string_view key, bool) {
    auto score = ctx.store.zset_score(key, r.arg(2));
    score ? out.double_reply(*score) : out.null_bulk();
  });
}

// RESP2: member, score, member, ... RESP3 (as Redis 7): [member, score] pairs, unless flat
// (ZPOPMIN without a count).
void write_pairs(const std::vector<std::pair<std::string, double>>& items, bool with_scores,
                 RespWriter& out, bool flat = false) {
  const bool nested = with_scores && out.resp3() && !flat;
  out.array(with_scores && !nested ? items.size() * 2 : items.size());
  for (const auto& [member, score] : items) {
    if (nested) out.array(2);
    out.bulk(member);
    if (with_scores) out.double_reply(score);
  }
}

// The size write_pairs gives ranks first..last, from one visit (no copy of the range).
size_t pairs_reply_size(CommandContext& ctx, std::string_view key, size_t first, size_t last,
                        bool with_scores) {
  size_t count = 0, bytes = 0;
  ctx.store.zset_visit(key, first, last, [&](std::string_view member, double) {
    ++count;
    bytes += bulk_reply_size(member.size()) + (with_scores ? double_reply_size() : 0);
    if (with_scores) bytes += resp_header_size(2);  // RESP3's [member, score]
  });
  return aggregate_header_size(count) + bytes;
}

// ZRANGE key start stop [REV] [WITHSCORES]: by rank only.
void cmd_zrange(CommandContext& ctx, Request& r, RespWriter& out) {
  bool rev = false, with_scores = false;
  for (size_t i = 4; i < r.argc; ++i) {
    if (equals_ci(r.arg(i), "REV")) {
      rev = true;
    } else if (equals_ci(r.arg(i), "WITHSCORES")) {
      with_scores = true;
    } else {
      return out.error(kSyntax);
    }
  }
  int64_t start = 0, stop = 0;
  if (!parse_int64(r.arg(2), &start) || !parse_int64(r.arg(3), &stop)) {
    return out.error(kNotInteger);
  }
  with_zset(ctx, r, out, [&](std::string_view key, bool) {
    const size_t card = ctx.store.zset_card(key);
    size_t first = 0, last = 0;
    if (!clamp_range(start, stop, card, &first, &last)) return out.array(0);
    if (rev) {  // ranks from the top
      size_t f = card - 1 - last, l = card - 1 - first;
      if (!out.reserve_reply(pairs_reply_size(ctx, key, f, l, with_scores))) return;
      auto items = ctx.store.zset_range(key, f, l);  // a copy no larger than the reply
      std::reverse(items.begin(), items.end());
      return write_pairs(items, with_scores, out);
    }
    if (!out.reserve_reply(pairs_reply_size(ctx, key, first, last, with_scores))) return;
    write_pairs(ctx.store.zset_range(key, first, last), with_scores, out);
  });
}

void cmd_zrank(CommandContext& ctx, Request& r, RespWriter& out) {
  with_zset(ctx, r, out, [&](std::string_view key, bool) {
    auto rank = ctx.store.zset_rank(key, r.arg(2));
    rank ? out.integer(static_cast<int64_t>(*rank)) : out.null_bulk();
  });
}

void cmd_zcard(CommandContext& ctx, Request& r, RespWriter& out) {
  with_zset(ctx, r, out, [&](std::string_view key, bool) {
    out.integer(static_cast<int64_t>(ctx.store.zset_card(key)));
  });
}

void cmd_zpopmin(CommandContext& ctx, Request& r, RespWriter& out) {
  if (r.argc > 3) return out.error(kSyntax);
  int64_t count = 1;
  if (r.argc == 3 && (!parse_int64(r.arg(2), &count) || count < 0)) {
    return out.error("ERR value is out of range, must be positive");
  }
  with_zset(ctx, r, out, [&](std::string_view key, bool exists) {
    if (!exists || count == 0) return out.array(0);
    const auto last = static_cast<size_t>(count - 1);
    if (!out.reserve_reply(pairs_reply_size(ctx, key, 0, last, true))) return;  // before popping
    auto items = ctx.store.zset_range(key, 0, static_cast<size_t>(count - 1));
    std::vector<std::string_view> members;
    for (const auto& item : items) members.push_back(item.first);
    ctx.store.zset_rem(key, members);
    write_pairs(items, true, out, r.argc == 2);
  });
}

const CommandSpec kCommands[] = {
    {"zadd", -4, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_zadd},
    {"zincrby", 4, {"write", "denyoom", "fast"}, 1, 1, 1, Access::kWrite, cmd_zincrby},
    {"zrem", -3, {"write", "fast"}, 1, 1, 1, Access::kWrite, cmd_zrem},
    {"zscore", 3, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_zscore},
    {"zrange", -4, {"readonly"}, 1, 1, 1, Access::kRead, cmd_zrange},
    {"zrank", 3, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_zrank},
    {"zcard", 2, {"readonly", "fast"}, 1, 1, 1, Access::kRead, cmd_zcard},
    {"zpopmin", -2, {"write", "fast"}, 1, 1, 1, Access::kWrite, cmd_zpopmin},
};

}  // namespace

std::span<const CommandSpec> zset_commands() {
  return kCommands;
}

}  // namespace hakmem::server
