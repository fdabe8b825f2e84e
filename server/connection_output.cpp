// A connection's output side: the reply memory budget (reserve, account, release), requests
// deferred for want of room, replies placed in request order, and the batched writes. Apart from
// connection.cpp (lifecycle) and connection_input.cpp (reading, parsing, submitting) so that each
// of the three reads as one path through the connection.
#include <algorithm>

#include "connection.h"

namespace hakmem::server {
namespace {

constexpr size_t kMaxBatchReplies = 64;
constexpr size_t kMaxBatchBytes = 256 * 1024;

}  // namespace

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

}  // namespace hakmem::server
