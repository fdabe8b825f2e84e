// RESP parser: every split position, many frames per read, inline commands, malformed input.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "arena.h"
#include "resp_parser.h"

namespace hakmem::server {
namespace {

using Args = std::vector<std::string>;

struct Outcome {
  std::vector<Args> requests;
  bool error = false;
  std::string message;
};

class ParserTest : public ::testing::Test {
 protected:
  std::unique_ptr<Arena> arena_ = make_arena("system", {});

  // Feeds `input` in chunks of the given sizes (the last chunk takes the rest).
  Outcome feed(const std::string& input, const std::vector<size_t>& cuts,
               ParserLimits limits = {}) {
    RespParser parser(*arena_, limits);
    Outcome out;
    size_t offset = 0;
    std::vector<size_t> bounds = cuts;
    bounds.push_back(input.size());
    for (size_t bound : bounds) {
      while (offset < bound) {
        size_t consumed = 0;
        auto result = parser.parse(input.data() + offset, bound - offset, &consumed);
        offset += consumed;
        if (result == RespParser::Result::kRequest) {
          Request* r = parser.take_request();
          Args args;
          for (uint32_t i = 0; i < r->argc; ++i) args.emplace_back(r->arg(i));
          out.requests.push_back(args);
          request_destroy(r, *arena_);
        } else if (result == RespParser::Result::kError) {
          out.error = true;
          out.message = parser.error();
          return out;
        } else {
          EXPECT_EQ(offset, bound) << "kNeedMore must consume everything";
          break;
        }
      }
    }
    return out;
  }
  Outcome feed_all(const std::string& input, ParserLimits limits = {}) {
    return feed(input, {}, limits);
  }
};

const std::string kStream =
    "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n"  // a value with CRLF inside
    "*1\r\n$4\r\nPING\r\n"
    "PING inline  arg\r\n"
    "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"  // an empty bulk string
    "\r\n"                            // a blank line between commands is ignored
    "GET k\n";                        // inline with a bare LF
const std::vector<Args> kExpected = {
    {"SET", "key", "va\r\nl"}, {"PING"}, {"PING", "inline", "arg"}, {"ECHO", ""}, {"GET", "k"}};

TEST_F(ParserTest, WholeStreamInOneRead) {
  Outcome out = feed_all(kStream);
  EXPECT_FALSE(out.error) << out.message;
  EXPECT_EQ(out.requests, kExpected);
}

TEST_F(ParserTest, SplitAtEveryBytePosition) {
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    Outcome out = feed(kStream, {cut});
    ASSERT_FALSE(out.error) << "cut at " << cut << ": " << out.message;
    ASSERT_EQ(out.requests, kExpected) << "cut at " << cut;
  }
}

TEST_F(ParserTest, SplitAtEveryPairOfPositions) {
  for (size_t a = 0; a <= kStream.size(); a += 3) {
    for (size_t b = a; b <= kStream.size(); ++b) {
      Outcome out = feed(kStream, {a, b});
      ASSERT_EQ(out.requests, kExpected) << "cuts at " << a << "," << b;
    }
  }
}

TEST_F(ParserTest, OneByteAtATime) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < kStream.size(); ++i) cuts.push_back(i);
  Outcome out = feed(kStream, cuts);
  EXPECT_FALSE(out.error) << out.message;
  EXPECT_EQ(out.requests, kExpected);
}

