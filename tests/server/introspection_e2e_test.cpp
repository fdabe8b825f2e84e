// Introspection end to end, against the hakmem-server binary: CLIENT across connections,
// CONFIG SET reaching the server's limits and the allocator, SLOWLOG, INFO's fields, and
// Debian's redis-cli driving it (-3, --stat, --scan, --bigkeys).
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "arena.h"
#include "resp_test_client.h"

namespace hakmem::server::test {
namespace {

bool have(const char* tool) {
  std::string out;
  return run_command(std::string("which ") + tool, &out, 10) == 0;
}

class IntrospectionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"--arena", GetParam(), "--store", "memory", "--no-admin"});
    ASSERT_TRUE(server_->start()) << server_->stderr_text();
    client_ = std::make_unique<RespClient>(server_->port());
    ASSERT_TRUE(client_->connected());
  }
  void TearDown() override {
    if (!server_) return;
    server_->signal(SIGTERM);
    EXPECT_EQ(server_->wait_exit(), 0) << server_->stderr_text();
  }
  std::string call(std::vector<std::string> args) { return client_->call(args).str(); }
  std::string cli(const std::string& args, int* status = nullptr) {
    std::string out;
    int rc = run_command("redis-cli -p " + std::to_string(server_->port()) + " " + args, &out, 30);
    if (status) *status = rc;
    return out;
  }
  bool has_command(const std::string& name) {
    RespValue v = client_->call({"COMMAND", "INFO", name});
    return v.type == '*' && v.elements.size() == 1 && !v.elements[0].null;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<RespClient> client_;
};

