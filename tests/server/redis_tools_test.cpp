// Debian's redis-cli and redis-benchmark against hakmem-server, for every arena.
#include <gtest/gtest.h>

#include "arena.h"
#include "resp_test_client.h"

namespace hakmem::server::test {
namespace {

bool have(const char* tool) {
  std::string out;
  return run_command(std::string("which ") + tool, &out, 10) == 0;
}

class RedisToolsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RedisToolsTest, RedisCli) {
  if (!have("redis-cli")) GTEST_SKIP() << "redis-cli is not installed (apt install redis-tools)";
  ServerProcess server({"--arena", GetParam(), "--store", "rocksdb"});
  ASSERT_TRUE(server.start()) << server.stderr_text();
  std::string cli = "redis-cli -p " + std::to_string(server.port()) + " ";
  std::string out;
  EXPECT_EQ(run_command(cli + "PING", &out, 30), 0);
  EXPECT_EQ(out, "PONG\n");
  out.clear();
  EXPECT_EQ(run_command(cli + "SET greeting 'hello world'", &out, 30), 0);
  EXPECT_EQ(out, "OK\n");
  out.clear();
  EXPECT_EQ(run_command(cli + "GET greeting", &out, 30), 0);
  EXPECT_EQ(out, "hello world\n");
  out.clear();
  EXPECT_EQ(run_command(cli + "MGET greeting nothing", &out, 30), 0);
  EXPECT_EQ(out, "hello world\n\n");
  out.clear();
  // Interactive-style session through stdin (redis-cli asks COMMAND DOCS first).
  EXPECT_EQ(
      run_command("printf 'INCR n\\nINCRBY n 4\\nDBSIZE\\nINFO memory\\n' | " + cli, &out, 30), 0);
  EXPECT_NE(out.find("1\n5\n2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("mem_allocator:" + GetParam()), std::string::npos) << out;
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(), 0);
}

TEST_P(RedisToolsTest, RedisBenchmark) {
  if (!have("redis-benchmark")) GTEST_SKIP() << "redis-benchmark is not installed";
  ServerProcess server({"--arena", GetParam(), "--store", "rocksdb", "--fsync", "everysec"});
  ASSERT_TRUE(server.start()) << server.stderr_text();
  std::string out;
  int status = run_command("redis-benchmark -p " + std::to_string(server.port()) +
                               " -t ping,set,get,incr,mset -P 16 -n 100000 -q",
                           &out, 240);
  EXPECT_EQ(status, 0) << out;
  for (const char* test : {"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"}) {
    EXPECT_NE(out.find(std::string(test) + ": "), std::string::npos) << test << "\n" << out;
  }
  EXPECT_EQ(out.find("ERR"), std::string::npos) << out;
  EXPECT_EQ(out.find("WARNING"), std::string::npos) << out;

  RespClient client(server.port());
  RespValue info = client.call({"INFO", "stats"});
  EXPECT_NE(info.text.find("cmd_mset:100000"), std::string::npos) << info.text;
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(), 0) << server.stderr_text();
}

INSTANTIATE_TEST_SUITE_P(Arenas, RedisToolsTest, ::testing::ValuesIn(main_arenas()));

}  // namespace
}  // namespace hakmem::server::test
