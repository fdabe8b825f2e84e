#include "server_metrics.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <stdexcept>

#include "scrape.h"
#include "server.h"

namespace hakmem::metrics {

void add_metrics_flags(CLI::App& app, ServerMetricsOptions* options) {
  app.add_option("--metrics-port", options->port,
                 "Serve Prometheus metrics at http://BIND:PORT/metrics (0: any free port; "
                 "-1: no endpoint)")
      ->check(CLI::Range(-1, 65535));
  app.add_option("--metrics-bind", options->http.bind,
                 "Address of the metrics endpoint (a non-loopback one needs --metrics-token)");
  app.add_option("--metrics-token", options->http.token,
                 "Token scrapers must send (Authorization: Bearer TOKEN)")
      ->envname("HAKMEM_METRICS_TOKEN");
}

std::shared_ptr<MetricsHttpServer> attach_metrics(server::Server& server,
                                                  const ServerMetricsOptions& options) {
  if (options.port < 0) return nullptr;
  MetricsHttpOptions http = options.http;
  http.port = options.port;
  if (std::string err = validate_options(http); !err.empty()) throw std::invalid_argument(err);
  const server::ServerIntrospection& view = server;
  auto endpoint =
      std::make_shared<MetricsHttpServer>(http, [&view] { return render_scrape(view.stats()); });
  server::Server::Service service;
  service.name = "metrics";
  service.start = [endpoint](server::Server&) {
    if (std::string err = endpoint->start(); !err.empty()) {
      throw server::StartupError(err + " (see --metrics-port)");
    }
    std::printf("hakmem-server metrics on http://%s/metrics\n", endpoint->address().c_str());
    std::fflush(stdout);
  };
  service.stop = [endpoint] { endpoint->stop(); };
  server.add_service(std::move(service));
  return endpoint;
}

}  // namespace hakmem::metrics
