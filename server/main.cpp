// hakmem-server: flags, signals, and the server's lifetime. Extra services (the admin RPC, the
// metrics endpoint) are registered with Server::add_service before start().
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "allocator_background.h"
#include "arena.h"
#include "server.h"
#include "server_admin.h"
#include "server_metrics.h"
#include "tool_version.h"

using hakmem::server::Server;
using hakmem::server::ServerConfig;

namespace {

void die(const std::string& message) {
  std::fprintf(stderr, "hakmem-server: %s\n", message.c_str());
  std::exit(2);
}

bool is_loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address == "localhost";
}

bool write_port_file(const std::string& path, uint16_t port) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  ServerConfig config;
  std::string port_file;
  std::string fsync = "everysec";
  size_t block_cache_mb = config.store.block_cache_bytes >> 20;
  config.arena = hakmem::server::default_arena_name();

  CLI::App app{
      "hakmem-server: a RESP (Redis protocol) server on RocksDB, built to exercise hakmem"};
  // The last occurrence of a flag wins, so scripts can override defaults they pass.
  app.option_defaults()->always_capture_default()->multi_option_policy(
      CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", hakmem::tool_version("hakmem-server"));
  app.add_option("--bind", config.bind, "Address to listen on");
  app.add_option("--port", config.port, "TCP port (0: any free port)");
  app.add_option("--port-file", port_file, "Write the bound port to this file once listening");
  app.add_option("--io-threads", config.io_threads, "Threads that read and write sockets")
      ->check(CLI::Range(1u, 256u));
  app.add_option("--workers", config.workers, "Threads that execute commands")
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--queue-capacity", config.queue_capacity,
                 "Requests waiting for a worker before reading pauses")
      ->check(CLI::Range(size_t{1}, size_t{1} << 24));
  app.add_option("--arena", config.arena,
                 "Allocator for request and reply objects (jemalloc: the process malloc, "
                 "so start with LD_PRELOAD=libjemalloc.so.2; checked via mallctl)")
      ->check(CLI::IsMember(hakmem::server::arena_names()));
  app.add_option("--route", config.route, "hakmem route: S, P, CDA or A")
      ->check([](const std::string& v) {
        return hakmem::server::is_valid_route(v) ? std::string() : "expected S, P, CDA or A";
      });
  std::string allocator_background = "on";
  CLI::Option* background_flag =
      app.add_option("--allocator-background", allocator_background,
                     "The process allocator's background thread (hakmem, jemalloc), which gives "
                     "an idle server's freed memory back; without this flag HAKMEM_BACKGROUND "
                     "or MALLOC_CONF, when set, decide")
          ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--store", config.store.kind, "Storage engine")
      ->check(CLI::IsMember({"rocksdb", "memory"}));
  app.add_option("--data-dir", config.store.data_dir, "RocksDB directory");
  app.add_option("--fsync", fsync, "When the WAL is synced")
      ->check(CLI::IsMember({"always", "everysec", "no"}));
  app.add_option("--block-cache-mb", block_cache_mb, "RocksDB block cache size in MiB");
  app.add_option("--requirepass", config.requirepass, "Password clients must AUTH with")
      ->capture_default_str();
  app.add_option("--max-clients", config.max_clients, "Connections beyond this get -ERR")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  app.add_option("--max-request-bytes", config.max_request_bytes,
                 "Largest bulk string and request frame")
      ->check(CLI::Range(size_t{16}, size_t{1} << 31));
  app.add_option("--max-pipeline", config.max_pipeline,
                 "Requests in flight per connection before its reading pauses")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  app.add_option("--max-output-bytes", config.max_output_bytes,
                 "Reply bytes per connection (unsent, or being built) before its reading and "
                 "its further replies pause; one reply may be larger")
      ->check(CLI::Range(size_t{64}, size_t{1} << 40));
  app.add_option("--max-reply-bytes", config.max_reply_bytes,
                 "Largest reply; a larger one is refused with -ERR before it is built (0: 16 x "
                 "--max-output-bytes)")
      ->check(CLI::Range(size_t{0}, size_t{1} << 32));
  app.add_option("--max-total-output-bytes", config.max_total_output_bytes,
                 "Reply bytes unsent or being built, all connections together, before replies "
                 "pause (one reply may be larger)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 40));
  app.add_option("--idle-timeout", config.idle_timeout_s,
                 "Seconds without progress before a client is closed (0: never)");
  app.add_option("--shutdown-timeout", config.shutdown_timeout_s,
                 "Seconds in-flight requests get to finish on SIGINT/SIGTERM");
  hakmem::admin::ServerAdminOptions admin_options;
  hakmem::admin::add_admin_flags(app, &admin_options);
  hakmem::metrics::ServerMetricsOptions metrics_options;
  hakmem::metrics::add_metrics_flags(app, &metrics_options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    die(std::string(e.what()) + " (see --help)");
  }
  hakmem::server::parse_fsync_policy(fsync, &config.store.fsync);
  config.store.block_cache_bytes = block_cache_mb << 20;

  // Signals are taken by sigwait in this thread only; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Server server(config);
  hakmem::server::apply_allocator_background({allocator_background == "on",
                                              background_flag->count() > 0,
                                              server.config().arena == "hakmem"});
  std::shared_ptr<hakmem::admin::AdminServer> admin;
  std::shared_ptr<hakmem::metrics::MetricsHttpServer> metrics;
  try {
    admin = hakmem::admin::attach_admin(server, admin_options);  // started by server.start()
    metrics = hakmem::metrics::attach_metrics(server, metrics_options);
    server.start();
  } catch (const std::exception& e) {
    die(e.what());
  }
  if (!is_loopback(config.bind) && config.requirepass.empty()) {
    std::fprintf(stderr,
                 "hakmem-server: WARNING: listening on %s without --requirepass: anyone who can "
                 "reach this address can read and write every key\n",
                 config.bind.c_str());
  }
  if (!port_file.empty() && !write_port_file(port_file, server.port())) {
    server.stop();  // threads are running: stop them before exiting
    die("cannot write --port-file '" + port_file + "'");
  }
  std::printf("hakmem-server listening on %s:%u (arena %s, store %s, workers %u, io-threads %u)\n",
              config.bind.c_str(), server.port(), server.config().arena.c_str(),
              config.store.kind.c_str(), config.workers, config.io_threads);
  std::fflush(stdout);

  std::atomic<bool> stopped{false};
  std::thread stopper;
  for (;;) {
    timespec tick{0, 100 * 1000 * 1000};
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig > 0) {
      if (stopper.joinable()) {
        std::fprintf(stderr, "hakmem-server: second signal, exiting now\n");
        _exit(1);
      }
      std::fprintf(stderr, "hakmem-server: shutting down (signal again to exit at once)\n");
      stopper = std::thread([&] {
        server.stop();
        stopped = true;
      });
    }
    if (stopped) break;
  }
  stopper.join();
  if (admin) admin->shutdown();  // NOT_SERVING since stop() began; now gone
  std::fprintf(stderr, "hakmem-server: stopped\n");
  return 0;
}
