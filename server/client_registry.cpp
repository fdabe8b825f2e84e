#include "client_registry.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <chrono>

namespace hakmem::server {

int64_t steady_millis_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

ClientEntry::ClientEntry(uint64_t id_, std::string addr_, std::string laddr_, int fd_,
                         std::function<void()> kill)
    : id(id_),
      addr(std::move(addr_)),
      laddr(std::move(laddr_)),
      fd(fd_),
      created_ms(steady_millis_now()),
      last_interaction_ms(created_ms),
      kill_(std::move(kill)) {}

std::string ClientEntry::name() const {
  std::lock_guard lock(mu_);
  return name_;
}

void ClientEntry::set_name(std::string_view name) {
  std::lock_guard lock(mu_);
  name_.assign(name);
}

std::string ClientEntry::last_command() const {
  std::lock_guard lock(mu_);
  return last_command_;
}

void ClientEntry::touch(std::string_view command, std::string_view subcommand) {
  last_interaction_ms.store(steady_millis_now(), std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  // Bounded: a client's garbage command name must not grow this.
  last_command_.assign(command.substr(0, 32));
  if (!subcommand.empty()) last_command_.append("|").append(subcommand.substr(0, 32));
  std::transform(last_command_.begin(), last_command_.end(), last_command_.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
}

bool ClientEntry::kill() {
  if (killed_.exchange(true)) return false;
  if (kill_) kill_();
  return true;
}

std::shared_ptr<ClientEntry> ClientRegistry::add(std::string addr, std::string laddr, int fd,
                                                 std::function<void()> kill) {
  std::lock_guard lock(mu_);
  auto entry = std::make_shared<ClientEntry>(next_id_++, std::move(addr), std::move(laddr), fd,
                                             std::move(kill));
  entries_.emplace(entry->id, entry);
  return entry;
}

void ClientRegistry::remove(uint64_t id) {
  std::lock_guard lock(mu_);
  entries_.erase(id);
}

std::vector<std::shared_ptr<ClientEntry>> ClientRegistry::all() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<ClientEntry>> out;
  out.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) out.push_back(entry);
  return out;
}

std::shared_ptr<ClientEntry> ClientRegistry::find(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second;
}

size_t ClientRegistry::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

std::string client_info_line(const ClientEntry& c, int64_t now_ms) {
  // No static reply buffer (obl=0) and no MULTI (multi-mem=0); tot-mem is the read buffer,
  // the request being received and the replies' memory.
  constexpr auto relaxed = std::memory_order_relaxed;
  const size_t qbuf = c.query_bytes.load(relaxed), argv = c.argv_bytes.load(relaxed);
  const size_t omem = c.reply_bytes.load(relaxed);
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags=N db=0 sub=0 psub=0 ssub=0 "
      "multi=-1 qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs={} rbp={} obl=0 oll={} omem={} "
      "tot-mem={} events=r cmd={} user=default redir=-1 resp={}",
      c.id, c.addr, c.laddr, c.fd, c.name(), (now_ms - c.created_ms) / 1000,
      (now_ms - c.last_interaction_ms.load(relaxed)) / 1000, qbuf,
      ClientEntry::kReadBufferBytes - std::min(qbuf, ClientEntry::kReadBufferBytes), argv,
      ClientEntry::kReadBufferBytes, qbuf, c.replies_queued.load(relaxed), omem,
      ClientEntry::kReadBufferBytes + argv + omem, c.last_command(), c.protocol.load(relaxed));
}

bool valid_client_name(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '!' && ch <= '~'; });
}

std::string_view subcommand_for_display(const Request& r) {
  if (r.argc < 2) return {};
  std::string_view cmd = r.arg(0);
  for (std::string_view group : {"client", "config", "memory", "slowlog", "command", "object"}) {
    if (cmd.size() == group.size() && strncasecmp(cmd.data(), group.data(), cmd.size()) == 0) {
      return r.arg(1);
    }
  }
  return {};
}

}  // namespace hakmem::server
