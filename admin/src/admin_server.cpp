#include "hakmem/admin/admin_server.h"

#include <arpa/inet.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

#include "admin_service.h"

namespace hakmem::admin {

namespace {

// Strips the brackets of "[::1]" so both spellings of an IPv6 address work.
std::string bare_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::string(host);
}

// Tries the bind gRPC is about to do, so a busy port gives our one-line error instead of
// gRPC's multi-line log. Empty when the address looks usable.
std::string probe_bind(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    return "cannot resolve admin address " + host;
  }
  std::string err;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as gRPC does
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = std::string(std::strerror(errno));
    } else {
      err.clear();
      close(fd);
      break;
    }
    close(fd);
  }
  freeaddrinfo(found);
  return err;
}

}  // namespace

bool is_loopback_address(std::string_view host) {
  std::string h = bare_host(host);
  if (h == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

std::string validate_options(const AdminServerOptions& options) {
  if (options.bind.empty()) return "--admin-bind must not be empty";
  if (options.port < 0 || options.port > 65535) {
    return "--admin-port must be between 0 and 65535, not " + std::to_string(options.port);
  }
  if (!is_loopback_address(options.bind) && options.token.empty()) {
    return "--admin-bind " + options.bind +
           " is not a loopback address: an --admin-token is required";
  }
  return {};
}

struct AdminServer::Impl {
  AdminServerOptions options;
  AdminServiceImpl service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::mutex mu;  // start/shutdown may come from different threads (signal handling)
  bool stopped = false;

  Impl(AdminServerOptions o, AdminStatsSource* stats)
      : options(std::move(o)), service(options.token, stats) {}
};

AdminServer::AdminServer(AdminServerOptions options, AdminStatsSource* stats)
    : impl_(std::make_unique<Impl>(std::move(options), stats)) {}

AdminServer::~AdminServer() {
  shutdown();
}

std::string AdminServer::start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->server) return "admin server already started";
  if (std::string err = validate_options(impl_->options); !err.empty()) return err;

  // Both are process-wide switches read when a server is built.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  const std::string host = bare_host(impl_->options.bind);
  if (impl_->options.port != 0) {
    if (std::string err = probe_bind(host, impl_->options.port); !err.empty()) {
      return "cannot listen for admin gRPC on " + impl_->options.bind + ":" +
             std::to_string(impl_->options.port) + ": " + err;
    }
  }
  const std::string target = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                             std::to_string(impl_->options.port);
  grpc::ServerBuilder builder;
  // Transport security is left to the network (loopback by default); the token gates access.
  // gRPC shares ports by default (SO_REUSEPORT); a second server must fail, not split traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(target, grpc::InsecureServerCredentials(), &impl_->port);
  builder.RegisterService(&impl_->service);
  impl_->server = builder.BuildAndStart();
  if (!impl_->server || impl_->port == 0) {
    impl_->server.reset();
    return "cannot listen for admin gRPC on " + target + " (address in use or not available)";
  }
  auto* health = impl_->server->GetHealthCheckService();
  health->SetServingStatus(true);
  health->SetServingStatus(v1::AdminService::service_full_name(), true);
  return {};
}

int AdminServer::port() const {
  return impl_->port;
}

std::string AdminServer::address() const {
  std::string host = bare_host(impl_->options.bind);
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(impl_->port);
}

void AdminServer::begin_shutdown() {
  std::lock_guard lock(impl_->mu);
  if (impl_->server) impl_->server->GetHealthCheckService()->SetServingStatus(false);
  impl_->service.stop_watches();
}

void AdminServer::shutdown() {
  begin_shutdown();
  std::lock_guard lock(impl_->mu);
  if (!impl_->server || impl_->stopped) return;
  impl_->stopped = true;
  // Unary calls finish quickly; anything still running after the grace period is cancelled.
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  impl_->server->Wait();
}

}  // namespace hakmem::admin
