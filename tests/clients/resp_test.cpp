#include "resp.hpp"

#include <gtest/gtest.h>

namespace resp = hakmem::load::resp;

TEST(Resp, EncodesCommands) {
  std::string out;
  resp::append_command(out, {"SET", "k", "hello"});
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n");
}

TEST(Resp, ParsesEveryReplyKind) {
  resp::Reply r;
  EXPECT_EQ(resp::parse_reply("+OK\r\n", &r), 5);
  EXPECT_EQ(r.kind, resp::ReplyKind::kSimple);
  EXPECT_EQ(r.text, "OK");
  EXPECT_EQ(resp::parse_reply("-WRONGTYPE bad\r\n", &r), 16);
  EXPECT_EQ(r.kind, resp::ReplyKind::kError);
  EXPECT_EQ(resp::error_kind(r.text), "WRONGTYPE");
  EXPECT_EQ(resp::parse_reply(":-42\r\n", &r), 6);
  EXPECT_EQ(r.integer, -42);
  EXPECT_EQ(resp::parse_reply("$5\r\nhe\r\no\r\n", &r), 11);  // payload may hold CRLF
  EXPECT_EQ(r.kind, resp::ReplyKind::kBulk);
  EXPECT_EQ(r.text, "he\r\no");
  EXPECT_EQ(resp::parse_reply("$-1\r\n", &r), 5);
  EXPECT_EQ(r.kind, resp::ReplyKind::kNull);
  EXPECT_EQ(resp::parse_reply("*2\r\n$1\r\na\r\n*1\r\n:1\r\n+next\r\n", &r), 19);
  EXPECT_EQ(r.kind, resp::ReplyKind::kArray);
  EXPECT_EQ(r.integer, 2);
}

TEST(Resp, IncompleteRepliesWait) {
  resp::Reply r;
  const std::string whole = "*2\r\n$3\r\nabc\r\n:7\r\n";
  for (size_t n = 0; n < whole.size(); ++n) {
    EXPECT_EQ(resp::parse_reply(whole.substr(0, n), &r), 0) << n;
  }
  EXPECT_EQ(resp::parse_reply(whole, &r), static_cast<long>(whole.size()));
}

TEST(Resp, RejectsGarbage) {
  resp::Reply r;
  EXPECT_EQ(resp::parse_reply("?x\r\n", &r), resp::kProtocolError);
  EXPECT_EQ(resp::parse_reply(":abc\r\n", &r), resp::kProtocolError);
  EXPECT_EQ(resp::parse_reply("$3\r\nabcd\r\n", &r), resp::kProtocolError);
  EXPECT_EQ(resp::parse_reply("$-2\r\n", &r), resp::kProtocolError);
}

TEST(Resp, ParsesCommands) {
  std::vector<std::string_view> args;
  EXPECT_EQ(resp::parse_command("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", &args), 20);
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(args[1], "k");
  EXPECT_EQ(resp::parse_command("PING\r\n", &args), 6);
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0], "PING");
  EXPECT_EQ(resp::parse_command("*2\r\n$3\r\nGET\r\n", &args), 0);
}
