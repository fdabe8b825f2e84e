#include "worker_pool.h"

#include <optional>

#include "connection.h"
#include "server_core.h"

namespace hakmem::server {

WorkerPool::WorkerPool(unsigned workers, size_t capacity, Handler handler)
    : capacity_(capacity == 0 ? 1 : capacity), handler_(std::move(handler)) {
  if (workers == 0) workers = 1;
  threads_.reserve(workers);
  for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() {
  stop();
}

bool WorkerPool::try_submit(Job job, std::function<void()> on_room) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= capacity_ || stopping_) {
      if (!stopping_) waiting_.push_back(std::move(on_room));
      return false;
    }
    queue_.push_back(std::move(job));
  }
  not_empty_.notify_one();
  return true;
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    waiting_.clear();
  }
  not_empty_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

size_t WorkerPool::depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void WorkerPool::run() {
  for (;;) {
    Job job;
    std::vector<std::function<void()>> wake;
    {
      std::unique_lock lock(mutex_);
      not_empty_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      job = std::move(queue_.front());
      queue_.pop_front();
      // Wake producers only once half the queue is free, so they do not thrash at the edge.
      if (!waiting_.empty() && queue_.size() <= capacity_ / 2) wake.swap(waiting_);
    }
    for (auto& callback : wake) callback();
    handler_(job);
  }
}

}  // namespace hakmem::server

namespace hakmem::server {

// A reply that has no room in the connection's or the server's reply budget is not built: the
// request goes back to its connection, which runs it again once its replies have drained.
void worker_step(ServerCore& core, Job& job) {
  Arena& arena = *core.arena;
  Request* request = job.request;
  struct RequestBudget final : ReplyBudget {
    Connection* connection;
    uint64_t sequence;
    bool try_reserve(size_t bytes) override { return connection->try_reserve(sequence, bytes); }
  };
  RequestBudget budget;
  budget.connection = job.connection.get();
  budget.sequence = request->sequence;
  Reply* reply = nullptr;
  const uint64_t started_ns = monotonic_ns();
  std::optional<RespWriter> out;
  try {
    out.emplace(arena);
    out->set_protocol(request->protocol);
    out->set_budget(budget.connection ? &budget : nullptr, core.config.max_reply_bytes);
    core.executor->execute(*request, *out);
    if (out->deferred()) {
      request->reply_bytes = out->wanted();
      budget.connection->reply_release(out->reserved());
      out.reset();
      Connection::defer(std::move(job.connection), request);
      return;
    }
    reply = out->finish();
  } catch (const ReplyTooLarge& e) {
    reply = reply_from_bytes(arena, std::string("-") + e.what() + "\r\n");
  } catch (const std::bad_alloc&) {
    reply = reply_from_bytes(arena, "-ERR out of memory\r\n");
  } catch (const std::exception& e) {
    // A bug, not bad input: answer it rather than take the whole server down.
    reply = reply_from_bytes(arena, std::string("-ERR internal error: ") + e.what() + "\r\n");
  }
  // The budget holds exactly the reply's bytes from here until it is written.
  const size_t reserved = out ? out->reserved() : 0;
  out.reset();
  if (budget.connection && reply->size > reserved) {
    budget.connection->reply_account(reply->size - reserved);
  }
  if (budget.connection && reply->size < reserved) {
    budget.connection->reply_release(reserved - reply->size);
  }
  const uint64_t done_ns = monotonic_ns();
  core.latency.record(done_ns - request->enqueued_ns);
  const auto exec_us = static_cast<int64_t>((done_ns - started_ns) / 1000);
  if (core.slowlog.wants(exec_us)) {
    const ClientEntry* client = job.connection ? job.connection->client() : nullptr;
    core.slowlog.record(*request, exec_us, client ? client->addr : std::string(),
                        client ? client->name() : std::string());
  }
  uint64_t sequence = request->sequence;
  request_destroy(request, arena);
  Connection::deliver(std::move(job.connection), sequence, reply);
}

}  // namespace hakmem::server
