// A connection's input side: reading the socket, parsing requests, and handing them to the
// workers in order (or running AUTH/QUIT here). Apart from connection.cpp (lifecycle) and
// connection_output.cpp (replies, their memory budget, writing) so that each of the three reads
// as one path through the connection.
#include <string>

#include "connection.h"

namespace hakmem::server {

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

}  // namespace hakmem::server
