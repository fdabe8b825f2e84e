// A stand-alone admin server for the command-line and reflection tests: the real service on
// the real allocator, fake server statistics, and optional allocation churn so counters move.
// Prints "port N" once serving; stops on SIGTERM/SIGINT (health NOT_SERVING first).
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>
#include <vector>

#include "hakmem/admin/admin_server.h"
#include "hakmem/hakmem.h"

namespace {

class FixedStats : public hakmem::admin::AdminStatsSource {
 public:
  hakmem::admin::ServerStats server_stats() override {
    hakmem::admin::ServerStats s;
    s.connections = 2;
    s.connections_total = 9;
    s.requests = {{"GET", 40}, {"SET", 2}};
    s.worker_queue_depth = 1;
    s.latency = {{50, 10}, {99, 42.5}};
    return s;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"admin test server"};
  hakmem::admin::AdminServerOptions options;
  options.port = 0;
  bool churn = false;
  app.add_option("--bind", options.bind);
  app.add_option("--port", options.port);
  app.add_option("--token", options.token);
  app.add_flag("--churn", churn, "allocate and free in a background thread");
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before any thread starts; main waits for them with sigwait.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  FixedStats stats;
  hakmem::admin::AdminServer server(options, &stats);
  if (std::string err = server.start(); !err.empty()) {
    std::cerr << "admin_test_server: " << err << '\n';
    return 1;
  }
  std::atomic<bool> stop{false};
  std::thread worker;
  if (churn) {
    worker = std::thread([&] {
      std::vector<void*> blocks(256, nullptr);
      for (size_t i = 0; !stop.load(std::memory_order_relaxed); i = (i + 1) % blocks.size()) {
        hak_free(blocks[i]);
        blocks[i] = hak_malloc(16 + (i % 32) * 16);
        if (i == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      for (void* p : blocks) hak_free(p);
    });
  }
  std::cout << "port " << server.port() << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  server.begin_shutdown();
  stop.store(true);
  if (worker.joinable()) worker.join();
  server.shutdown();
  return 0;
}
