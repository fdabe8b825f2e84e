// The admin gRPC server (AdminService, health, reflection) as a small lifecycle object, so a
// host includes no gRPC header: construct, start(), begin_shutdown() when its own shutdown
// starts (health turns NOT_SERVING), shutdown() at the end.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "hakmem/admin/stats_source.h"

namespace hakmem::admin {

struct AdminServerOptions {
  std::string bind = "127.0.0.1";
  int port = 7380;    // 0 picks a free port (tests); port() tells which
  std::string token;  // required when bind is not a loopback address
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_address(std::string_view host);
// Empty when the options are usable, otherwise the reason (e.g. a public bind without token).
std::string validate_options(const AdminServerOptions& options);

class AdminServer {
 public:
  // stats may be null (GetStats then reports process and allocator figures only); otherwise
  // it must outlive this object.
  explicit AdminServer(AdminServerOptions options, AdminStatsSource* stats = nullptr);
  ~AdminServer();  // shutdown()
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Starts serving on other threads. Empty on success, otherwise the reason.
  std::string start();
  int port() const;             // the bound port once started
  std::string address() const;  // "host:port" once started

  // Health turns NOT_SERVING and running watches end; RPCs are still answered.
  void begin_shutdown();
  // begin_shutdown(), then stops the server (in-flight calls get a short grace period).
  // Idempotent.
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hakmem::admin
