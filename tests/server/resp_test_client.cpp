#include "resp_test_client.h"

#include "arena.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace hakmem::server::test {

std::string RespValue::str() const {
  // (append rather than "literal" + string: GCC 12 warns falsely about the latter)
  std::string out(1, type);
  switch (type) {
    case '+':
    case '-':
      return out.append(text);
    case ':':
      return out.append(std::to_string(integer));
    case '$':
      return null ? "$nil" : out.append(text);
    case '*': {
      if (null) return "*nil";
      out.append("[");
      for (size_t i = 0; i < elements.size(); ++i)
        out.append(i ? "," : "").append(elements[i].str());
      return out.append("]");
    }
    default:
      return "<none>";
  }
}

RespClient::RespClient(uint16_t port, const std::string& host) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

RespClient::~RespClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool RespClient::send_raw(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string RespClient::encode(const std::vector<std::string>& args) {
  std::string out("*");
  out.append(std::to_string(args.size())).append("\r\n");
  for (const auto& a : args) {
    out.append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
  }
  return out;
}

bool RespClient::send(const std::vector<std::string>& args) {
  return send_raw(encode(args));
}

bool RespClient::fill(int timeout_ms) {
  if (pos_ > 0 && pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  }
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return false;
  char chunk[65536];
  ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

std::optional<std::string> RespClient::line(int timeout_ms) {
  for (;;) {
    size_t end = buffer_.find("\r\n", pos_);
    if (end != std::string::npos) {
      std::string l = buffer_.substr(pos_, end - pos_);
      pos_ = end + 2;
      return l;
    }
    if (!fill(timeout_ms)) return std::nullopt;
  }
}

bool RespClient::read_exact(size_t n, std::string* out, int timeout_ms) {
  while (buffer_.size() - pos_ < n) {
    if (!fill(timeout_ms)) return false;
  }
  out->assign(buffer_, pos_, n);
  pos_ += n;
  return true;
}

RespValue RespClient::parse(int timeout_ms) {
  RespValue v;
  auto l = line(timeout_ms);
  if (!l || l->empty()) return v;
  char type = (*l)[0];
  std::string rest = l->substr(1);
  switch (type) {
    case '+':
    case '-':
      v.text = rest;
      break;
    case ':':
      v.integer = std::stoll(rest);
      break;
    case '$': {
      int64_t n = std::stoll(rest);
      if (n < 0) {
        v.null = true;
        break;
      }
      std::string crlf;
      if (!read_exact(static_cast<size_t>(n), &v.text, timeout_ms) ||
          !read_exact(2, &crlf, timeout_ms)) {
        return RespValue{};
      }
      break;
    }
    case '*': {
      int64_t n = std::stoll(rest);
      if (n < 0) {
        v.null = true;
        break;
      }
      for (int64_t i = 0; i < n; ++i) {
        RespValue e = parse(timeout_ms);
        if (e.type == 0) return RespValue{};
        v.elements.push_back(std::move(e));
      }
      break;
    }
    default:
      return v;
  }
  v.type = type;
  return v;
}

RespValue RespClient::read(int timeout_ms) {
  return parse(timeout_ms);
}

RespValue RespClient::call(const std::vector<std::string>& args, int timeout_ms) {
  if (!send(args)) return RespValue{};
  return read(timeout_ms);
}

bool RespClient::wait_closed(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return true;  // EOF or reset
    }
  }
  return false;
}

std::string ServerProcess::binary() {
  return HAKMEM_SERVER_BINARY;
}

std::string ServerProcess::temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("hakmem-server-test-" + std::to_string(getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

ServerProcess::ServerProcess(std::vector<std::string> extra, std::string data_dir)
    : args_(std::move(extra)) {
  static int counter = 0;
  dir_ = temp_dir("proc" + std::to_string(counter++));
  port_file_ = dir_ + "/port";
  stderr_file_ = dir_ + "/stderr";
  if (data_dir.empty()) data_dir = dir_ + "/data";
  std::vector<std::string> defaults = {"--port",   "0",          "--port-file",
                                       port_file_, "--data-dir", data_dir};
  args_.insert(args_.begin(), defaults.begin(), defaults.end());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && status_ < 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

bool ServerProcess::start() {
  std::vector<std::string> argv_storage = args_;
  argv_storage.insert(argv_storage.begin(), binary());
  pid_ = ::fork();
  if (pid_ == 0) {
    int err = ::open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int out = ::open("/dev/null", O_WRONLY);
    ::dup2(err, 2);
    ::dup2(out, 1);
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file_);
    int port = 0;
    if (in >> port && port > 0) {
      port_ = static_cast<uint16_t>(port);
      return true;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void ServerProcess::signal(int sig) {
  if (pid_ > 0 && status_ < 0) ::kill(pid_, sig);
}

int ServerProcess::wait_exit(int timeout_ms) {
  if (status_ >= 0) return status_;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return status_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::string ServerProcess::stderr_text() const {
  std::ifstream in(stderr_file_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t ServerProcess::rss_bytes() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

std::vector<std::string> main_arenas() {
  std::vector<std::string> out;
  for (const auto& name : arena_names()) {
    if (name == "hakmem" || name == "system") out.push_back(name);
  }
  return out;
}

std::vector<std::string> peer_arenas() {
  std::vector<std::string> out;
  for (const auto& name : arena_names()) {
    if (name != "hakmem" && name != "system") out.push_back(name);
  }
  return out;
}

int run_command(const std::string& command, std::string* output, int timeout_s) {
  std::string full = "timeout " + std::to_string(timeout_s) + " " + command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (!pipe) return -1;
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof(chunk), pipe)) > 0) output->append(chunk, n);
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace hakmem::server::test
