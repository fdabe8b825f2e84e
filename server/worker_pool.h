// Workers that execute requests, fed through one bounded queue. A full queue never blocks the
// producer (an I/O thread): it is told to wait, and called back when room frees up.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "request.h"

namespace hakmem::server {

class Connection;
struct ServerCore;

// A request on its way to a worker, with the connection its reply goes back to.
struct Job {
  Job(Request* r = nullptr, std::shared_ptr<Connection> c = {})
      : request(r), connection(std::move(c)) {}
  Request* request;
  std::shared_ptr<Connection> connection;
};

// The worker's step: execute, free the request (allocated by an I/O thread), post the reply back
// to the connection's I/O thread.
void worker_step(ServerCore& core, Job& job);

class WorkerPool {
 public:
  using Handler = std::function<void(Job&)>;

  WorkerPool(unsigned workers, size_t capacity, Handler handler);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues the request, or (queue full) keeps on_room and returns false without taking the
  // request. on_room runs once, on a worker thread, when the queue has drained to half.
  bool try_submit(Job job, std::function<void()> on_room);
  // Runs everything already queued, then joins the workers. Idempotent.
  void stop();

  size_t depth() const;
  size_t capacity() const { return capacity_; }
  unsigned workers() const { return static_cast<unsigned>(threads_.size()); }

 private:
  void run();

  const size_t capacity_;
  Handler handler_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_;
  std::deque<Job> queue_;
  std::vector<std::function<void()>> waiting_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hakmem::server
