// End to end, against the hakmem-server binary: pipelining, back-pressure, limits, access,
// restart, shutdown and startup errors.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "arena.h"
#include "resp_test_client.h"

namespace hakmem::server::test {
namespace {

std::unique_ptr<ServerProcess> start_server(std::vector<std::string> args,
                                            std::string data_dir = "") {
  auto server = std::make_unique<ServerProcess>(std::move(args), std::move(data_dir));
  EXPECT_TRUE(server->start()) << server->stderr_text();
  return server;
}

int stop_server(ServerProcess& server) {
  server.signal(SIGTERM);
  return server.wait_exit();
}

class PipelineTest : public ::testing::TestWithParam<std::string> {};

// 10,000 requests in one write, executed by several workers: replies come back in order.
TEST_P(PipelineTest, TenThousandRequestsKeepOrder) {
  auto server = start_server(
      {"--arena", GetParam(), "--store", "memory", "--workers", "4", "--io-threads", "2"});
  RespClient client(server->port());
  ASSERT_TRUE(client.connected());
  constexpr int kRequests = 10000;
  std::string batch;
  for (int i = 0; i < kRequests; ++i) {
    std::string n = std::to_string(i);
    switch (i % 4) {
      case 0:
        batch += RespClient::encode({"SET", "key" + n, "value" + n});
        break;
      case 1:
        batch += RespClient::encode({"GET", "key" + std::to_string(i - 1)});
        break;
      case 2:
        batch += RespClient::encode({"INCR", "counter"});
        break;
      case 3:
        batch += RespClient::encode({"ECHO", n});
        break;
    }
  }
  // Write from another thread: the server's replies must be read while we send.
  std::thread writer([&] { EXPECT_TRUE(client.send_raw(batch)); });
  int64_t counter = 0;
  for (int i = 0; i < kRequests; ++i) {
    RespValue reply = client.read();
    ASSERT_NE(reply.type, 0) << "no reply for request " << i;
    std::string expected;
    switch (i % 4) {
      case 0:
        expected = "+OK";
        break;
      case 1:
        expected = "$value" + std::to_string(i - 1);
        break;
      case 2:
        expected = ":" + std::to_string(++counter);
        break;
      case 3:
        expected = "$" + std::to_string(i);
        break;
    }
    ASSERT_EQ(reply.str(), expected) << "request " << i;
  }
  writer.join();
  EXPECT_EQ(stop_server(*server), 0);
}

INSTANTIATE_TEST_SUITE_P(Arenas, PipelineTest, ::testing::ValuesIn(main_arenas()));

// A client that sends without ever reading: the server stops reading it instead of buffering
// replies without bound, and keeps serving everyone else.
TEST(BackPressureTest, ClientThatNeverReadsDoesNotGrowServerMemory) {
  auto server = start_server({"--store", "memory", "--workers", "2", "--shutdown-timeout", "2"});
  RespClient setup(server->port());
  const std::string value(16 * 1024, 'v');
  ASSERT_EQ(setup.call({"SET", "big", value}).str(), "+OK");
  const uint64_t rss_before = server->rss_bytes();

  RespClient greedy(server->port());
  int rcvbuf = 4096;  // keep the kernel's share of the replies small
  setsockopt(greedy.fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  fcntl(greedy.fd(), F_SETFL, fcntl(greedy.fd(), F_GETFL) | O_NONBLOCK);
  const std::string request = RespClient::encode({"GET", "big"});
  std::string burst;
  for (int i = 0; i < 256; ++i) burst += request;
  // Send until the server has stopped taking bytes for a while (its socket buffer is full).
  size_t sent = 0;
  auto last_progress = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - last_progress < std::chrono::seconds(1) &&
         sent < (size_t{64} << 20)) {
    ssize_t n = ::send(greedy.fd(), burst.data(), burst.size(), MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      last_progress = std::chrono::steady_clock::now();
    } else {
      pollfd p{greedy.fd(), POLLOUT, 0};
      ::poll(&p, 1, 50);
    }
  }
  const uint64_t requests_sent = sent / request.size();
  // Without back-pressure every request sent would be a 16 KiB reply held by the server.
  const uint64_t unbounded = requests_sent * value.size();
  ASSERT_GT(unbounded, uint64_t{256} << 20) << "the client could not send enough to matter";
  const uint64_t growth = server->rss_bytes() - std::min(server->rss_bytes(), rss_before);
  EXPECT_LT(growth, uint64_t{96} << 20) << "sent " << requests_sent << " requests";

  // Everyone else is still served.
  RespClient other(server->port());
  EXPECT_EQ(other.call({"PING"}).str(), "+PONG");
  RespValue info = other.call({"INFO", "clients"});
  EXPECT_NE(info.text.find("connected_clients:3"), std::string::npos) << info.text;
  EXPECT_EQ(stop_server(*server), 0);  // the stuck client does not block shutdown for ever
}

TEST(BackPressureTest, SmallPipelineLimitStillAnswersEverything) {
  auto server = start_server(
      {"--store", "memory", "--max-pipeline", "3", "--queue-capacity", "2", "--workers", "2"});
  RespClient client(server->port());
  std::string batch;
  for (int i = 0; i < 2000; ++i) batch += RespClient::encode({"ECHO", std::to_string(i)});
  std::thread writer([&] { client.send_raw(batch); });
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(client.read().str(), "$" + std::to_string(i));
  writer.join();
  EXPECT_EQ(stop_server(*server), 0);
}

TEST(PersistenceTest, DataSurvivesRestart) {
  std::string dir = ServerProcess::temp_dir("restart");
  for (const std::string fsync : {"always", "everysec", "no"}) {
    {
      auto server = start_server({"--store", "rocksdb", "--fsync", fsync}, dir);
      RespClient client(server->port());
      ASSERT_EQ(client.call({"SET", "name-" + fsync, "value-" + fsync}).str(), "+OK");
      ASSERT_EQ(client.call({"MSET", "m1", "x", "m2", "y"}).str(), "+OK");
      ASSERT_EQ(client.call({"INCRBY", "count", "5"}).str().substr(0, 1), ":");
      ASSERT_EQ(client.call({"SET", "ttl", "t", "EX", "1000"}).str(), "+OK");
      EXPECT_EQ(stop_server(*server), 0);
    }
    auto server = start_server({"--store", "rocksdb"}, dir);
    RespClient client(server->port());
    EXPECT_EQ(client.call({"GET", "name-" + fsync}).str(), "$value-" + fsync);
    EXPECT_EQ(client.call({"MGET", "m1", "m2", "ttl"}).str(), "*[$x,$y,$t]");
    EXPECT_EQ(stop_server(*server), 0);
  }
  auto server = start_server({"--store", "rocksdb"}, dir);
  RespClient client(server->port());
  EXPECT_EQ(client.call({"GET", "count"}).str(), "$15");
  EXPECT_EQ(client.call({"DBSIZE"}).str(), ":7");
  EXPECT_EQ(stop_server(*server), 0);
  std::filesystem::remove_all(dir);
}

// SIGTERM while a pipeline is being executed: every request the server read gets its reply,
// and every acknowledged write is there after a restart.
TEST(ShutdownTest, GracefulWithRequestsInFlight) {
  std::string dir = ServerProcess::temp_dir("graceful");
  auto server = start_server({"--store", "rocksdb", "--workers", "2"}, dir);
  RespClient client(server->port());
  std::string batch;
  constexpr int kRequests = 50000;
  for (int i = 0; i < kRequests; ++i) batch += RespClient::encode({"INCR", "counter"});
  std::thread writer([&] { client.send_raw(batch); });  // fails once the server closes
  ASSERT_EQ(client.read().str(), ":1");
  server->signal(SIGTERM);
  int64_t answered = 1;
  for (;;) {
    RespValue reply = client.read(20000);
    if (reply.type == 0) break;  // closed after the last reply
    ASSERT_EQ(reply.str(), ":" + std::to_string(answered + 1));
    ++answered;
  }
  writer.join();
  EXPECT_EQ(server->wait_exit(), 0) << server->stderr_text();
  EXPECT_LE(answered, kRequests);

  auto again = start_server({"--store", "rocksdb"}, dir);
  RespClient check(again->port());
  EXPECT_EQ(check.call({"GET", "counter"}).str(), "$" + std::to_string(answered));
  EXPECT_EQ(stop_server(*again), 0);
  std::filesystem::remove_all(dir);
}

TEST(ShutdownTest, SecondSignalExitsAtOnceWithOne) {
  auto server = start_server({"--store", "memory", "--shutdown-timeout", "60"});
  // A client that never reads keeps a reply pending, so the graceful stop has to wait.
  RespClient stuck(server->port());
  int rcvbuf = 4096;
  setsockopt(stuck.fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  ASSERT_EQ(stuck.call({"SET", "big", std::string(8 << 20, 'x')}).str(), "+OK");
  std::string gets;
  for (int i = 0; i < 4; ++i) gets += RespClient::encode({"GET", "big"});
  ASSERT_TRUE(stuck.send_raw(gets));
  // Wait until the four GETs ran: their 32 MiB of replies cannot all reach the client.
  RespClient observer(server->port());
  auto ran = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (observer.call({"INFO", "stats"}).text.find("cmd_get:4\r\n") == std::string::npos &&
         std::chrono::steady_clock::now() < ran) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server->signal(SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server->stderr_text().find("shutting down") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server->signal(SIGINT);
  EXPECT_EQ(server->wait_exit(10000), 1) << server->stderr_text();
}

TEST(StartupTest, ErrorsPrintOneLineAndExitTwo) {
  auto first = start_server({"--store", "memory"});
  struct Case {
    const char* name;
    std::vector<std::string> args;
    std::string data_dir;
  };
  std::string file_dir = ServerProcess::temp_dir("notadir");
  std::ofstream(file_dir + "/file") << "x";
  const std::vector<Case> cases = {
      {"port in use", {"--store", "memory", "--port", std::to_string(first->port())}, ""},
      {"unknown flag", {"--no-such-flag"}, ""},
      {"bad value", {"--workers", "many"}, ""},
      {"bad fsync", {"--fsync", "sometimes"}, ""},
      {"bad route", {"--route", "Q"}, ""},
      {"bad arena", {"--arena", "nonesuch"}, ""},
      {"bad bind", {"--bind", "not-an-address"}, ""},
      {"unusable data dir", {"--store", "rocksdb"}, file_dir + "/file/data"},
      {"unwritable port file", {"--store", "memory", "--port-file", file_dir + "/file/port"}, ""},
  };
  for (const auto& c : cases) {
    ServerProcess server(c.args, c.data_dir);
    // The port flag given last wins over the default --port 0.
    EXPECT_FALSE(server.start()) << c.name;
    EXPECT_EQ(server.wait_exit(), 2) << c.name;
    std::string err = server.stderr_text();
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << c.name << ": " << err;
    EXPECT_EQ(err.rfind("hakmem-server: ", 0), 0u) << c.name << ": " << err;
  }
  std::filesystem::remove_all(file_dir);
  EXPECT_EQ(stop_server(*first), 0);
}

TEST(StartupTest, HelpListsDefaults) {
  std::string out;
  EXPECT_EQ(run_command(ServerProcess::binary() + " --help", &out, 30), 0);
  for (const char* text : {"--port", "7379", "--max-clients", "10000", "--max-request-bytes",
                           "--max-pipeline", "--idle-timeout", "--arena", "--fsync", "everysec"}) {
    EXPECT_NE(out.find(text), std::string::npos) << text;
  }
}

TEST(LimitsTest, OversizedRequestIsRejectedAndOthersUnaffected) {
  auto server = start_server({"--store", "memory", "--max-request-bytes", "1024"});
  RespClient bystander(server->port());
  ASSERT_EQ(bystander.call({"SET", "k", "v"}).str(), "+OK");
  RespClient big(server->port());
  ASSERT_TRUE(big.send_raw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000\r\n"));
  RespValue reply = big.read();
  EXPECT_EQ(reply.type, '-');
  EXPECT_NE(reply.text.find("max-request-bytes"), std::string::npos) << reply.text;
  EXPECT_TRUE(big.wait_closed());
  EXPECT_EQ(bystander.call({"GET", "k"}).str(), "$v");
  EXPECT_EQ(stop_server(*server), 0);
}

TEST(LimitsTest, MalformedInputGetsErrorAndDisconnect) {
  auto server = start_server({"--store", "memory"});
  for (const std::string& bad : {std::string("*1\r\n$x\r\n"), std::string("*-3\r\n"),
                                 std::string("$3\r\nfoo\r\n"), std::string("*1\r\n$4\r\nPINGxx")}) {
    RespClient client(server->port());
    ASSERT_TRUE(client.send_raw(RespClient::encode({"PING"}) + bad));
    EXPECT_EQ(client.read().str(), "+PONG");  // what came before is still answered, in order
    RespValue reply = client.read();
    EXPECT_EQ(reply.type, '-');
    EXPECT_EQ(reply.text.rfind("ERR Protocol error", 0), 0u) << reply.text;
    EXPECT_TRUE(client.wait_closed());
  }
  RespClient fine(server->port());
  EXPECT_EQ(fine.call({"PING"}).str(), "+PONG");
  EXPECT_EQ(stop_server(*server), 0);
}

// Garbage, truncated frames and valid requests from many clients at once, some of them
// vanishing mid-frame: the server answers or disconnects each, and keeps serving.
TEST(LimitsTest, RandomInputNeverCrashesOrHangsTheServer) {
  auto server = start_server(
      {"--store", "memory", "--workers", "3", "--io-threads", "2", "--max-request-bytes", "4096"});
  uint64_t state = 7;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  const std::vector<std::string> pieces = {RespClient::encode({"SET", "k", "v"}),
                                           RespClient::encode({"GET", "k"}),
                                           RespClient::encode({"INCR", "n"}),
                                           RespClient::encode({"MGET", "k", "n"}),
                                           "*",
                                           "$",
                                           "\r\n",
                                           "*2\r\n",
                                           "$3\r\nGET\r\n",
                                           "$-7\r\n",
                                           "*99999999\r\n",
                                           "PING\r\n",
                                           "$100000\r\n",
                                           std::string("\0\xff\x01", 3),
                                           "*1\r\n$4\r\nPI",
                                           "QUIT\r\n",
                                           "SET a b EX 0\r\n"};
  for (int round = 0; round < 200; ++round) {
    RespClient client(server->port());
    ASSERT_TRUE(client.connected()) << "round " << round;
    std::string bytes;
    int count = 1 + next() % 12;
    for (int i = 0; i < count; ++i) bytes += pieces[next() % pieces.size()];
    client.send_raw(bytes);
    if (next() % 2) client.wait_closed(50);  // sometimes read a little before leaving
  }
  RespClient check(server->port());
  EXPECT_EQ(check.call({"PING"}).str(), "+PONG");
  EXPECT_EQ(check.call({"SET", "k", "final"}).str(), "+OK");
  EXPECT_EQ(check.call({"GET", "k"}).str(), "$final");
  EXPECT_EQ(stop_server(*server), 0) << server->stderr_text();
}

TEST(LimitsTest, MaxClients) {
  auto server = start_server({"--store", "memory", "--max-clients", "2"});
  RespClient a(server->port()), b(server->port());
  ASSERT_EQ(a.call({"PING"}).str(), "+PONG");
  ASSERT_EQ(b.call({"PING"}).str(), "+PONG");
  RespClient c(server->port());
  EXPECT_EQ(c.read().str(), "-ERR max number of clients reached");
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(a.call({"PING"}).str(), "+PONG");
  EXPECT_EQ(stop_server(*server), 0);
}

TEST(LimitsTest, IdleClientsAreClosed) {
  auto server = start_server({"--store", "memory", "--idle-timeout", "2"});
  RespClient idle(server->port());
  ASSERT_EQ(idle.call({"PING"}).str(), "+PONG");
  EXPECT_TRUE(idle.wait_closed(15000));
  RespClient fresh(server->port());
  RespValue info = fresh.call({"INFO", "clients"});
  EXPECT_NE(info.text.find("idle_disconnects:1"), std::string::npos) << info.text;
  EXPECT_EQ(stop_server(*server), 0);
}

TEST(AccessTest, RequirePass) {
  auto server = start_server({"--store", "memory", "--requirepass", "s3cret"});
  RespClient client(server->port());
  EXPECT_EQ(client.call({"GET", "k"}).str(), "-NOAUTH Authentication required.");
  EXPECT_EQ(client.call({"AUTH", "wrong"}).str(),
            "-WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(client.call({"AUTH", "other", "s3cret"}).str(),
            "-WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(client.call({"PING"}).str(), "-NOAUTH Authentication required.");
  // AUTH takes effect for the very next pipelined request.
  ASSERT_TRUE(client.send_raw(RespClient::encode({"AUTH", "s3cret"}) +
                              RespClient::encode({"SET", "k", "v"})));
  EXPECT_EQ(client.read().str(), "+OK");
  EXPECT_EQ(client.read().str(), "+OK");
  EXPECT_EQ(client.call({"AUTH", "default", "s3cret"}).str(), "+OK");
  RespClient other(server->port());
  EXPECT_EQ(other.call({"GET", "k"}).str(), "-NOAUTH Authentication required.");
  EXPECT_EQ(other.call({"QUIT"}).str(), "+OK");
  EXPECT_EQ(stop_server(*server), 0);

  auto open = start_server({"--store", "memory"});
  RespClient c(open->port());
  EXPECT_EQ(c.call({"AUTH", "x"}).str().substr(0, 40), "-ERR AUTH <password> called without any ");
  EXPECT_EQ(stop_server(*open), 0);
}

TEST(AccessTest, NonLoopbackWithoutPasswordWarns) {
  auto server = start_server({"--store", "memory", "--bind", "0.0.0.0"});
  EXPECT_NE(server->stderr_text().find("WARNING"), std::string::npos);
  EXPECT_EQ(stop_server(*server), 0);
}

}  // namespace
}  // namespace hakmem::server::test
