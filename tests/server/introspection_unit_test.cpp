// The introspection building blocks without sockets: RESP3 encodings, the slowlog's bounds,
// CONFIG SET's validation and atomicity, COMMAND DOCS coverage, the executor's CONFIG/SLOWLOG.
#include <gtest/gtest.h>

#include <cstring>

#include "client_registry.h"
#include "command_docs.h"
#include "commands.h"
#include "runtime_config.h"
#include "slowlog.h"

namespace hakmem::server {
namespace {

std::string written(Arena& arena, int protocol, void (*fill)(RespWriter&)) {
  RespWriter out(arena);
  out.set_protocol(protocol);
  fill(out);
  Reply* reply = out.finish();
  std::string bytes(reply->data(), reply->size);
  reply_destroy(reply, arena);
  return bytes;
}

TEST(RespWriter, Resp3TypesAndTheirResp2Spelling) {
  auto arena = make_arena("system", {});
  auto map = [](RespWriter& o) {
    o.map_header(1);
    o.bulk("k");
    o.double_reply(0.1);
  };
  EXPECT_EQ(written(*arena, 3, map), "%1\r\n$1\r\nk\r\n,0.10000000000000001\r\n");
  EXPECT_EQ(written(*arena, 2, map), "*2\r\n$1\r\nk\r\n$19\r\n0.10000000000000001\r\n");
  auto nulls = [](RespWriter& o) {
    o.null();
    o.null_bulk();
    o.null_array();
  };
  EXPECT_EQ(written(*arena, 3, nulls), "_\r\n_\r\n_\r\n");
  EXPECT_EQ(written(*arena, 2, nulls), "$-1\r\n$-1\r\n*-1\r\n");
  auto set = [](RespWriter& o) {
    o.set_header(2);
    o.boolean(true);
    o.double_reply(-1.0 / 0.0);
  };
  EXPECT_EQ(written(*arena, 3, set), "~2\r\n#t\r\n,-inf\r\n");
  EXPECT_EQ(written(*arena, 2, set), "*2\r\n:1\r\n$4\r\n-inf\r\n");
  auto text = [](RespWriter& o) { o.verbatim("a:1\r\n"); };
  EXPECT_EQ(written(*arena, 3, text), "=9\r\ntxt:a:1\r\n\r\n");
  EXPECT_EQ(written(*arena, 2, text), "$5\r\na:1\r\n\r\n");
}

Request* make_request(Arena& arena, const std::vector<std::string>& args) {
  Request* r = request_create(arena);
  for (const auto& a : args) std::memcpy(request_add_arg(*r, arena, a.size()), a.data(), a.size());
  return r;
}

TEST(Slowlog, KeepsTheNewestWithinItsLengthAndTrimsArguments) {
  auto arena = make_arena("system", {});
  Slowlog log;
  log.slower_than_us = 100;
  std::vector<std::string> args(40, "x");
  args[1] = std::string(200, 'v');
  Request* big = make_request(*arena, args);
  Request* small = make_request(*arena, {"GET", "k"});
  log.record(*small, 99, "a:1", "n");  // under the threshold
  EXPECT_EQ(log.size(), 0u);
  log.record(*big, 100, "a:1", "n");
  auto e = log.newest(-1);
  ASSERT_EQ(e.size(), 1u);
  ASSERT_EQ(e[0].args.size(), 32u);
  EXPECT_EQ(e[0].args[1], std::string(128, 'v') + "... (72 more bytes)");
  EXPECT_EQ(e[0].args[31], "... (9 more arguments)");
  log.set_max_len(2);
  for (int i = 0; i < 5; ++i) log.record(*small, 1000 + i, "a:1", "");
  e = log.newest(10);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].duration_us, 1004);  // newest first
  EXPECT_EQ(e[0].id, 5);
  log.slower_than_us = -1;  // disabled
  log.record(*small, 1 << 30, "a:1", "");
  EXPECT_EQ(log.newest(-1).size(), 2u);
  log.reset();
  EXPECT_EQ(log.size(), 0u);
  request_destroy(big, *arena);
  request_destroy(small, *arena);
}

