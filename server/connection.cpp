// A connection's lifecycle: construction and registration (CLIENT LIST), closing (now, or
// gracefully with a short linger so unread input does not reset our last replies), drain at
// shutdown and the idle timeout. Reading and dispatch are in connection_input.cpp, replies and
// writes in connection_output.cpp.
#include "connection.h"

#include <string>

#include "client_registry.h"

namespace hakmem::server {
namespace {

ParserLimits parser_limits(const RuntimeLimits& runtime) {
  ParserLimits limits;
  limits.max_request_bytes = runtime.max_request_bytes.load(std::memory_order_relaxed);
  return limits;
}

std::string endpoint_text(const asio::ip::tcp::endpoint& e) {
  return e.address().to_string() + ":" + std::to_string(e.port());
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, IoThread& home, ServerCore& core)
    : socket_(std::move(socket)),
      home_(home),
      core_(core),
      parser_(*core.arena, parser_limits(core.limits)),
      last_activity_(std::chrono::steady_clock::now()),
      linger_timer_(home.io) {
  core_.connections_current.fetch_add(1, std::memory_order_relaxed);
  core_.connections_total.fetch_add(1, std::memory_order_relaxed);
  session_.authenticated = core.config.requirepass.empty();
}

Connection::~Connection() {
  // Runs on the I/O thread or at shutdown; by then nothing else refers to this connection.
  for (Reply* reply : pending_) reply_destroy(reply, *core_.arena);
  for (Reply* reply : batch_) reply_destroy(reply, *core_.arena);
  for (Waiting& w : waiting_) request_destroy(w.request, *core_.arena);
  for (Request* r : deferred_) request_destroy(r, *core_.arena);
  if (size_t held = reply_bytes_.load(std::memory_order_relaxed)) core_.reply_memory.release(held);
  if (!closed_) core_.connections_current.fetch_sub(1, std::memory_order_relaxed);
  if (client_ && !closed_) core_.clients.remove(client_->id);
  if (lingering_) core_.connections_lingering.fetch_sub(1, std::memory_order_relaxed);
}

void Connection::start() {
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  home_.connections.insert(shared_from_this());
  std::error_code ec1, ec2;
  auto remote = socket_.remote_endpoint(ec1);
  auto local = socket_.local_endpoint(ec2);
  std::weak_ptr<Connection> weak = weak_from_this();
  asio::io_context& io = home_.io;
  client_ =
      core_.clients.add(ec1 ? "?:0" : endpoint_text(remote), ec2 ? "?:0" : endpoint_text(local),
                        socket_.native_handle(), [weak, &io] {  // CLIENT KILL from any thread
                          asio::post(io, [weak] {
                            if (auto self = weak.lock()) self->close();
                          });
                        });
  session_.client = client_.get();
  pump();
}

void Connection::close() {
  finish(false);
}
void Connection::close_gracefully() {
  finish(true);
}

void Connection::finish(bool graceful) {
  if (!closed_) {
    closed_ = true;
    core_.connections_current.fetch_sub(1, std::memory_order_relaxed);
    if (client_) core_.clients.remove(client_->id);
    for (Reply*& reply : pending_) {
      drop_reply(reply);
      reply = nullptr;  // replies still at a worker are freed when they arrive (closed_)
    }
    for (Waiting& w : waiting_) request_destroy(w.request, *core_.arena);
    waiting_.clear();
    for (Request* r : deferred_) request_destroy(r, *core_.arena);
    deferred_.clear();
    // Closing with unread input makes the kernel send a reset, which can discard replies not
    // yet delivered; with nothing unread a plain close sends them, then FIN.
    std::error_code ec;
    bool unread = read_pos_ < read_len_ || socket_.available(ec) > 0 || ec;
    if (graceful && unread && !writing_) {
      socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    }
    if (graceful && unread && !writing_ && !ec) {
      lingering_ = true;
      core_.connections_lingering.fetch_add(1, std::memory_order_relaxed);
      linger_timer_.expires_after(std::chrono::seconds(1));
      linger_timer_.async_wait([self = shared_from_this()](const std::error_code& e) {
        if (!e) self->close();
      });
      if (!reading_) linger_read();
      return;
    }
  } else if (!lingering_) {
    return;
  }
  if (lingering_) {
    lingering_ = false;
    core_.connections_lingering.fetch_sub(1, std::memory_order_relaxed);
    linger_timer_.cancel();
  }
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  // Keep ourselves alive until this call returns: the set may hold the last reference.
  auto self = shared_from_this();
  home_.connections.erase(self);
}

void Connection::linger_read() {
  reading_ = true;
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this()](const std::error_code& ec, size_t n) { self->on_read(ec, n); });
}

void Connection::begin_drain() {
  draining_ = true;
  pump();
}

bool Connection::close_if_idle(std::chrono::steady_clock::time_point now,
                               std::chrono::seconds timeout) {
  if (closed_ || now - last_activity_ < timeout) return false;
  // Requests waiting for a worker are the server's delay, not the client's idleness.
  if (outstanding() > 0 && !writing_) return false;
  core_.disconnects_idle.fetch_add(1, std::memory_order_relaxed);
  close();
  return true;
}

void Connection::finish_if_done() {
  if (closed_ || writing_ || outstanding() > 0) return;
  if (draining_ || (eof_ && read_pos_ == read_len_)) close_gracefully();
}

}  // namespace hakmem::server
