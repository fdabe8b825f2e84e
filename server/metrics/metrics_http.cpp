#include "metrics_http.h"

#include <asio.hpp>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>

namespace hakmem::metrics {

namespace {

using asio::ip::tcp;

constexpr size_t kMaxRequestBytes = 8192;  // request line and headers; a scrape sends ~300
constexpr size_t kMaxSessions = 32;        // more at once are closed unanswered
constexpr auto kSessionTimeout = std::chrono::seconds(10);

bool is_loopback(std::string_view host) {
  return host.rfind("127.", 0) == 0 || host == "::1" || host == "[::1]" || host == "localhost";
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (lower(text[i]) != lower(prefix[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Without an early exit, so the time taken does not reveal a matching prefix.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string response(std::string_view status, std::string_view content_type, std::string_view body,
                     bool head, std::string_view extra_headers = {}) {
  std::string out = "HTTP/1.1 ";
  out += status;
  out += "\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: " + std::to_string(body.size());
  out += "\r\nConnection: close\r\n";
  out += extra_headers;
  out += "\r\n";
  if (!head) out += body;
  return out;
}

std::string plain(std::string_view status, std::string_view body, bool head = false,
                  std::string_view extra = {}) {
  return response(status, "text/plain; charset=utf-8", body, head, extra);
}

}  // namespace

std::string validate_options(const MetricsHttpOptions& options) {
  if (options.bind.empty()) return "--metrics-bind must not be empty";
  if (options.port < 0 || options.port > 65535) {
    return "--metrics-port must be between 0 and 65535, not " + std::to_string(options.port);
  }
  if (!is_loopback(options.bind) && options.token.empty()) {
    return "--metrics-bind " + options.bind +
           " is not a loopback address: a --metrics-token is required";
  }
  return {};
}

namespace {

class Session;

// The server's state, shared with its sessions (MetricsHttpServer::Impl is private).
struct Endpoint {
  MetricsHttpOptions options;
  MetricsHttpServer::Render render;
  std::set<Session*> sessions;  // open ones; io thread only
  asio::io_context io{1};
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;
  int port = 0;
  std::mutex mu;  // start/stop from different threads (signal handling)
  bool started = false;

  void accept();
  std::string answer(std::string_view request);
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Endpoint& owner)
      : socket_(std::move(socket)), buf_(kMaxRequestBytes), timer_(owner.io), owner_(owner) {
    owner_.sessions.insert(this);
  }
  ~Session() { owner_.sessions.erase(this); }

  void start() {
    timer_.expires_after(kSessionTimeout);
    timer_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!ec) self->close();  // a client that never finishes its request
    });
    asio::async_read_until(
        socket_, buf_, "\r\n\r\n",
        [self = shared_from_this()](std::error_code ec, size_t n) { self->on_request(ec, n); });
  }

  // Its pending handlers then complete (aborted) and drop the last references.
  void close() {
    std::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

 private:
  void on_request(std::error_code ec, size_t n) {
    if (ec == asio::error::not_found) {  // the buffer filled before the headers ended
      reply(plain("431 Request Header Fields Too Large", "request too large\n"));
      return;
    }
    if (ec) {
      close();
      return;
    }
    std::string_view data(static_cast<const char*>(buf_.data().data()), n);
    reply(owner_.answer(data));
  }

  void reply(std::string text) {
    response_ = std::move(text);
    asio::async_write(socket_, asio::buffer(response_),
                      [self = shared_from_this()](std::error_code, size_t) {
                        std::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                        self->close();
                      });
  }

  tcp::socket socket_;
  asio::streambuf buf_;
  asio::steady_timer timer_;
  std::string response_;
  Endpoint& owner_;
};

std::string Endpoint::answer(std::string_view request) {
  const size_t line_end = request.find("\r\n");
  const std::string_view line = request.substr(0, line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0) {
    return plain("400 Bad Request", "expected an HTTP/1.x request line\n");
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  const bool head = method == "HEAD";
  if (method != "GET" && !head) {
    return plain("405 Method Not Allowed", "only GET and HEAD\n", false, "Allow: GET, HEAD\r\n");
  }
  if (target != "/metrics") {
    return plain("404 Not Found", "the metrics are at /metrics\n", head);
  }
  if (!options.token.empty()) {
    std::string_view credentials;
    for (size_t at = line_end + 2; at < request.size();) {
      size_t end = request.find("\r\n", at);
      if (end == std::string_view::npos) end = request.size();
      std::string_view header = request.substr(at, end - at);
      if (iequals_prefix(header, "authorization:")) {
        credentials = trim(header.substr(sizeof "authorization:" - 1));
      }
      at = end + 2;
    }
    if (!iequals_prefix(credentials, "bearer ") ||
        !same_secret(trim(credentials.substr(7)), options.token)) {
      return plain("401 Unauthorized", "a bearer token is required (Authorization: Bearer TOKEN)\n",
                   head, "WWW-Authenticate: Bearer realm=\"hakmem\"\r\n");
    }
  }
  try {
    return response("200 OK", "text/plain; version=0.0.4; charset=utf-8", render(), head);
  } catch (const std::exception& e) {
    return plain("500 Internal Server Error", std::string(e.what()) + "\n", head);
  }
}

void Endpoint::accept() {
  acceptor->async_accept([this](std::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;  // stopping
    if (!ec) {
      if (sessions.size() >= kMaxSessions) {
        std::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Session>(std::move(socket), *this)->start();
      }
    }
    accept();
  });
}

}  // namespace

struct MetricsHttpServer::Impl : Endpoint {};

MetricsHttpServer::MetricsHttpServer(MetricsHttpOptions options, Render render)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->render = std::move(render);
}

MetricsHttpServer::~MetricsHttpServer() {
  stop();
}

std::string MetricsHttpServer::start() {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.started) return "metrics server already started";
  if (std::string err = validate_options(m.options); !err.empty()) return err;
  const std::string where = m.options.bind + ":" + std::to_string(m.options.port);
  try {
    tcp::resolver resolver(m.io);
    auto results = resolver.resolve(m.options.bind, std::to_string(m.options.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service);
    const tcp::endpoint endpoint = results.begin()->endpoint();
    m.acceptor = std::make_unique<tcp::acceptor>(m.io, endpoint.protocol());
    m.acceptor->set_option(tcp::acceptor::reuse_address(true));
    m.acceptor->bind(endpoint);
    m.acceptor->listen();
    m.port = m.acceptor->local_endpoint().port();
  } catch (const std::system_error& e) {
    m.acceptor.reset();
    return "cannot listen for metrics on " + where + ": " + e.code().message();
  }
  m.accept();
  m.started = true;
  m.thread = std::thread([&m] { m.io.run(); });
  return {};
}

int MetricsHttpServer::port() const {
  return impl_->port;
}

std::string MetricsHttpServer::address() const {
  const std::string& host = impl_->options.bind;
  return (host.find(':') != std::string::npos && host.front() != '[' ? "[" + host + "]" : host) +
         ":" + std::to_string(impl_->port);
}

void MetricsHttpServer::stop() {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (!m.started) return;
  m.started = false;
  // Closing the listener and every session leaves the io_context without work: run() returns.
  asio::post(m.io, [&m] {
    std::error_code ignored;
    m.acceptor->close(ignored);
    for (Session* s : std::vector<Session*>(m.sessions.begin(), m.sessions.end())) s->close();
  });
  if (m.thread.joinable()) m.thread.join();
  m.acceptor.reset();
}

}  // namespace hakmem::metrics
