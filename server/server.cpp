#include "server.h"

#include <fmt/format.h>
#include <asio.hpp>

#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "connection.h"
#include "server_core.h"

#ifdef HAKMEM_SERVER_WITH_HAKMEM
#include <hakmem/hakmem.h>
#endif

namespace hakmem::server {

static void reset_stats(ServerCore& core);

struct Server::Impl {
  explicit Impl(ServerConfig config) : core(std::move(config)) {}

  ServerCore core;
  std::vector<std::unique_ptr<IoThread>> io_threads;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor;
  std::unique_ptr<asio::steady_timer> accept_retry;
  size_t next_io = 0;
  uint16_t port = 0;
  std::vector<Service> services;
  bool started = false;
  bool stopped = false;
  std::mutex stop_mutex;  // stop() may race from a signal thread and an admin RPC

  void accept();
  void on_accept(const std::error_code& ec, asio::ip::tcp::socket socket, IoThread& target);
  void sweep(IoThread& io);
  // Runs fn on each I/O thread and waits for it.
  void on_every_io_thread(const std::function<void(IoThread&)>& fn);
};

Server::Server(ServerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Server::~Server() {
  stop();
}

uint16_t Server::port() const {
  return impl_->port;
}
const ServerConfig& Server::config() const {
  return impl_->core.config;
}
Arena& Server::arena() {
  return *impl_->core.arena;
}
Store& Server::store() {
  return *impl_->core.store;
}
void Server::add_service(Service service) {
  impl_->services.push_back(std::move(service));
}

void Server::start() {
  Impl& m = *impl_;
  ServerCore& core = m.core;
  ServerConfig& config = core.config;
  if (m.started) throw StartupError("server already started");
  if (config.io_threads == 0) throw StartupError("--io-threads must be at least 1");
  if (config.workers == 0) throw StartupError("--workers must be at least 1");
  if (config.max_pipeline == 0) throw StartupError("--max-pipeline must be at least 1");
  if (config.max_request_bytes < 16) throw StartupError("--max-request-bytes is too small");
  if (config.max_reply_bytes == 0) config.max_reply_bytes = 16 * config.max_output_bytes;
  if (config.max_reply_bytes < 64) throw StartupError("--max-reply-bytes is too small");
  // Replies built out of order get half the server's room; one in order must always fit.
  if (config.max_total_output_bytes < 2 * config.max_reply_bytes) {
    throw StartupError("--max-total-output-bytes must be at least twice --max-reply-bytes");
  }
  if (config.arena.empty()) config.arena = default_arena_name();
  try {
    ArenaOptions arena_options;
    arena_options.route = config.route;
    core.arena = make_arena(config.arena, arena_options);
  } catch (const std::exception& e) {
    throw StartupError(e.what());
  }

  asio::ip::tcp::endpoint endpoint;
  try {
    endpoint = asio::ip::tcp::endpoint(asio::ip::make_address(config.bind), config.port);
  } catch (const std::exception&) {
    throw StartupError("invalid --bind address '" + config.bind + "'");
  }
  for (unsigned i = 0; i < config.io_threads; ++i)
    m.io_threads.push_back(std::make_unique<IoThread>());
  // Bind before opening the store, so "port in use" does not touch the data directory.
  try {
    m.acceptor = std::make_unique<asio::ip::tcp::acceptor>(m.io_threads[0]->io);
    m.acceptor->open(endpoint.protocol());
    m.acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true));
    m.acceptor->bind(endpoint);
    m.acceptor->listen(asio::socket_base::max_listen_connections);
    m.port = m.acceptor->local_endpoint().port();
  } catch (const std::system_error& e) {
    throw StartupError(
        fmt::format("cannot listen on {}:{}: {}", config.bind, config.port, e.code().message()));
  }

  try {
    if (core.arena->serves_block_cache()) config.store.block_cache_arena = core.arena;
    config.store.arena = core.arena;
    core.store = make_store(config.store);
  } catch (const std::exception& e) {
    throw StartupError(e.what());
  }
  core.runtime_config =
      std::make_unique<RuntimeConfig>(config, core.limits, core.slowlog, [&m] { return m.port; });
  core.executor =
      std::make_unique<CommandExecutor>(*core.store, *core.arena, config, *this, core.counters);
  core.introspection = std::make_unique<Introspection>(Introspection{
      core.clients, core.slowlog, *core.runtime_config, [&core] { reset_stats(core); }});
  core.executor->set_introspection(core.introspection.get());
  core.expiry = std::make_unique<ActiveExpiry>(*core.store, core.executor->locks());
  core.expiry->start(std::chrono::milliseconds(100));
  core.pool = std::make_unique<WorkerPool>(config.workers, config.queue_capacity,
                                           [&core](Job& job) { worker_step(core, job); });

  for (auto& io : m.io_threads) {
    m.guards.push_back(asio::make_work_guard(io->io));
    io->sweep_timer = std::make_unique<asio::steady_timer>(io->io);
    IoThread* raw = io.get();
    asio::post(io->io, [&m, raw] { m.sweep(*raw); });
    io->thread = std::thread([raw] { raw->io.run(); });
  }
  m.accept_retry = std::make_unique<asio::steady_timer>(m.io_threads[0]->io);
  asio::post(m.io_threads[0]->io, [&m] { m.accept(); });
  m.started = true;
  for (auto& service : m.services) {
    if (service.start) service.start(*this);
  }
}

// CONFIG RESETSTAT: what INFO counts, as Redis resets it (not the slowlog, not the gauges).
static void reset_stats(ServerCore& core) {
  core.counters.reset();
  core.latency.reset();
  core.connections_total.store(0, std::memory_order_relaxed);
  core.connections_rejected.store(0, std::memory_order_relaxed);
  core.disconnects_protocol.store(0, std::memory_order_relaxed);
  core.disconnects_idle.store(0, std::memory_order_relaxed);
#ifdef HAKMEM_SERVER_WITH_HAKMEM
  hak_counters_reset();
#endif
}

