// Every open connection, as CLIENT LIST / INFO / KILL and SLOWLOG see it. Entries are written by
// their connection's I/O thread and read by any thread, so each field is an atomic or sits
// behind the entry's mutex; the registry's own mutex guards only its map.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "request.h"

namespace hakmem::server {

class ClientEntry {
 public:
  // kill: closes the connection; callable from any thread (it posts to the connection's thread).
  ClientEntry(uint64_t id, std::string addr, std::string laddr, int fd, std::function<void()> kill);

  const uint64_t id;
  const std::string addr;   // peer ip:port
  const std::string laddr;  // local ip:port
  const int fd;
  const int64_t created_ms;  // steady clock, for age=

  std::string name() const;
  void set_name(std::string_view name);
  std::string last_command() const;
  // A request was read: remembers its command (lower case, "client|list" for subcommands).
  void touch(std::string_view command, std::string_view subcommand);

  std::atomic<int> protocol{2};
  // CLIENT LIST's buffer fields, published by the connection (reply_bytes by workers too).
  std::atomic<size_t> query_bytes{0};     // qbuf: read, not yet parsed
  std::atomic<size_t> argv_bytes{0};      // argv-mem: the request still being received
  std::atomic<size_t> reply_bytes{0};     // omem: replies reserved, being built, queued, being sent
  std::atomic<size_t> replies_queued{0};  // oll: replies built and not yet written
  static constexpr size_t kReadBufferBytes = 16 * 1024;  // rbs: each connection's read buffer
  std::atomic<int64_t> last_interaction_ms;
  // Asks the connection to close; true the first time.
  bool kill();

 private:
  mutable std::mutex mu_;
  std::string name_;
  std::string last_command_ = "NULL";
  std::function<void()> kill_;
  std::atomic<bool> killed_{false};
};

class ClientRegistry {
 public:
  std::shared_ptr<ClientEntry> add(std::string addr, std::string laddr, int fd,
                                   std::function<void()> kill);
  void remove(uint64_t id);
  // Every entry, by increasing id.
  std::vector<std::shared_ptr<ClientEntry>> all() const;
  std::shared_ptr<ClientEntry> find(uint64_t id) const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<ClientEntry>> entries_;
  uint64_t next_id_ = 1;
};

int64_t steady_millis_now();

// One CLIENT LIST line (no newline), in Redis' field order.
std::string client_info_line(const ClientEntry& client, int64_t now_ms);
// Redis' rule: names are printable ASCII without spaces ('!' to '~'); empty clears the name.
bool valid_client_name(std::string_view name);
// The subcommand CLIENT LIST's cmd= shows ("list" for CLIENT LIST); "" for other commands.
std::string_view subcommand_for_display(const Request& r);

}  // namespace hakmem::server
