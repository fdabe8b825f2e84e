// Wires the admin gRPC service into hakmem-server through the server's own seams only
// (Server::add_service and ServerIntrospection): the flags, and a service that starts after
// the server, turns health NOT_SERVING when the server's shutdown begins, and stops last.
#pragma once

#include <memory>

#include "hakmem/admin/admin_server.h"

namespace CLI {
class App;
}
namespace hakmem::server {
class Server;
}

namespace hakmem::admin {

struct ServerAdminOptions {
  AdminServerOptions server;
  bool enabled = true;
  bool port_given = false;  // --admin-port was on the command line
};

// --admin-bind, --admin-port, --admin-token, --no-admin. Without --admin-port, a server on an
// ephemeral RESP port (--port 0: tests, side-by-side runs) takes an ephemeral admin port too,
// so such servers never collide on 7380; the chosen address is printed.
void add_admin_flags(CLI::App& app, ServerAdminOptions* options);

// Registers the admin service with server (call before server.start(); a failure to listen
// makes start() throw). Returns null when disabled, otherwise a handle: call shutdown() once
// server.stop() has returned (destroying the last reference does too). Throws
// std::invalid_argument for unusable options (e.g. a public bind without a token).
std::shared_ptr<AdminServer> attach_admin(server::Server& server,
                                          const ServerAdminOptions& options);

}  // namespace hakmem::admin
