#include "load_engine.hpp"

#include <asio.hpp>

#include <optional>
#include <thread>
#include <vector>

#include "connection.hpp"
#include "ketama.hpp"

namespace hakmem::load {

namespace {

using asio::ip::tcp;
using detail::Connection;
using detail::Mode;
using detail::Shared;
using detail::to_ns;

}  // namespace

struct LoadEngine::Impl {
  explicit Impl(const EngineConfig& c)
      : shared(c),
        servers(c.servers.empty() ? std::vector<ServerAddress>{{c.host, c.port}} : c.servers) {
    if (servers.size() > 1) {
      std::vector<std::string> names;
      for (const auto& s : servers) names.push_back(Ketama::point_name(s.host, s.port));
      ring.emplace(names);
    }
  }
  Shared shared;
  std::vector<ServerAddress> servers;
  std::optional<Ketama> ring;
  // Declared before the connections so sockets are destroyed before their io_context.
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::unique_ptr<StatsSink>> sinks;
  std::vector<std::unique_ptr<Connection>> connections;
  std::vector<int> connection_thread;
  std::vector<std::thread> threads;
  bool stopped = false;

  void post_kick() {
    for (size_t i = 0; i < connections.size(); ++i) {
      Connection* c = connections[i].get();
      asio::post(*ios[static_cast<size_t>(connection_thread[i])], [c] { c->kick(); });
    }
  }
};

LoadEngine::LoadEngine(const EngineConfig& config) : impl_(std::make_unique<Impl>(config)) {
  const int threads = std::max(1, std::min(config.threads, config.connections));
  for (int t = 0; t < threads; ++t) {
    impl_->ios.push_back(std::make_unique<asio::io_context>(1));
    impl_->guards.push_back(asio::make_work_guard(*impl_->ios.back()));
    impl_->sinks.push_back(std::make_unique<StatsSink>(impl_->servers.size()));
  }
  for (int i = 0; i < config.connections; ++i) {
    const int t = i % threads;
    impl_->connections.push_back(std::make_unique<Connection>(
        *impl_->ios[static_cast<size_t>(t)], impl_->shared, *impl_->sinks[static_cast<size_t>(t)],
        i, impl_->ring ? &*impl_->ring : nullptr, impl_->servers.size()));
    impl_->connection_thread.push_back(t);
  }
}

LoadEngine::~LoadEngine() {
  stop();
}

std::string LoadEngine::connect() {
  auto& s = impl_->shared;
  const auto& servers = impl_->servers;
  asio::io_context resolver_io;
  tcp::resolver resolver(resolver_io);
  std::vector<tcp::resolver::results_type> endpoints;
  for (const auto& server : servers) {
    asio::error_code ec;
    endpoints.push_back(resolver.resolve(server.host, std::to_string(server.port), ec));
    if (ec) return "cannot resolve " + server.host + ": " + ec.message();
  }
  s.connect_pending = static_cast<int>(impl_->connections.size() * servers.size());
  for (auto& c : impl_->connections) c->async_connect(endpoints, servers);
  for (auto& io : impl_->ios) impl_->threads.emplace_back([&io] { io->run(); });
  const auto deadline = Clock::now() + s.config.connect_timeout;
  while (s.connect_pending.load() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::lock_guard lock(s.error_mu);
  if (!s.connect_error.empty()) return s.connect_error;
  if (s.connect_pending.load() > 0) return "connection timed out";
  return "";
}

void LoadEngine::preload(uint64_t n, Stats& out) {
  auto& s = impl_->shared;
  if (n == 0) return;
  s.preload_next = 0;
  s.preload_answered = 0;
  s.preload_target = n;
  s.mode.store(Mode::kPreload, std::memory_order_release);
  impl_->post_kick();
  while (s.preload_answered.load() < n && s.live.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  s.mode.store(Mode::kIdle, std::memory_order_release);
  collect(out);
}

void LoadEngine::start(Clock::time_point record_from, uint64_t request_limit) {
  auto& s = impl_->shared;
  s.record_from_ns = to_ns(record_from);
  s.request_limit = request_limit;
  s.claimed = 0;
  s.sent = 0;
  s.completed = 0;
  s.mode.store(Mode::kRun, std::memory_order_release);
  impl_->post_kick();
}

const std::vector<ServerAddress>& LoadEngine::servers() const {
  return impl_->servers;
}

void LoadEngine::collect(Stats& out, std::vector<Stats>* per_server) {
  if (per_server) per_server->resize(impl_->servers.size());
  for (auto& sink : impl_->sinks) sink->drain_into(out, per_server);
}

uint64_t LoadEngine::completed() const {
  return impl_->shared.completed.load(std::memory_order_acquire);
}

uint64_t LoadEngine::sent() const {
  return impl_->shared.sent.load(std::memory_order_relaxed);
}

uint64_t LoadEngine::backlog(Clock::time_point at) const {
  uint64_t n = 0;
  for (const auto& c : impl_->connections) n += c->backlog(at);
  return n;
}

bool LoadEngine::limit_reached() const {
  const auto& s = impl_->shared;
  return s.request_limit > 0 && s.completed.load(std::memory_order_acquire) >= s.request_limit;
}

int LoadEngine::live_connections() const {
  return impl_->shared.live.load();
}

void LoadEngine::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->shared.stopping = true;
  for (auto& io : impl_->ios) io->stop();
  for (auto& t : impl_->threads) t.join();
  for (auto& c : impl_->connections) c->close();
}

}  // namespace hakmem::load
