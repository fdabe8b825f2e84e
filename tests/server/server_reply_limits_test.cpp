// End to end: what one client can make the server allocate. A reply past --max-reply-bytes is
// refused before it is built, replies wait for the client to read what it was sent, and a
// declared bulk length costs nothing until its bytes arrive. Measured in /proc/PID/status.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <fstream>
#include <memory>

#include "resp_test_client.h"

namespace hakmem::server::test {
namespace {

// A field of /proc/PID/status in bytes (VmRSS, VmHWM, VmSize).
uint64_t status_bytes(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

// Sends everything it can without ever reading; stops once the server has taken nothing for a
// second (its socket buffer and ours are full: it stopped reading us) or all was sent.
size_t send_without_reading(int fd, const std::string& bytes) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  size_t sent = 0;
  auto last_progress = std::chrono::steady_clock::now();
  while (sent < bytes.size() &&
         std::chrono::steady_clock::now() - last_progress < std::chrono::seconds(1)) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      last_progress = std::chrono::steady_clock::now();
    } else {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 50);
    }
  }
  return sent;
}

class ReplyLimitTest : public ::testing::TestWithParam<std::string> {};

// MGET of a 32 MiB value 32 times is a 1 GiB reply from a 300-byte request; GET of it pipelined
// by a client that never reads would queue 32 MiB per request (24 of them: 768 MiB).
TEST_P(ReplyLimitTest, ClientThatNeverReadsCannotMakeLargeRepliesPileUp) {
  ServerProcess server({"--arena", GetParam(), "--store", "memory", "--workers", "2"});
  ASSERT_TRUE(server.start()) << server.stderr_text();
  const std::string value(32u << 20, 'v');
  {
    RespClient setup(server.port());
    ASSERT_EQ(setup.call({"SET", "big", value}, 60000).str(), "+OK");
  }
  std::vector<std::string> mget = {"MGET"};
  for (int i = 0; i < 32; ++i) mget.push_back("big");
  std::string burst;
  for (int i = 0; i < 16; ++i) burst += RespClient::encode(mget);
  for (int i = 0; i < 24; ++i) burst += RespClient::encode({"GET", "big"});

  RespClient greedy(server.port());  // socket buffers are the kernel's, not the server's RSS
  EXPECT_EQ(send_without_reading(greedy.fd(), burst), burst.size());
  RespClient other(server.port());  // served meanwhile, by the same I/O thread
  EXPECT_EQ(other.call({"PING"}).str(), "+PONG");
  const uint64_t peak = status_bytes(server.pid(), "VmHWM");
  EXPECT_LT(peak, uint64_t{300} << 20) << "VmRSS " << status_bytes(server.pid(), "VmRSS");

  // A client that reads gets the refusal, and the largest allowed reply in full.
  RespValue refused = other.call(mget);
  EXPECT_EQ(refused.text.rfind("ERR reply of 1073742", 0), 0u) << refused.str();
  EXPECT_NE(refused.text.find("max-reply-bytes (67108864)"), std::string::npos) << refused.str();
  RespValue got = other.call({"GET", "big"}, 60000);
  EXPECT_EQ(got.type, '$');
  EXPECT_TRUE(got.text == value);
  // The greedy client's requests are all answered, in order, once it reads.
  fcntl(greedy.fd(), F_SETFL, fcntl(greedy.fd(), F_GETFL) & ~O_NONBLOCK);
  for (int i = 0; i < 16; ++i) {
    ASSERT_TRUE(greedy.read(60000).is_error()) << "MGET " << i;
  }
  for (int i = 0; i < 24; ++i) {
    RespValue reply = greedy.read(60000);
    ASSERT_EQ(reply.text.size(), value.size()) << "GET " << i << ": " << reply.type;
  }
  EXPECT_LT(status_bytes(server.pid(), "VmHWM"), uint64_t{300} << 20);
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(), 0);
}

INSTANTIATE_TEST_SUITE_P(Arenas, ReplyLimitTest, ::testing::ValuesIn(main_arenas()));

// 200 connections each declare a 64 MB bulk string and send 1 KB of it: buffers grow with the
// bytes that arrived, not with the length that was announced.
TEST(BulkBufferTest, DeclaredLengthIsNotAllocatedBeforeTheBytesArrive) {
  ServerProcess server({"--store", "memory"});
  ASSERT_TRUE(server.start()) << server.stderr_text();
  RespClient probe(server.port());
  ASSERT_EQ(probe.call({"PING"}).str(), "+PONG");
  const uint64_t before = status_bytes(server.pid(), "VmSize");
  const std::string start = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$64000000\r\n" + std::string(1024, 'x');
  std::vector<std::unique_ptr<RespClient>> clients;
  for (int i = 0; i < 200; ++i) {
    clients.push_back(std::make_unique<RespClient>(server.port()));
    ASSERT_TRUE(clients.back()->send_raw(start));
  }
  // Every connection was accepted and read by the one I/O thread before this is answered.
  RespClient after(server.port());
  RespValue info = after.call({"INFO", "clients"});
  EXPECT_NE(info.text.find("connected_clients:202"), std::string::npos) << info.text;
  EXPECT_EQ(after.call({"PING"}).str(), "+PONG");
  const uint64_t growth = status_bytes(server.pid(), "VmSize") - before;
  EXPECT_LT(growth, uint64_t{1} << 30);
  // A declared bulk that does arrive in full is still stored whole.
  std::string rest(64000000 - 1024, 'y');
  ASSERT_TRUE(clients[0]->send_raw(rest + "\r\n"));
  EXPECT_EQ(clients[0]->read(60000).str(), "+OK");
  RespValue got = after.call({"GET", "k"}, 60000);
  EXPECT_EQ(got.text.size(), 64000000u);
  EXPECT_EQ(got.text.substr(1020, 8), "xxxxyyyy");
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(), 0);
}

}  // namespace
}  // namespace hakmem::server::test
