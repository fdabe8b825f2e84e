// A minimal HTTP/1.1 endpoint for Prometheus scrapes: GET /metrics answers the text a render
// function returns, one request per connection. No asio in this header.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace hakmem::metrics {

struct MetricsHttpOptions {
  std::string bind = "127.0.0.1";
  int port = 0;       // 0 picks a free port; port() tells which
  std::string token;  // required when bind is not a loopback address (the admin port's rule)
};

// Empty when usable, otherwise the reason (a public bind without a token, a bad port).
std::string validate_options(const MetricsHttpOptions& options);

class MetricsHttpServer {
 public:
  using Render = std::function<std::string()>;
  // render is called on the server's own thread, once per scrape.
  MetricsHttpServer(MetricsHttpOptions options, Render render);
  ~MetricsHttpServer();  // stop()
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // Binds and serves on a thread of its own. Empty on success, otherwise the reason.
  std::string start();
  int port() const;
  std::string address() const;  // "host:port"
  // Closes the listener and every open connection, joins the thread. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hakmem::metrics