TEST_F(ParserTest, ManyFramesPerRead) {
  std::string input;
  for (int i = 0; i < 1000; ++i) {
    std::string v = std::to_string(i);
    input += "*2\r\n$3\r\nGET\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
  }
  Outcome out = feed_all(input);
  ASSERT_EQ(out.requests.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(out.requests[i], (Args{"GET", std::to_string(i)}));
}

TEST_F(ParserTest, BinarySafeBulkStrings) {
  std::string value("a\0b\r\n\xff", 6);
  Outcome out = feed_all("*2\r\n$4\r\nECHO\r\n$6\r\n" + value + "\r\n");
  ASSERT_EQ(out.requests.size(), 1u);
  EXPECT_EQ(out.requests[0][1], value);
}

TEST_F(ParserTest, EmptyArrayIsIgnored) {
  Outcome out = feed_all("*0\r\n*1\r\n$4\r\nPING\r\n");
  EXPECT_FALSE(out.error);
  EXPECT_EQ(out.requests, (std::vector<Args>{{"PING"}}));
}

struct BadInput {
  const char* name;
  std::string bytes;
  const char* message_part;
};

TEST_F(ParserTest, MalformedInputIsAnErrorNeverACrash) {
  const std::vector<BadInput> cases = {
      {"bulk type at top level", "$3\r\nfoo\r\n", "unexpected type byte"},
      {"simple string at top level", "+OK\r\n", "unexpected type byte"},
      {"control byte at top level", std::string("\x01", 1), "unexpected type byte"},
      {"bad element type", "*1\r\n+PING\r\n", "expected '$'"},
      {"non-numeric array length", "*x\r\n", "invalid multibulk length"},
      {"negative array length", "*-1\r\n", "invalid multibulk length"},
      {"array length with junk", "*2a\r\n", "invalid multibulk length"},
      {"empty array length", "*\r\n", "invalid multibulk length"},
      {"huge array length", "*99999999999999999999\r\n", "invalid multibulk length"},
      {"endless array header", "*" + std::string(100, '1'), "invalid multibulk length"},
      {"non-numeric bulk length", "*1\r\n$abc\r\n", "invalid bulk length"},
      {"negative bulk length", "*1\r\n$-1\r\n", "invalid bulk length"},
      {"negative bulk length -5", "*1\r\n$-5\r\nabc\r\n", "invalid bulk length"},
      {"bulk beyond the limit", "*1\r\n$2000\r\n", "max-request-bytes"},
      {"frame beyond the limit",
       "*3\r\n$400\r\n" + std::string(400, 'a') + "\r\n$400\r\n" + std::string(400, 'b') +
           "\r\n$400\r\n",
       "max-request-bytes"},
      {"missing CRLF after bulk", "*1\r\n$4\r\nPINGxx", "missing CRLF"},
      {"CR without LF after bulk", "*1\r\n$4\r\nPING\rx", "missing CRLF"},
      {"header without CR", "*1\n$4\r\nPING\r\n", "missing CRLF"},
      {"inline line too long", std::string(2000, 'a'), "too big inline request"},
  };
  ParserLimits limits;
  limits.max_request_bytes = 1024;
  for (const auto& c : cases) {
    Outcome whole = feed_all(c.bytes, limits);
    EXPECT_TRUE(whole.error) << c.name;
    EXPECT_NE(whole.message.find(c.message_part), std::string::npos)
        << c.name << ": " << whole.message;
    EXPECT_EQ(whole.message.rfind("Protocol error: ", 0), 0u) << c.name;
    // The same verdict whatever way the bytes arrive.
    for (size_t cut = 0; cut <= c.bytes.size(); ++cut) {
      Outcome split = feed(c.bytes, {cut}, limits);
      ASSERT_TRUE(split.error) << c.name << " cut at " << cut;
    }
  }
}

TEST_F(ParserTest, ValidFramesBeforeAnErrorAreDelivered) {
  Outcome out = feed_all("*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n");
  EXPECT_EQ(out.requests, (std::vector<Args>{{"PING"}}));
  EXPECT_TRUE(out.error);
}

TEST_F(ParserTest, PartialRequestIsFreedWithTheParser) {
  ArenaCounters before = arena_counters();
  {
    RespParser parser(*arena_, {});
    std::string partial = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$100\r\nabc";
    size_t consumed = 0;
    EXPECT_EQ(parser.parse(partial.data(), partial.size(), &consumed),
              RespParser::Result::kNeedMore);
  }
  ArenaCounters after = arena_counters();
  EXPECT_EQ(after.allocations - before.allocations, after.frees - before.frees);
}

// Arbitrary bytes: whatever happens, the parser returns and never reads out of bounds.
TEST_F(ParserTest, RandomBytesNeverCrash) {
  uint64_t state = 42;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  const std::string alphabet = "*$+-:\r\n0123456789-abcPING ";
  ParserLimits limits;
  limits.max_request_bytes = 4096;
  for (int round = 0; round < 2000; ++round) {
    std::string input;
    size_t length = next() % 64;
    for (size_t i = 0; i < length; ++i) input += alphabet[next() % alphabet.size()];
    feed(input, {next() % (length + 1)}, limits);
  }
}

}  // namespace
}  // namespace hakmem::server
