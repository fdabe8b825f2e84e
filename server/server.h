// hakmem-server: RESP front end, worker pipeline, store. No asio here: this header is what main
// and the admin layer include.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "config.h"
#include "stats.h"

namespace hakmem::server {

class Arena;
class Store;
struct ServerCore;

// A startup failure (bad option, port in use, unwritable data dir): what() is one line.
struct StartupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Server final : public ServerIntrospection {
 public:
  explicit Server(ServerConfig config);
  ~Server() override;  // stops if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens the arena and the store, binds, starts the I/O threads and workers, then the extra
  // services. Throws StartupError.
  void start();
  // Graceful: stops the extra services, stops accepting, answers every request already read
  // (up to shutdown_timeout_s), closes connections, stops workers, flushes the store.
  // Idempotent; call from any thread except the server's own.
  void stop();

  // The bound port (useful with port 0). Valid after start().
  uint16_t port() const;
  const ServerConfig& config() const;
  StatsSnapshot stats() const override;
  Arena& arena();
  Store& store();

  // Extra services (e.g. the admin RPC): started after the server, stopped before it, in
  // reverse order. Register before start().
  struct Service {
    std::string name;
    std::function<void(Server&)> start;
    std::function<void()> stop;
  };
  void add_service(Service service);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hakmem::server
