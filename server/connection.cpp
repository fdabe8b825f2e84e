#include "connection.h"

#include <algorithm>
#include <string>

#include "client_registry.h"

namespace hakmem::server {
namespace {

constexpr size_t kMaxBatchReplies = 64;
constexpr size_t kMaxBatchBytes = 256 * 1024;

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

bool Connection::input_blocked() const {
  return closed_ || draining_ || close_after_.has_value() || waiting_for_room_ ||
         !deferred_.empty() ||
         outstanding() >= core_.limits.max_pipeline.load(std::memory_order_relaxed) ||
         unsent_bytes_ >= core_.limits.max_output_bytes.load(std::memory_order_relaxed);
}

void Connection::publish_buffers() {
  if (!client_) return;
  client_->query_bytes.store(read_len_ - read_pos_, std::memory_order_relaxed);
  client_->argv_bytes.store(parser_.partial_bytes(), std::memory_order_relaxed);
  client_->replies_queued.store(ready_replies_, std::memory_order_relaxed);
}

void Connection::pump() {
  if (closed_) return;
  process_input();
  publish_buffers();
  if (closed_) return;
  if (!reading_ && !eof_ && !draining_ && read_pos_ == read_len_ && !input_blocked()) {
    reading_ = true;
    socket_.async_read_some(
        asio::buffer(read_buffer_),
        [self = shared_from_this()](const std::error_code& ec, size_t n) { self->on_read(ec, n); });
  }
  finish_if_done();
}

void Connection::on_read(const std::error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) {
    if (lingering_) ec ? close() : linger_read();  // drop input until the client's FIN
    return;
  }
  if (ec) {
    if (ec != asio::error::eof) return close();
    eof_ = true;  // answer what was already sent, then close (like a half-closed pipe)
  } else {
    read_pos_ = 0;
    read_len_ = n;
    last_activity_ = std::chrono::steady_clock::now();
  }
  pump();
}

void Connection::process_input() {
  while (read_pos_ < read_len_ && !input_blocked()) {
    size_t consumed = 0;
    RespParser::Result result;
    try {
      result = parser_.parse(read_buffer_.data() + read_pos_, read_len_ - read_pos_, &consumed);
    } catch (const std::bad_alloc&) {
      // The arena is exhausted: this client goes, the server and the others stay.
      uint64_t sequence = next_sequence_++;
      pending_.push_back(nullptr);
      close_after_ = sequence;
      read_pos_ = read_len_;
      local_reply(sequence, "-ERR out of memory\r\n");
      return;
    }
    read_pos_ += consumed;
    if (result == RespParser::Result::kRequest) {
      dispatch(parser_.take_request());
    } else if (result == RespParser::Result::kError) {
      // Answer in order, then disconnect: nothing after a malformed frame can be trusted.
      core_.disconnects_protocol.fetch_add(1, std::memory_order_relaxed);
      uint64_t sequence = next_sequence_++;
      pending_.push_back(nullptr);
      close_after_ = sequence;
      read_pos_ = read_len_;
      local_reply(sequence, "-ERR " + parser_.error() + "\r\n");
    }
  }
}

void Connection::dispatch(Request* request) {
  uint64_t sequence = next_sequence_++;
  pending_.push_back(nullptr);
  request_bind_command(*request);
  const CommandSpec* command = request->command;
  if (client_) client_->touch(request->arg(0), subcommand_for_display(*request));
  if (!session_.authenticated && (command == nullptr || !command->no_auth)) {
    request_destroy(request, *core_.arena);
    local_reply(sequence, "-NOAUTH Authentication required.\r\n");
    return;
  }
  if (command != nullptr && command->runs_on == RunsOn::kConnection) {
    return run_here(request, sequence);
  }
  request->protocol = static_cast<uint8_t>(session_.protocol);
  request->sequence = sequence;
  request->enqueued_ns = monotonic_ns();
  waiting_.push_back(Waiting{request, footprint_of(*request)});
  submit_waiting();
}

// Commands that change the connection's state (AUTH, QUIT) run here, in request order, and
// their reply takes its place among the workers' replies.
void Connection::run_here(Request* request, uint64_t sequence) {
  Reply* reply = nullptr;
  try {
    RespWriter out(*core_.arena);
    out.set_protocol(session_.protocol);  // HELLO switches it for its own reply
    core_.executor->execute(*request, out, &session_);
    reply = out.finish();
  } catch (const std::bad_alloc&) {
    reply = reply_from_bytes(*core_.arena, "-ERR out of memory\r\n");
  }
  request_destroy(request, *core_.arena);
  if (session_.close_after_reply) close_after_ = sequence;
  reply_account(reply->size);  // every reply's bytes are held until written (drop_reply)
  place_reply(sequence, reply);
}

// Hands waiting requests to the workers, in order, while the next one cannot observe a request
// of this connection that is still running and the worker queue has room.
void Connection::submit_waiting() {
  resubmit_deferred();
  while (!waiting_.empty() && !waiting_for_room_ && !closed_) {
    Waiting& next = waiting_.front();
    for (const Running& r : running_) {
      if (next.footprint.conflicts_with(r.footprint)) return;  // resumed by on_reply
    }
    // Read before submitting: a worker may run and free the request at once.
    const uint64_t sequence = next.request->sequence;
    bool queued = core_.pool->try_submit(Job(next.request, shared_from_this()), on_queue_room());
    if (!queued) {
      waiting_for_room_ = true;  // also stops reading: a full queue is back-pressure
      return;
    }
    running_.push_back(Running{sequence, std::move(next.footprint)});
    waiting_.pop_front();  // the worker owns the request now
  }
}

std::function<void()> Connection::on_queue_room() {
  std::weak_ptr<Connection> weak = weak_from_this();
  asio::io_context& io = home_.io;
  return [weak, &io] {
    // Called on a worker thread when the queue has room again.
    asio::post(io, [weak] {
      if (auto self = weak.lock()) {
        self->waiting_for_room_ = false;
        self->submit_waiting();
        self->pump();
      }
    });
  };
}

// The same rules as try_reserve, checked here first so that a deferred request goes back to a
// worker only when it has room (unless something changed meanwhile).
void Connection::resubmit_deferred() {
  if (closed_ || waiting_for_room_) return;
  size_t held = reply_bytes_.load(std::memory_order_relaxed);
  const uint64_t open = open_sequence_.load(std::memory_order_relaxed);
  while (!deferred_.empty()) {
    Request* next = deferred_.front();
    const bool first = next->sequence == open;
    if (!first &&
        held + next->reply_bytes > core_.limits.max_output_bytes.load(std::memory_order_relaxed))
      return;
    if (!core_.reply_memory.fits(next->reply_bytes, first)) return wait_for_reply_memory();
    if (!core_.pool->try_submit(Job(next, shared_from_this()), on_queue_room())) {
      waiting_for_room_ = true;
      return;
    }
    deferred_.pop_front();
    held += next->reply_bytes;
  }
}

void Connection::wait_for_reply_memory() {
  if (waiting_for_memory_) return;
  waiting_for_memory_ = true;
  std::weak_ptr<Connection> weak = weak_from_this();
  asio::io_context& io = home_.io;
  core_.reply_memory.wait([weak, &io] {
    asio::post(io, [weak] {
      if (auto self = weak.lock()) {
        self->waiting_for_memory_ = false;
        self->submit_waiting();
        self->pump();
      }
    });
  });
}

void Connection::defer(std::shared_ptr<Connection> connection, Request* request) {
  asio::io_context& io = connection->home_.io;
  asio::post(io, [connection, request] { connection->on_deferred(request); });
}

void Connection::on_deferred(Request* request) {
  if (closed_) return request_destroy(request, *core_.arena);
  auto at =
      std::lower_bound(deferred_.begin(), deferred_.end(), request->sequence,
                       [](const Request* r, uint64_t sequence) { return r->sequence < sequence; });
  deferred_.insert(at, request);
  resubmit_deferred();
}

bool Connection::try_reserve(uint64_t sequence, size_t bytes) {
  const bool first = sequence == open_sequence_.load(std::memory_order_acquire);
  size_t held = reply_bytes_.load(std::memory_order_relaxed);
  do {
    if (!first && held + bytes > core_.limits.max_output_bytes.load(std::memory_order_relaxed))
      return false;
  } while (!reply_bytes_.compare_exchange_weak(held, held + bytes, std::memory_order_relaxed));
  if (core_.reply_memory.try_add(bytes, first)) {
    if (client_) client_->reply_bytes.fetch_add(bytes, std::memory_order_relaxed);
    return true;
  }
  reply_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  return false;
}

void Connection::reply_account(size_t bytes) {
  reply_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  if (client_) client_->reply_bytes.fetch_add(bytes, std::memory_order_relaxed);
  core_.reply_memory.add(bytes);
}

void Connection::reply_release(size_t bytes) {
  if (bytes == 0) return;
  reply_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  if (client_) client_->reply_bytes.fetch_sub(bytes, std::memory_order_relaxed);
  core_.reply_memory.release(bytes);
}

void Connection::drop_reply(Reply* reply) {
  if (reply == nullptr) return;
  reply_release(reply->size);
  reply_destroy(reply, *core_.arena);
}

void Connection::deliver(std::shared_ptr<Connection> connection, uint64_t sequence, Reply* reply) {
  asio::io_context& io = connection->home_.io;
  asio::post(io, [connection = std::move(connection), sequence, reply] {
    connection->on_reply(sequence, reply);
  });
}

void Connection::on_reply(uint64_t sequence, Reply* reply) {
  if (closed_) return drop_reply(reply);
  for (auto it = running_.begin(); it != running_.end(); ++it) {
    if (it->sequence == sequence) {
      running_.erase(it);
      break;
    }
  }
  place_reply(sequence, reply);
  submit_waiting();
  pump();
}

void Connection::local_reply(uint64_t sequence, std::string_view bytes) {
  Reply* reply = reply_from_bytes(*core_.arena, bytes);
  reply_account(reply->size);
  place_reply(sequence, reply);
}

void Connection::place_reply(uint64_t sequence, Reply* reply) {
  pending_[sequence - write_sequence_] = reply;
  unsent_bytes_ += reply->size;
  ++ready_replies_;
  publish_buffers();
  if (sequence == in_order_) {
    while (in_order_ < next_sequence_ && pending_[in_order_ - write_sequence_] != nullptr) {
      ++in_order_;
    }
  }
  flush_writes();
}

// Called whenever in_order_, write_sequence_ or writing_ change (flush_writes, on_written).
void Connection::update_open_sequence() {
  const bool all_written = write_sequence_ == in_order_ && !writing_;
  const uint64_t open = all_written ? in_order_ : UINT64_MAX;
  if (open_sequence_.exchange(open, std::memory_order_acq_rel) != open && all_written) {
    resubmit_deferred();  // a deferred request may be the open one now
  }
}

void Connection::flush_writes() {
  if (writing_ || closed_) return;  // on_written flushes again
  size_t bytes = 0;
  while (!pending_.empty() && pending_.front() != nullptr && batch_.size() < kMaxBatchReplies &&
         bytes < kMaxBatchBytes) {
    Reply* reply = pending_.front();
    pending_.pop_front();
    ++write_sequence_;
    batch_.push_back(reply);
    batch_buffers_.emplace_back(reply->data(), reply->size);
    bytes += reply->size;
  }
  if (batch_.empty()) return update_open_sequence();
  writing_ = true;
  update_open_sequence();
  asio::async_write(
      socket_, batch_buffers_,
      [self = shared_from_this()](const std::error_code& ec, size_t) { self->on_written(ec); });
}

void Connection::on_written(const std::error_code& ec) {
  writing_ = false;
  ready_replies_ -= batch_.size();
  publish_buffers();
  for (Reply* reply : batch_) {
    unsent_bytes_ -= reply->size;
    drop_reply(reply);  // usually allocated by a worker: a cross-thread free
  }
  batch_.clear();
  batch_buffers_.clear();
  if (closed_) return;
  if (ec) return close();
  last_activity_ = std::chrono::steady_clock::now();
  if (close_after_ && write_sequence_ > *close_after_) return close_gracefully();
  flush_writes();
  resubmit_deferred();
  pump();
}

void Connection::finish_if_done() {
  if (closed_ || writing_ || outstanding() > 0) return;
  if (draining_ || (eof_ && read_pos_ == read_len_)) close_gracefully();
}

}  // namespace hakmem::server