void Server::Impl::accept() {
  if (!acceptor || !acceptor->is_open()) return;
  IoThread& target = *io_threads[next_io++ % io_threads.size()];
  acceptor->async_accept(target.io,
                         [this, &target](const std::error_code& ec, asio::ip::tcp::socket socket) {
                           on_accept(ec, std::move(socket), target);
                         });
}

void Server::Impl::on_accept(const std::error_code& ec, asio::ip::tcp::socket socket,
                             IoThread& target) {
  if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
  if (ec) {
    // Out of file descriptors and the like: retry shortly instead of spinning.
    fmt::print(stderr, "hakmem-server: accept failed: {}\n", ec.message());
    accept_retry->expires_after(std::chrono::milliseconds(100));
    accept_retry->async_wait([this](const std::error_code& e) {
      if (!e) accept();
    });
    return;
  }
  if (core.connections_current.load(std::memory_order_relaxed) >=
      core.limits.max_clients.load(std::memory_order_relaxed)) {
    core.connections_rejected.fetch_add(1, std::memory_order_relaxed);
    static constexpr std::string_view kFull = "-ERR max number of clients reached\r\n";
    std::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(kFull.data(), kFull.size()), ignored);
    socket.close(ignored);
  } else {
    auto connection = std::make_shared<Connection>(std::move(socket), target, core);
    asio::post(target.io, [connection] { connection->start(); });
  }
  accept();
}

void Server::Impl::sweep(IoThread& io) {
  if (unsigned timeout = core.limits.idle_timeout_s.load(std::memory_order_relaxed)) {
    auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<Connection>> all(io.connections.begin(), io.connections.end());
    for (auto& c : all) c->close_if_idle(now, std::chrono::seconds(timeout));
  }
  io.sweep_timer->expires_after(std::chrono::seconds(1));
  io.sweep_timer->async_wait([this, &io](const std::error_code& ec) {
    if (!ec) sweep(io);
  });
}

void Server::Impl::on_every_io_thread(const std::function<void(IoThread&)>& fn) {
  for (auto& io : io_threads) {
    std::promise<void> done;
    asio::post(io->io, [&] {
      fn(*io);
      done.set_value();
    });
    done.get_future().wait();
  }
}

void Server::stop() {
  Impl& m = *impl_;
  std::lock_guard lock(m.stop_mutex);
  if (!m.started || m.stopped) return;
  m.stopped = true;
  for (auto it = m.services.rbegin(); it != m.services.rend(); ++it) {
    if (it->stop) it->stop();
  }
  ServerCore& core = m.core;
  m.on_every_io_thread([&m](IoThread& io) {
    if (&io == m.io_threads[0].get()) {
      std::error_code ignored;
      m.acceptor->close(ignored);
      m.accept_retry->cancel();
    }
    std::vector<std::shared_ptr<Connection>> all(io.connections.begin(), io.connections.end());
    for (auto& c : all) c->begin_drain();
  });
  // Requests already read get their replies; the deadline only guards against stuck clients.
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(core.config.shutdown_timeout_s);
  while ((core.connections_current.load() > 0 || core.connections_lingering.load() > 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  m.on_every_io_thread([](IoThread& io) {
    std::vector<std::shared_ptr<Connection>> all(io.connections.begin(), io.connections.end());
    for (auto& c : all) c->close();
    io.sweep_timer->cancel();
  });
  core.expiry->stop();
  core.pool->stop();  // runs what is still queued; late replies go to closed connections
  m.guards.clear();   // each io_context returns once its last handler ran
  for (auto& io : m.io_threads) {
    if (io->thread.joinable()) io->thread.join();
  }
  // Objects bound to an io_context go before it.
  m.acceptor.reset();
  m.accept_retry.reset();
  m.io_threads.clear();
  try {
    core.store->flush();
  } catch (const std::exception& e) {
    fmt::print(stderr, "hakmem-server: flush at shutdown failed: {}\n", e.what());
  }
}

StatsSnapshot Server::stats() const {
  const Impl& m = *impl_;
  const ServerCore& core = m.core;
  StatsSnapshot s;
  s.uptime_s = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::steady_clock::now() - core.started)
                                         .count());
  s.port = m.port;
  s.io_threads = core.config.io_threads;
  s.workers = core.config.workers;
  s.connections_current = core.connections_current.load(std::memory_order_relaxed);
  s.max_clients = core.limits.max_clients.load(std::memory_order_relaxed);
  s.connections_total = core.connections_total.load(std::memory_order_relaxed);
  s.connections_rejected = core.connections_rejected.load(std::memory_order_relaxed);
  s.disconnects_protocol = core.disconnects_protocol.load(std::memory_order_relaxed);
  s.disconnects_idle = core.disconnects_idle.load(std::memory_order_relaxed);
  s.commands_processed = core.counters.total();
  s.command_counts = core.counters.nonzero();
  if (core.pool) {
    s.queue_depth = core.pool->depth();
    s.queue_capacity = core.pool->capacity();
  }
  s.service_latency = core.latency.summary();
  s.service_latency_buckets = core.latency.buckets(10, 33);
  s.arena = arena_counters();
  if (core.arena) s.allocator = core.arena->report();
  s.system_malloc_bytes_in_use = system_malloc_in_use();
  auto [rss, peak] = read_rss_bytes();
  s.rss_bytes = rss;
  s.peak_rss_bytes = peak;
  return s;
}

}  // namespace hakmem::server
