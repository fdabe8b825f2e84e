#include "fake_resp_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "resp.hpp"

namespace hakmem::load::testing {

namespace {

bool send_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

FakeRespServer::FakeRespServer(Options options) : options_(options) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    throw std::runtime_error("bind/listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeRespServer::~FakeRespServer() {
  stopping_ = true;
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    for (int fd : client_fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  ::close(listen_fd_);
}

void FakeRespServer::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mu_);
    client_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void FakeRespServer::serve(int fd) {
  std::string in;
  char buf[16384];
  std::vector<std::string_view> args;
  while (!stopping_) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
    size_t pos = 0;
    std::string out;
    while (true) {
      const long used = resp::parse_command(std::string_view(in).substr(pos), &args);
      if (used <= 0) break;
      pos += static_cast<size_t>(used);
      // One request at a time: a slow server delays every request behind it.
      if (options_.delay.count() > 0) std::this_thread::sleep_for(options_.delay);
      const uint64_t nth = ++requests_;
      if (options_.error_every > 0 && nth % options_.error_every == 0) {
        out += "-ERR injected failure\r\n";
      } else {
        out += answer(args);
      }
      if (options_.delay.count() > 0) {  // reply each slow request as soon as it is done
        if (!send_all(fd, out)) break;
        out.clear();
      }
    }
    in.erase(0, pos);
    if (!out.empty() && !send_all(fd, out)) break;
  }
  {
    std::lock_guard lock(mu_);  // forget the fd before closing it, so it is never shut twice
    std::erase(client_fds_, fd);
  }
  ::close(fd);
}

std::vector<std::string> FakeRespServer::command_log() {
  std::lock_guard lock(mu_);
  return log_;
}

std::string FakeRespServer::answer(const std::vector<std::string_view>& args) {
  if (args.empty()) return "-ERR empty command\r\n";
  const std::string cmd(args[0]);
  std::lock_guard lock(mu_);
  if (options_.log_commands) {
    std::string entry = cmd;
    if (args.size() > 1) entry.append(" ").append(args[1]);
    if (args.size() > 2) entry.append(" ").append(std::to_string(args[2].size()));
    log_.push_back(std::move(entry));
  }
  if (cmd == "PING") return "+PONG\r\n";
  if (cmd == "SET" && args.size() >= 3) {
    data_[std::string(args[1])] = std::string(args[2]);
    return "+OK\r\n";
  }
  if (cmd == "GET" && args.size() == 2) {
    const auto it = data_.find(std::string(args[1]));
    if (it == data_.end()) return "$-1\r\n";
    std::string reply(1, '$');  // built by appends: GCC 12 warns falsely on "lit" + string
    reply.append(std::to_string(it->second.size())).append("\r\n");
    return reply.append(it->second).append("\r\n");
  }
  if (cmd == "DEL" && args.size() >= 2) {
    int n = 0;
    for (size_t i = 1; i < args.size(); ++i)
      n += static_cast<int>(data_.erase(std::string(args[i])));
    std::string reply(1, ':');
    return reply.append(std::to_string(n)).append("\r\n");
  }
  std::string reply("-ERR unknown command '");
  return reply.append(cmd).append("'\r\n");
}

}  // namespace hakmem::load::testing
