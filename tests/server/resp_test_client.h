// A small blocking RESP client and a server process handle for the end-to-end tests.
// Every wait has a generous timeout so a broken server fails a test instead of hanging it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hakmem::server::test {

struct RespValue {
  char type = 0;     // '+', '-', ':', '$', '*'; 0 when nothing could be read
  std::string text;  // simple string, error, bulk
  int64_t integer = 0;
  bool null = false;  // $-1 or *-1
  std::vector<RespValue> elements;

  bool is_error() const { return type == '-'; }
  // A short printable form for assertions: "+OK", ":3", "$hello", "$nil", "*[...]", "-ERR ...".
  std::string str() const;
};

class RespClient {
 public:
  explicit RespClient(uint16_t port, const std::string& host = "127.0.0.1");
  ~RespClient();
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Sends the bytes as they are.
  bool send_raw(const std::string& bytes);
  // Sends one command as a RESP array of bulk strings.
  bool send(const std::vector<std::string>& args);
  static std::string encode(const std::vector<std::string>& args);
  // Reads one reply; type 0 on timeout or when the server closed the connection.
  RespValue read(int timeout_ms = 10000);
  RespValue call(const std::vector<std::string>& args, int timeout_ms = 10000);
  // True when the server closes the connection (EOF) within the timeout.
  bool wait_closed(int timeout_ms = 10000);

 private:
  bool fill(int timeout_ms);
  std::optional<std::string> line(int timeout_ms);
  bool read_exact(size_t n, std::string* out, int timeout_ms);
  RespValue parse(int timeout_ms);

  int fd_ = -1;
  std::string buffer_;
  size_t pos_ = 0;
};

// hakmem-server as a child process on an ephemeral port (--port 0 --port-file).
class ServerProcess {
 public:
  // extra: flags after the defaults (--port 0 --port-file ... --data-dir ...).
  explicit ServerProcess(std::vector<std::string> extra, std::string data_dir = "");
  ~ServerProcess();  // SIGKILL if still running

  // Starts and waits for the port. False if the process exited first (see exit_code()).
  bool start();
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends a signal; wait_exit returns the exit status (or -1 on timeout, 128+n for signal n).
  void signal(int sig);
  int wait_exit(int timeout_ms = 30000);
  // Everything the process wrote to stderr so far.
  std::string stderr_text() const;
  // VmRSS of the process in bytes.
  uint64_t rss_bytes() const;

  static std::string binary();
  static std::string temp_dir(const std::string& name);

 private:
  std::vector<std::string> args_;
  std::string dir_;
  std::string port_file_;
  std::string stderr_file_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  int status_ = -1;
};

// The arenas the full test matrices run on: hakmem (when built in) and system.
std::vector<std::string> main_arenas();
// The other arenas built in (jemalloc, mimalloc, ...): they get a smoke test.
std::vector<std::string> peer_arenas();

// Runs a shell command and returns its exit status and combined output.
int run_command(const std::string& command, std::string* output, int timeout_s);

}  // namespace hakmem::server::test
