// The client registry, the slowlog and CONFIG SET under churn, in one process so TSan sees every
// side: connections open, name themselves and close on two I/O threads while others list and
// kill them, and workers record slowlog entries while CONFIG SET changes what they read.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "arena.h"
#include "resp_test_client.h"
#include "server.h"

namespace hakmem::server {
namespace {

using test::RespClient;
using test::RespValue;

TEST(IntrospectionConcurrency, ClientsListKillAndConfigUnderChurn) {
  ServerConfig config;
  config.port = 0;
  config.io_threads = 2;
  config.workers = 3;
  config.store.kind = "memory";
  config.arena = "system";
  Server server(config);
  server.start();
  {
    RespClient admin(server.port());
    ASSERT_EQ(admin.call({"CONFIG", "SET", "slowlog-log-slower-than", "0"}).str(), "+OK");
  }
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> churn;
  for (int t = 0; t < 3; ++t) {
    churn.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        RespClient c(server.port());
        if (!c.connected()) continue;
        std::string name = "c" + std::to_string(t) + "-" + std::to_string(i);
        RespValue r = c.call({"CLIENT", "SETNAME", name});
        if (r.type == 0) continue;  // killed by the other thread: fine
        if (r.str() != "+OK") ++failures;
        c.call({"SET", name, "v"});
        RespValue got = c.call({"CLIENT", "GETNAME"});
        if (got.type != 0 && got.str() != "$" + name) ++failures;
      }
    });
  }
  std::thread observer([&] {
    RespClient c(server.port());
    int round = 0;
    while (!stop.load()) {
      RespValue list = c.call({"CLIENT", "LIST"});
      if (list.type != '$') {
        ++failures;
        break;
      }
      // Kill the second client listed (never ourselves: SKIPME is the default).
      size_t line = list.text.find("\nid=");
      if (line != std::string::npos) {
        std::string id = list.text.substr(line + 4, list.text.find(' ', line) - line - 4);
        c.call({"CLIENT", "KILL", "ID", id});
      }
      c.call({"CONFIG", "SET", "slowlog-max-len", std::to_string(1 + round % 5), "timeout",
              std::to_string(round % 2 * 100)});
      c.call({"SLOWLOG", "GET", "3"});
      c.call({"INFO", "clients"});
      ++round;
    }
  });
  for (auto& t : churn) t.join();
  stop = true;
  observer.join();
  EXPECT_EQ(failures.load(), 0);
  RespClient last(server.port());
  RespValue len = last.call({"SLOWLOG", "LEN"});
  EXPECT_EQ(len.type, ':');
  EXPECT_LE(len.integer, 5);
  server.stop();
}

}  // namespace
}  // namespace hakmem::server
