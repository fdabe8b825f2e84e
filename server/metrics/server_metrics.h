// Wires the Prometheus endpoint into hakmem-server through its public seams (Server::
// add_service, ServerIntrospection): the flags, and a service started after the server and
// stopped before it.
#pragma once

#include <memory>

#include "metrics_http.h"

namespace CLI {
class App;
}
namespace hakmem::server {
class Server;
}

namespace hakmem::metrics {

struct ServerMetricsOptions {
  MetricsHttpOptions http;
  int port = -1;  // --metrics-port; -1: no endpoint
};

// --metrics-bind, --metrics-port, --metrics-token (also HAKMEM_METRICS_TOKEN).
void add_metrics_flags(CLI::App& app, ServerMetricsOptions* options);

// Registers the endpoint with server (before server.start(); failing to listen makes start()
// throw). Null when --metrics-port was not given. Throws std::invalid_argument for unusable
// options (a public bind without a token).
std::shared_ptr<MetricsHttpServer> attach_metrics(server::Server& server,
                                                  const ServerMetricsOptions& options);

}  // namespace hakmem::metrics
