// One client connection, owned by one I/O thread. Everything here except deliver() runs on that
// thread, so the connection's state needs no locks. Includes asio: keep it out of public headers.
#pragma once

#include <array>
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

#include "client_registry.h"
#include "footprint.h"
#include "request.h"
#include "resp_parser.h"
#include "resp_writer.h"
#include "server_core.h"
#include "session.h"

namespace hakmem::server {

class Connection;

// An io_context with its one thread and the connections it owns.
struct IoThread {
  asio::io_context io{1};
  std::unordered_set<std::shared_ptr<Connection>> connections;  // touched on this thread only
  std::unique_ptr<asio::steady_timer> sweep_timer;
  std::thread thread;
};

// Reply memory: every reply's bytes are reserved (by the worker, before it builds the larger
// ones) from the connection's budget and the server's (ReplyMemory), and released once written or
// dropped. Replies must fit in --max-output-bytes together, except the next one in order once
// every earlier reply has been written (within the server's room), so any allowed reply is built
// and a connection always makes progress once its client reads.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket socket, IoThread& home, ServerCore& core);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  // Any thread (a worker): hands the reply for `sequence` back to the connection's thread.
  static void deliver(std::shared_ptr<Connection> connection, uint64_t sequence, Reply* reply);
  // Any thread: this connection's registry entry (null before start()).
  const ClientEntry* client() const { return client_.get(); }
  // Any thread (a worker): the request's reply had no room; run it again once replies drain.
  static void defer(std::shared_ptr<Connection> connection, Request* request);

  // Called by workers: room for the reply of request `sequence`; and the adjustments once a
  // reply's real size is known.
  bool try_reserve(uint64_t sequence, size_t bytes);
  void reply_account(size_t bytes);
  void reply_release(size_t bytes);

  // Shutdown: stop reading; close once every request already read has been answered.
  void begin_drain();
  // Closes now (errors, idle clients, forced shutdown).
  void close();
  // Sends what is queued, then FIN; keeps reading (and dropping) input for a moment so that
  // unread client bytes do not turn the close into a reset that would discard our last replies.
  void close_gracefully();
  // Closes the connection when it made no progress for `timeout`; true if it did.
  bool close_if_idle(std::chrono::steady_clock::time_point now, std::chrono::seconds timeout);

 private:
  void pump();  // parses what is buffered, reads more when allowed, closes when finished
  void process_input();
  bool input_blocked() const;
  void dispatch(Request* request);
  void run_here(Request* request, uint64_t sequence);
  void submit_waiting();
  void resubmit_deferred();
  void wait_for_reply_memory();
  void update_open_sequence();
  void on_deferred(Request* request);
  std::function<void()> on_queue_room();
  void drop_reply(Reply* reply);  // releases its bytes and frees it
  void place_reply(uint64_t sequence, Reply* reply);
  void local_reply(uint64_t sequence, std::string_view bytes);
  void on_reply(uint64_t sequence, Reply* reply);
  void on_read(const std::error_code& ec, size_t n);
  void flush_writes();
  void on_written(const std::error_code& ec);
  void finish_if_done();
  void finish(bool graceful);
  void linger_read();
  void publish_buffers();  // CLIENT LIST's qbuf, argv-mem and oll
  uint64_t outstanding() const { return next_sequence_ - write_sequence_; }

  asio::ip::tcp::socket socket_;
  IoThread& home_;
  ServerCore& core_;
  RespParser parser_;
  std::array<char, ClientEntry::kReadBufferBytes> read_buffer_;
  size_t read_pos_ = 0;
  size_t read_len_ = 0;

  bool reading_ = false;
  bool writing_ = false;
  bool eof_ = false;
  bool draining_ = false;
  bool closed_ = false;     // no more requests or replies; counted out of connections_current
  bool lingering_ = false;  // closed_, but the socket stays open until the client's FIN
  Session session_;
  std::shared_ptr<ClientEntry> client_;  // this connection in core_.clients (CLIENT LIST)
  std::optional<uint64_t> close_after_;  // QUIT or a protocol error: close once this is written

  struct Waiting {
    Request* request;
    Footprint footprint;
  };
  struct Running {
    uint64_t sequence;
    Footprint footprint;
  };
  // Parsed and sequenced, not yet given to a worker: behind a conflicting running request of
  // this connection, or behind a full worker queue (waiting_for_room_). In request order.
  std::deque<Waiting> waiting_;
  std::deque<Running> running_;  // at a worker; in request order
  bool waiting_for_room_ = false;
  uint64_t next_sequence_ = 0;
  uint64_t write_sequence_ = 0;  // first sequence not yet handed to the socket
  std::deque<Reply*> pending_;   // replies for [write_sequence_, next_sequence_); null = not ready
  std::vector<Reply*> batch_;    // replies being written
  std::vector<asio::const_buffer> batch_buffers_;
  size_t unsent_bytes_ = 0;             // ready or being written
  size_t ready_replies_ = 0;            // ready or being written
  std::atomic<size_t> reply_bytes_{0};  // reserved: being built, ready or being written
  uint64_t in_order_ = 0;               // first sequence whose reply is not here yet
  // in_order_ once every earlier reply is written, else none: its reply may pass the budget.
  std::atomic<uint64_t> open_sequence_{0};
  // Requests whose reply had no room, still in running_ (their footprint holds), by sequence;
  // they go back to a worker as replies are written (or they become first in order).
  std::deque<Request*> deferred_;
  bool waiting_for_memory_ = false;  // woken by ReplyMemory
  std::chrono::steady_clock::time_point last_activity_;
  asio::steady_timer linger_timer_;
};

}  // namespace hakmem::server
