#include "server_admin.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <stdexcept>

#include "server.h"

namespace hakmem::admin {

namespace {

// The server's statistics in the admin service's terms.
class ServerStatsAdapter final : public AdminStatsSource {
 public:
  explicit ServerStatsAdapter(const server::ServerIntrospection& server) : server_(server) {}

  ServerStats server_stats() override {
    const server::StatsSnapshot s = server_.stats();
    ServerStats out;
    out.connections = s.connections_current;
    out.connections_total = s.connections_total;
    for (const auto& [command, count] : s.command_counts) out.requests.push_back({command, count});
    out.worker_queue_depth = s.queue_depth;
    const server::LatencySummary& l = s.service_latency;
    if (l.count > 0) {
      out.latency = {
          {50, l.p50_us}, {90, l.p90_us}, {99, l.p99_us}, {99.9, l.p999_us}, {100, l.max_us}};
    }
    out.arena = s.allocator.allocator;
    // The allocator's own figure when it has one, else what the server counted through it.
    out.arena_bytes_in_use =
        s.allocator.bytes_in_use ? s.allocator.bytes_in_use : s.arena.bytes_in_use;
    out.arena_bytes_committed = s.allocator.bytes_committed;
    return out;
  }

 private:
  const server::ServerIntrospection& server_;
};

}  // namespace

void add_admin_flags(CLI::App& app, ServerAdminOptions* options) {
  app.add_option("--admin-bind", options->server.bind,
                 "Address of the admin gRPC service (a non-loopback one needs --admin-token)");
  app.add_option("--admin-port", options->server.port,
                 "Admin gRPC port (0: any free port; also the default with --port 0)")
      ->check(CLI::Range(0, 65535))
      ->each([options](const std::string&) { options->port_given = true; });
  app.add_option("--admin-token", options->server.token,
                 "Token admin clients must send (authorization: Bearer TOKEN)")
      ->envname("HAKMEM_ADMIN_TOKEN");
  app.add_flag_callback(
      "--no-admin", [options] { options->enabled = false; }, "Do not start the admin gRPC service");
}

std::shared_ptr<AdminServer> attach_admin(server::Server& server,
                                          const ServerAdminOptions& options) {
  if (!options.enabled) return nullptr;
  if (std::string err = validate_options(options.server); !err.empty()) {
    throw std::invalid_argument(err);
  }
  AdminServerOptions admin_options = options.server;
  if (!options.port_given && server.config().port == 0) admin_options.port = 0;
  auto stats = std::make_shared<ServerStatsAdapter>(server);
  // The handle keeps the adapter alive as long as the admin server may call it.
  std::shared_ptr<AdminServer> admin(new AdminServer(admin_options, stats.get()),
                                     [stats](AdminServer* a) { delete a; });
  server::Server::Service service;
  service.name = "admin";
  service.start = [admin](server::Server&) {
    if (std::string err = admin->start(); !err.empty()) {
      throw server::StartupError(err + " (see --admin-port, --no-admin)");
    }
    std::printf("hakmem-server admin gRPC on %s\n", admin->address().c_str());
    std::fflush(stdout);
  };
  // Health says NOT_SERVING while the server drains; the admin stops after it (shutdown()).
  service.stop = [admin] { admin->begin_shutdown(); };
  server.add_service(std::move(service));
  return admin;
}

}  // namespace hakmem::admin
