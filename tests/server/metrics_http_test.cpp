// The metrics endpoint over real sockets: status codes, the token rule, and scrapes from
// several threads at once while it stops (also run under TSan).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "metrics_http.h"

using hakmem::metrics::MetricsHttpOptions;
using hakmem::metrics::MetricsHttpServer;

namespace {

// Sends request, reads until the server closes; empty when the connection fails.
std::string http_exchange(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;)
      out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

std::string get(int port, const std::string& path, const std::string& headers = "") {
  return http_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
}

std::string status_line(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

}  // namespace

TEST(MetricsHttp, ServesTheRenderedText) {
  std::atomic<int> calls{0};
  MetricsHttpServer server({"127.0.0.1", 0, ""}, [&] {
    ++calls;
    return std::string("# HELP a h\n# TYPE a gauge\na 1\n");
  });
  ASSERT_EQ(server.start(), "");
  const std::string r = get(server.port(), "/metrics?x=1");
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(r.find("\r\n\r\n# HELP a h\n"), std::string::npos);
  EXPECT_EQ(status_line(get(server.port(), "/")), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(status_line(http_exchange(server.port(), "POST /metrics HTTP/1.1\r\n\r\n")),
            "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(status_line(http_exchange(server.port(), "garbage\r\n\r\n")),
            "HTTP/1.1 400 Bad Request");
  const std::string head = http_exchange(server.port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(status_line(head), "HTTP/1.1 200 OK");
  EXPECT_EQ(head.find("# HELP"), std::string::npos);  // HEAD: no body
  EXPECT_EQ(calls.load(), 2);
  // Headers past the limit get 431, not unbounded memory.
  EXPECT_EQ(status_line(http_exchange(server.port(), "GET /metrics HTTP/1.1\r\nX: " +
                                                         std::string(20000, 'a') + "\r\n\r\n")),
            "HTTP/1.1 431 Request Header Fields Too Large");
}

TEST(MetricsHttp, TokenRule) {
  EXPECT_NE(hakmem::metrics::validate_options({"0.0.0.0", 0, ""}).find("--metrics-token"),
            std::string::npos);
  EXPECT_EQ(hakmem::metrics::validate_options({"0.0.0.0", 0, "t"}), "");
  EXPECT_EQ(hakmem::metrics::validate_options({"127.0.0.1", 0, ""}), "");
  EXPECT_NE(hakmem::metrics::validate_options({"127.0.0.1", 70000, ""}), "");

  MetricsHttpServer server({"127.0.0.1", 0, "s3cret"}, [] { return std::string("a 1\n"); });
  ASSERT_EQ(server.start(), "");
  EXPECT_EQ(status_line(get(server.port(), "/metrics")), "HTTP/1.1 401 Unauthorized");
  EXPECT_EQ(status_line(get(server.port(), "/metrics", "Authorization: Bearer wrong\r\n")),
            "HTTP/1.1 401 Unauthorized");
  EXPECT_EQ(status_line(get(server.port(), "/metrics", "authorization: bearer s3cret\r\n")),
            "HTTP/1.1 200 OK");
}

TEST(MetricsHttp, BusyPortIsAnError) {
  MetricsHttpServer first({"127.0.0.1", 0, ""}, [] { return std::string(); });
  ASSERT_EQ(first.start(), "");
  MetricsHttpServer second({"127.0.0.1", first.port(), ""}, [] { return std::string(); });
  EXPECT_NE(second.start().find("cannot listen for metrics"), std::string::npos);
}

TEST(MetricsHttp, ConcurrentScrapesThenStop) {
  std::atomic<int> calls{0};
  MetricsHttpServer server({"127.0.0.1", 0, ""}, [&] {
    ++calls;
    return std::string(10000, 'x') + "\n";
  });
  ASSERT_EQ(server.start(), "");
  const int port = server.port();
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (status_line(get(port, "/metrics")) == "HTTP/1.1 200 OK") ++ok;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(calls.load(), 100);
  // A client that never finishes its request does not hold stop() up.
  std::thread stuck([port] { http_exchange(port, "GET /metrics HTTP/1.1\r\n"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server.stop();
  server.stop();  // idempotent
  stuck.join();
}