class RuntimeConfigTest : public ::testing::Test {
 protected:
  ServerConfig config_;
  RuntimeLimits limits_{config_};
  Slowlog slowlog_;
  RuntimeConfig runtime_{config_, limits_, slowlog_, [] { return uint16_t{7379}; }};
  std::string get(const std::string& name) {
    auto v = runtime_.get({name});
    return v.size() == 1 ? v[0].second : "<" + std::to_string(v.size()) + " matches>";
  }
};

TEST_F(RuntimeConfigTest, SetsLimitsWithRedisMessages) {
  EXPECT_EQ(runtime_.set({{"maxclients", "5"}, {"timeout", "7"}}), "");
  EXPECT_EQ(limits_.max_clients.load(), 5u);
  EXPECT_EQ(get("TIMEOUT"), "7");
  EXPECT_EQ(runtime_.set({{"proto-max-bulk-len", "1mb"}}), "");
  EXPECT_EQ(limits_.max_request_bytes.load(), 1u << 20);
  EXPECT_EQ(runtime_.set({{"timeout", "-1"}}),
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be "
            "between 0 and 2147483647 inclusive");
  EXPECT_EQ(runtime_.set({{"maxclients", "abc"}}),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument "
            "couldn't be parsed into an integer");
  EXPECT_EQ(runtime_.set({{"port", "1"}}),
            "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable "
            "config");
  EXPECT_EQ(runtime_.set({{"nope", "1"}}),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nope'");
  EXPECT_EQ(runtime_.set({{"timeout", "1"}, {"TIMEOUT", "2"}}),
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter");
  EXPECT_EQ(get("port"), "7379");
}

TEST_F(RuntimeConfigTest, ABatchWithOneBadValueChangesNothing) {
  EXPECT_NE(runtime_.set({{"maxclients", "9"}, {"slowlog-max-len", "-1"}}), "");
  EXPECT_EQ(limits_.max_clients.load(), config_.max_clients);
  EXPECT_EQ(runtime_.set({{"slowlog-max-len", "3"}, {"slowlog-log-slower-than", "0"}}), "");
  EXPECT_EQ(slowlog_.max_len.load(), 3);
  EXPECT_EQ(slowlog_.slower_than_us.load(), 0);
}

#ifdef HAKMEM_SERVER_WITH_HAKMEM
TEST_F(RuntimeConfigTest, AllocatorOptionsAreCheckedByTheAllocator) {
  const std::string before = get("hakmem-route");
  EXPECT_EQ(runtime_.set({{"hakmem-route", "s"}}), "");
  EXPECT_EQ(get("hakmem-route"), "S");
  EXPECT_EQ(runtime_.set({{"hakmem-route", "X"}}),
            "ERR CONFIG SET failed (possibly related to argument 'hakmem-route') - route must be "
            "S, P, CDA or A");
  const std::string delay = get("hakmem-purge-delay-ms");
  std::string err = runtime_.set({{"hakmem-route", "P"}, {"hakmem-purge-delay-ms", "99999999"}});
  EXPECT_NE(err.find("out of range"), std::string::npos) << err;
  EXPECT_EQ(get("hakmem-route"), "S");  // the batch changed nothing
  EXPECT_EQ(get("hakmem-purge-delay-ms"), delay);
  EXPECT_EQ(runtime_.set({{"hakmem-route", before}}), "");
}
#endif

TEST(CommandDocs, EveryCommandHasASummaryAndGroup) {
  for (const CommandSpec* spec : all_commands()) {
    const CommandDoc* doc = find_command_doc(spec->name);
    ASSERT_NE(doc, nullptr) << spec->name << " needs a line in server/command_docs.cpp";
    EXPECT_FALSE(doc->summary.empty()) << spec->name;
  }
}

TEST(ClientRegistry, NamesAndInfoLines) {
  EXPECT_TRUE(valid_client_name("worker-1"));
  EXPECT_TRUE(valid_client_name(""));
  EXPECT_FALSE(valid_client_name("a b"));
  EXPECT_FALSE(valid_client_name("a\nb"));
  ClientRegistry registry;
  bool killed = false;
  auto a = registry.add("127.0.0.1:5000", "127.0.0.1:7379", 9, [&] { killed = true; });
  auto b = registry.add("127.0.0.1:5001", "127.0.0.1:7379", 10, nullptr);
  EXPECT_EQ(b->id, a->id + 1);
  a->set_name("me");
  a->touch("CLIENT", "List");
  std::string line = client_info_line(*a, a->created_ms);
  EXPECT_EQ(line.rfind("id=" + std::to_string(a->id) +
                           " addr=127.0.0.1:5000 laddr=127.0.0.1:7379 "
                           "fd=9 name=me age=0 idle=0 flags=N db=0",
                       0),
            0u)
      << line;
  EXPECT_NE(line.find(" cmd=client|list user=default redir=-1 resp=2"), std::string::npos);
  EXPECT_TRUE(a->kill());
  EXPECT_FALSE(a->kill());  // once
  EXPECT_TRUE(killed);
  registry.remove(a->id);
  ASSERT_EQ(registry.all().size(), 1u);
  EXPECT_EQ(registry.find(a->id), nullptr);
}

class NoServer : public ServerIntrospection {
 public:
  StatsSnapshot stats() const override { return {}; }
};

TEST(IntrospectionCommands, ConfigSlowlogTimeThroughTheExecutor) {
  std::shared_ptr<Arena> arena = make_arena("system", {});
  auto store = make_memory_store(arena);
  ServerConfig config;
  NoServer server;
  CommandCounters counters;
  CommandExecutor executor(*store, *arena, config, server, counters);
  auto run = [&](const std::vector<std::string>& args) {
    Request* r = make_request(*arena, args);
    RespWriter out(*arena);
    executor.execute(*r, out);
    request_destroy(r, *arena);
    Reply* reply = out.finish();
    std::string bytes(reply->data(), reply->size);
    reply_destroy(reply, *arena);
    return bytes;
  };
  EXPECT_EQ(run({"CONFIG", "SET", "slowlog-log-slower-than", "0"}), "+OK\r\n");
  EXPECT_EQ(run({"CONFIG", "GET", "slowlog-log-*"}),
            "*2\r\n$23\r\nslowlog-log-slower-than\r\n$1\r\n0\r\n");
  EXPECT_EQ(run({"CONFIG", "SET", "timeout"}),
            "-ERR wrong number of arguments for 'config|set' command\r\n");
  EXPECT_EQ(run({"CONFIG", "SET", "timeout", "1", "maxclients"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"CONFIG", "HELP"}).rfind("*", 0), 0u);
  EXPECT_EQ(run({"CONFIG", "FOO"}), "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n");
  EXPECT_EQ(run({"SLOWLOG", "LEN"}), ":0\r\n");  // the executor does not time; the worker does
  EXPECT_EQ(run({"SLOWLOG", "GET", "-2"}), "-ERR count should be greater than or equal to -1\r\n");
  EXPECT_EQ(run({"TIME", "x"}), "-ERR wrong number of arguments for 'time' command\r\n");
  EXPECT_EQ(run({"TIME"}).rfind("*2\r\n$10\r\n", 0), 0u);
  EXPECT_EQ(run({"MEMORY", "USAGE", "nokey"}), "$-1\r\n");
  EXPECT_EQ(run({"SET", "k", "vv"}), "+OK\r\n");
  EXPECT_EQ(run({"MEMORY", "USAGE", "k", "SAMPLES", "x"}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(run({"MEMORY", "USAGE"}),
            "-ERR wrong number of arguments for 'memory|usage' command\r\n");
  EXPECT_EQ(run({"COMMAND", "DOCS", "get"}).rfind("*2\r\n$3\r\nget\r\n*8\r\n$7\r\nsummary\r\n", 0),
            0u);
}

}  // namespace
}  // namespace hakmem::server