TEST_P(IntrospectionTest, ClientNamesListsAndKills) {
  RespClient other(server_->port());
  ASSERT_TRUE(other.connected());
  EXPECT_EQ(other.call({"CLIENT", "SETNAME", "other"}).str(), "+OK");
  EXPECT_EQ(call({"CLIENT", "GETNAME"}), "$nil");
  EXPECT_EQ(call({"CLIENT", "SETNAME", "me"}), "+OK");
  EXPECT_EQ(call({"CLIENT", "GETNAME"}), "$me");
  EXPECT_EQ(call({"CLIENT", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.");
  EXPECT_EQ(call({"CLIENT", "ID", "x"}), "-ERR wrong number of arguments for 'client|id' command");
  EXPECT_EQ(call({"CLIENT", "FOO"}), "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.");
  const int64_t my_id = client_->call({"CLIENT", "ID"}).integer;
  const int64_t other_id = other.call({"CLIENT", "ID"}).integer;
  EXPECT_NE(my_id, other_id);

  RespValue list = client_->call({"CLIENT", "LIST"});
  ASSERT_EQ(list.type, '$');
  EXPECT_NE(list.text.find("id=" + std::to_string(my_id) + " "), std::string::npos) << list.text;
  EXPECT_NE(list.text.find(" name=other "), std::string::npos) << list.text;
  EXPECT_NE(list.text.find(" name=me "), std::string::npos);
  EXPECT_NE(list.text.find(" cmd=client|list "), std::string::npos);
  RespValue mine = client_->call({"CLIENT", "LIST", "ID", std::to_string(my_id)});
  EXPECT_EQ(std::count(mine.text.begin(), mine.text.end(), '\n'), 1) << mine.text;
  EXPECT_EQ(call({"CLIENT", "LIST", "TYPE", "pubsub"}), "$");
  RespValue info = client_->call({"CLIENT", "INFO"});
  EXPECT_EQ(info.text.rfind("id=" + std::to_string(my_id) + " addr=127.0.0.1:", 0), 0u);

  EXPECT_EQ(call({"CLIENT", "KILL", "ID", "0"}), "-ERR client-id should be greater than 0");
  EXPECT_EQ(call({"CLIENT", "KILL", "ID", "999999"}), ":0");
  EXPECT_EQ(call({"CLIENT", "KILL", "1.2.3.4:5"}), "-ERR No such client");
  EXPECT_EQ(call({"CLIENT", "KILL", "ID", std::to_string(my_id)}), ":0");  // SKIPME yes
  EXPECT_EQ(call({"CLIENT", "KILL", "ID", std::to_string(other_id)}), ":1");
  EXPECT_TRUE(other.wait_closed());
  EXPECT_EQ(call({"INFO", "clients"}).find("connected_clients:1\r\n") != std::string::npos, true);

  // Killing itself: the reply arrives, then the connection closes.
  EXPECT_EQ(call({"CLIENT", "KILL", "ID", std::to_string(my_id), "SKIPME", "no"}), ":1");
  EXPECT_TRUE(client_->wait_closed());
}

// A numeric field of the CLIENT LIST line of client `id` (-1 when absent).
int64_t client_field(RespClient& c, int64_t id, const std::string& field) {
  std::string line = c.call({"CLIENT", "LIST", "ID", std::to_string(id)}).text;
  std::smatch m;
  if (!std::regex_search(line, m, std::regex(" " + field + "=(\\d+)"))) return -1;
  return std::stoll(m[1]);
}

// Polls (the server reads and writes asynchronously) until pred holds, up to 10 s.
template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_P(IntrospectionTest, ClientListShowsWhatEachConnectionHolds) {
  // A request still arriving: its complete arguments and what came of the last one.
  RespClient partial(server_->port());
  const int64_t partial_id = partial.call({"CLIENT", "ID"}).integer;
  ASSERT_TRUE(
      partial.send_raw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\n" + std::string(300000, 'x')));
  EXPECT_TRUE(eventually([&] { return client_field(*client_, partial_id, "argv-mem") == 300004; }))
      << client_field(*client_, partial_id, "argv-mem");
  EXPECT_GE(client_field(*client_, partial_id, "tot-mem"), 16384 + 300004);
  EXPECT_EQ(client_field(*client_, partial_id, "omem"), 0);

  // Replies a client does not read: held (being sent, or queued behind) until it reads.
  const std::string value(16u << 20, 'v');
  ASSERT_EQ(client_->call({"SET", "big", value}, 60000).str(), "+OK");
  RespClient greedy(server_->port());
  const int64_t greedy_id = greedy.call({"CLIENT", "ID"}).integer;
  std::string burst;
  for (int i = 0; i < 4; ++i) burst += RespClient::encode({"GET", "big"});
  ASSERT_TRUE(greedy.send_raw(burst));
  EXPECT_TRUE(eventually([&] {
    return client_field(*client_, greedy_id, "omem") >= static_cast<int64_t>(value.size()) &&
           client_field(*client_, greedy_id, "oll") >= 1;
  })) << client_->call({"CLIENT", "LIST", "ID", std::to_string(greedy_id)}).text;
  EXPECT_GE(client_field(*client_, greedy_id, "tot-mem"),
            16384 + static_cast<int64_t>(value.size()));
  for (int i = 0; i < 4; ++i) ASSERT_EQ(greedy.read(60000).text.size(), value.size());
  EXPECT_TRUE(eventually([&] {
    return client_field(*client_, greedy_id, "omem") == 0 &&
           client_field(*client_, greedy_id, "oll") == 0;
  }));
  EXPECT_EQ(client_field(*client_, greedy_id, "qbuf"), 0);
}

TEST_P(IntrospectionTest, HelloAuthAndSetname) {
  EXPECT_EQ(call({"HELLO", "4"}), "-NOPROTO unsupported protocol version");
  EXPECT_EQ(call({"HELLO", "x"}), "-ERR Protocol version is not an integer or out of range");
  EXPECT_EQ(call({"HELLO", "2", "FOO"}), "-ERR Syntax error in HELLO option 'FOO'");
  RespValue hello = client_->call({"HELLO", "2", "SETNAME", "h1"});
  ASSERT_EQ(hello.type, '*');
  ASSERT_EQ(hello.elements.size(), 14u);
  EXPECT_EQ(hello.elements[4].text, "proto");
  EXPECT_EQ(hello.elements[5].integer, 2);
  EXPECT_EQ(call({"CLIENT", "GETNAME"}), "$h1");
}

TEST_P(IntrospectionTest, HelloIsTheOnlyWayInWithRequirepassBesidesAuth) {
  server_->signal(SIGTERM);
  ASSERT_EQ(server_->wait_exit(), 0);
  server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
      "--arena", GetParam(), "--store", "memory", "--no-admin", "--requirepass", "pw"});
  ASSERT_TRUE(server_->start()) << server_->stderr_text();
  client_ = std::make_unique<RespClient>(server_->port());
  EXPECT_EQ(call({"CLIENT", "ID"}), "-NOAUTH Authentication required.");
  EXPECT_EQ(call({"HELLO", "2"}).substr(0, 47), "-NOAUTH HELLO must be called with the client al");
  EXPECT_EQ(call({"HELLO", "2", "AUTH", "default", "bad"}),
            "-WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(client_->call({"HELLO", "2", "AUTH", "default", "pw"}).type, '*');
  EXPECT_EQ(call({"CLIENT", "GETNAME"}), "$nil");
}

TEST_P(IntrospectionTest, ConfigSetReachesTheServerAndTheAllocator) {
  EXPECT_EQ(call({"CONFIG", "SET", "maxclients", "1"}), "+OK");
  RespClient refused(server_->port());
  EXPECT_EQ(refused.read().str(), "-ERR max number of clients reached");
  EXPECT_EQ(call({"CONFIG", "SET", "maxclients", "100"}), "+OK");
  EXPECT_EQ(call({"CONFIG", "GET", "maxclients"}), "*[$maxclients,$100]");
  EXPECT_NE(call({"INFO", "clients"}).find("maxclients:100\r\n"), std::string::npos);
  EXPECT_EQ(call({"CONFIG", "SET", "port", "1"}),
            "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable "
            "config");
  RespValue help = client_->call({"CONFIG", "HELP"});
  ASSERT_EQ(help.type, '*');
  EXPECT_GT(help.elements.size(), 4u);
  if (GetParam() == "hakmem") {
    EXPECT_EQ(call({"CONFIG", "SET", "hakmem-route", "S"}), "+OK");
    EXPECT_NE(call({"INFO", "memory"}).find("hakmem_route:S\r\n"), std::string::npos);
    EXPECT_EQ(call({"CONFIG", "GET", "hakmem-route"}), "*[$hakmem-route,$S]");
    EXPECT_EQ(call({"CONFIG", "SET", "hakmem-route", "Q"}),
              "-ERR CONFIG SET failed (possibly related to argument 'hakmem-route') - route "
              "must be S, P, CDA or A");
  }
  EXPECT_EQ(call({"SET", "k", "v"}), "+OK");
  EXPECT_EQ(call({"CONFIG", "RESETSTAT"}), "+OK");
  EXPECT_NE(call({"INFO", "stats"}).find("total_commands_processed:1\r\n"), std::string::npos);
}

TEST_P(IntrospectionTest, SlowlogRecordsWhatCrossesTheThreshold) {
  EXPECT_EQ(call({"SLOWLOG", "RESET"}), "+OK");
  EXPECT_EQ(call({"CONFIG", "SET", "slowlog-log-slower-than", "0"}), "+OK");
  EXPECT_EQ(call({"CLIENT", "SETNAME", "slow"}), "+OK");
  EXPECT_EQ(call({"SET", "key", "value"}), "+OK");
  RespValue log = client_->call({"SLOWLOG", "GET", "1"});
  ASSERT_EQ(log.type, '*');
  ASSERT_EQ(log.elements.size(), 1u);
  const RespValue& e = log.elements[0];
  ASSERT_EQ(e.elements.size(), 6u);
  // The value's buffer went to the store (no copy), so the log cannot show it.
  EXPECT_EQ(e.elements[3].str(), "*[$SET,$key,$(value moved to the store)]");
  EXPECT_EQ(e.elements[4].text.rfind("127.0.0.1:", 0), 0u);
  EXPECT_EQ(e.elements[5].text, "slow");
  EXPECT_EQ(call({"CONFIG", "SET", "slowlog-log-slower-than", "-1"}), "+OK");
  const std::string len = call({"SLOWLOG", "LEN"});
  EXPECT_EQ(call({"GET", "key"}), "$value");
  EXPECT_EQ(call({"SLOWLOG", "LEN"}), len);  // disabled: nothing more recorded
}

TEST_P(IntrospectionTest, InfoHasRedisFieldsAndAnIdleRatioThatIsNoAlarm) {
  EXPECT_EQ(call({"SET", "a", "1"}), "+OK");
  EXPECT_EQ(call({"SET", "b", "2", "EX", "100"}), "+OK");
  RespValue info = client_->call({"INFO", "everything"});
  for (const char* field :
       {"# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=", "blocked_clients:0\r\n",
        "connected_clients:1\r\n", "hakmem_version:", "hakmem_git_revision:", "# Persistence",
        "loading:0\r\n", "used_memory_rss_anon:", "process_malloc:glibc\r\n"}) {
    EXPECT_NE(info.text.find(field), std::string::npos) << field << "\n" << info.text;
  }
  std::smatch m;
  ASSERT_TRUE(std::regex_search(info.text, m, std::regex("mem_fragmentation_ratio:([0-9.]+)")));
  EXPECT_LT(std::stod(m[1]), 10.0) << info.text;  // was 27.97 with file pages counted
  EXPECT_GT(std::stod(m[1]), 0.0);
  RespValue usage = client_->call({"MEMORY", "USAGE", "a"});
  EXPECT_EQ(usage.type, ':');
  EXPECT_GT(usage.integer, 2);
  RespValue stats = client_->call({"MEMORY", "STATS"});
  ASSERT_EQ(stats.type, '*');
  EXPECT_EQ(stats.elements[0].text, "allocator");
  EXPECT_EQ(stats.elements[1].text, GetParam());
  EXPECT_EQ(client_->call({"MEMORY", "DOCTOR"}).type, '$');
  EXPECT_EQ(call({"MEMORY", "PURGE"}), "+OK");
}

TEST_P(IntrospectionTest, RedisCliResp3) {
  if (!have("redis-cli")) GTEST_SKIP() << "redis-cli is not installed (apt install redis-tools)";
  int rc = 0;
  EXPECT_EQ(cli("-3 ping", &rc), "PONG\n");
  EXPECT_EQ(rc, 0);
  std::string hello = cli("-3 hello 3");
  EXPECT_NE(hello.find("proto 3\n"), std::string::npos) << hello;  // a map: "key value" lines
  EXPECT_EQ(cli("-3 get nothing"), "\n");                          // RESP3 null
  std::string config = cli("-3 config get maxclients");
  EXPECT_EQ(config, "maxclients 10000\n");  // a map (RESP2 would give two lines)
  if (!has_command("hgetall")) {
    GTEST_SKIP() << "HGETALL is not in this build yet; the RESP3 map check runs once it is";
  }
  EXPECT_EQ(cli("-3 hset h f v"), "1\n");
  EXPECT_EQ(cli("-3 hgetall h"), "f v\n");  // a map
  EXPECT_EQ(cli("hgetall h"), "f\nv\n");    // RESP2: a flat array
}

TEST_P(IntrospectionTest, RedisCliStatShowsNoNegativeNumbers) {
  if (!have("redis-cli")) GTEST_SKIP() << "redis-cli is not installed";
  EXPECT_EQ(call({"SET", "k", "v"}), "+OK");
  std::string out;
  // --stat runs until stopped; timeout ends it after several 0.1 s rows.
  run_command(
      "stdbuf -oL timeout 1 redis-cli -p " + std::to_string(server_->port()) + " --stat -i 0.1",
      &out, 30);
  std::istringstream lines(out);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '-' || line.find("keys") != std::string::npos) continue;
    ++rows;
    std::istringstream fields(line);
    std::string keys, mem, clients, blocked;
    fields >> keys >> mem >> clients >> blocked;
    EXPECT_EQ(keys, "1") << line;
    EXPECT_EQ(blocked, "0") << line;
    EXPECT_EQ(line.find(" -"), std::string::npos) << line;
  }
  EXPECT_GE(rows, 2) << out;
}

TEST_P(IntrospectionTest, RedisCliScanAndBigkeys) {
  if (!have("redis-cli")) GTEST_SKIP() << "redis-cli is not installed";
  if (!has_command("scan") || !has_command("type")) {
    GTEST_SKIP() << "SCAN/TYPE are not in this build yet; --scan and --bigkeys run once they are";
  }
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(call({"SET", "key:" + std::to_string(i), std::string(i + 1, 'x')}), "+OK");
  }
  EXPECT_EQ(call({"RPUSH", "list", "a", "b"}), ":2");
  EXPECT_EQ(call({"HSET", "hash", "f", "v"}), ":1");
  int rc = 0;
  std::string scan = cli("--scan --pattern 'key:*'", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(std::count(scan.begin(), scan.end(), '\n'), 20) << scan;
  std::string big = cli("--bigkeys", &rc);
  EXPECT_EQ(rc, 0) << big;
  EXPECT_NE(big.find("Biggest string found '\"key:19\"' has 20 bytes"), std::string::npos) << big;
  EXPECT_NE(big.find("20 strings with 210 bytes"), std::string::npos) << big;
  EXPECT_NE(big.find("1 lists with 2 items"), std::string::npos) << big;
  EXPECT_NE(big.find("1 hashs with 1 fields"), std::string::npos) << big;
  std::string mem = cli("--memkeys", &rc);
  EXPECT_EQ(rc, 0) << mem;
  EXPECT_NE(mem.find("Biggest string found"), std::string::npos) << mem;
  EXPECT_NE(mem.find("Biggest   list found"), std::string::npos) << mem;  // MEMORY USAGE of a list
}

INSTANTIATE_TEST_SUITE_P(Arenas, IntrospectionTest, ::testing::ValuesIn(main_arenas()));

}  // namespace
}  // namespace hakmem::server::test
