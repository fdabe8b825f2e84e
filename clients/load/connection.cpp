#include "connection.hpp"

#include <deque>

#include "ketama.hpp"
#include "resp.hpp"

namespace hakmem::load::detail {

namespace {

constexpr int kPreloadPipeline = 32;
constexpr size_t kReadChunk = 64 * 1024;

uint64_t elapsed_ns(Clock::time_point from, Clock::time_point to) {
  return to > from ? static_cast<uint64_t>(
                         std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count())
                   : 0;
}

}  // namespace

struct Connection::Pending {
  hw::OpType type;
  uint64_t key;
  Clock::time_point intended;
  Clock::time_point sent;
  bool recorded;           // counts toward the results (not warmup)
  bool rmw_write = false;  // the SET half of a read-modify-write
  bool preload = false;
  bool auth = false;           // the AUTH of the handshake
  uint64_t request_bytes = 0;  // on the wire, both halves of a read-modify-write
  uint64_t reply_bytes = 0;    // of the read half's reply, for a read-modify-write
};

// One socket to one server, with its own request order: replies come back in the order the
// requests went out on it.
struct Connection::Link {
  Link(asio::io_context& io, size_t server_index)
      : server(server_index), socket(io), read_buf(kReadChunk) {}
  size_t server;
  tcp::socket socket;
  bool writing = false;
  bool auth_pending = false;  // AUTH sent, not answered yet
  std::deque<Pending> in_flight;
  std::string write_buf, out_buf;
  std::vector<char> read_buf;
  std::string pending;
  std::string name;  // host:port
};

Connection::Connection(asio::io_context& io, Shared& shared, StatsSink& sink, int index,
                       const Ketama* ring, size_t servers)
    : shared_(shared),
      sink_(sink),
      index_(index),
      ring_(ring),
      timer_(io),
      generator_(shared.config.workload, &shared.workload, shared.config.seed,
                 static_cast<uint64_t>(index)),
      // Its own stream, so the workload's sequence does not depend on how many preload
      // records this connection happened to send.
      preload_rng_(hw::Rng::stream(shared.config.seed, (uint64_t{1} << 32) + index)),
      preload_sizes_(shared.config.workload.value_size) {
  for (size_t s = 0; s < servers; ++s) links_.push_back(std::make_unique<Link>(io, s));
}

Connection::~Connection() = default;

void Connection::async_connect(const std::vector<tcp::resolver::results_type>& endpoints,
                               const std::vector<ServerAddress>& names) {
  for (auto& owned : links_) {
    Link* link = owned.get();
    asio::async_connect(link->socket, endpoints[link->server],
                        [this, link, name = names[link->server].name()](const asio::error_code& ec,
                                                                        const tcp::endpoint&) {
                          link->name = name;
                          if (ec) return connect_failed(*link, ec.message());
                          link->socket.set_option(tcp::no_delay(true));
                          read(*link);
                          if (!shared_.config.password.empty()) return send_auth(*link);
                          link_ready();
                        });
  }
}

void Connection::kick() {
  if (!alive_) return;
  const auto& c = shared_.config;
  if (shared_.mode.load() == Mode::kRun && c.rate > 0 && !schedule_) {
    // Connection i starts i global intervals late, so the aggregate is evenly spaced.
    const double per_connection = c.rate / c.connections;
    const auto offset = std::chrono::nanoseconds(static_cast<int64_t>(1e9 / c.rate * index_));
    schedule_.emplace(per_connection, Clock::now(), offset);
  }
  top_up();
}

uint64_t Connection::backlog(Clock::time_point at) const {
  return alive_ && schedule_ ? schedule_->backlog(at) : 0;
}

void Connection::close() {
  asio::error_code ignored;
  timer_.cancel();
  for (auto& link : links_) link->socket.close(ignored);
}

// One link's handshake is over (connect_pending counts links, not connections).
void Connection::link_ready() {
  if (++connected_ == links_.size()) {
    shared_.live.fetch_add(1);
    alive_ = true;
  }
  shared_.connect_pending.fetch_sub(1);
}

void Connection::connect_failed(Link& link, const std::string& why) {
  {
    std::lock_guard lock(shared_.error_mu);
    if (shared_.connect_error.empty()) {
      shared_.connect_error = shared_.config.servers.empty() ? why : link.name + ": " + why;
    }
  }
  asio::error_code ignored;
  link.socket.close(ignored);
  shared_.connect_pending.fetch_sub(1);
}

void Connection::send_auth(Link& link) {
  const auto& c = shared_.config;
  std::vector<std::string_view> args{"AUTH"};
  if (!c.user.empty()) args.push_back(c.user);
  args.push_back(c.password);
  resp::append_command(link.out_buf, args);
  Pending p{};
  p.auth = true;
  push(link, p);
  link.auth_pending = true;
  link.writing = true;
  asio::async_write(link.socket, asio::buffer(link.out_buf),
                    [this, &link](const asio::error_code& ec, size_t) {
                      link.writing = false;
                      link.out_buf.clear();
                      if (ec && link.auth_pending) {
                        link.auth_pending = false;
                        connect_failed(link, "cannot send AUTH: " + ec.message());
                      }
                    });
}

void Connection::on_auth_reply(Link& link, const resp::Reply& reply) {
  link.auth_pending = false;
  if (reply.kind == resp::ReplyKind::kError) {
    return connect_failed(link, "authentication failed: " + std::string(reply.text));
  }
  link_ready();
}

int Connection::depth(Mode mode) const {
  return mode == Mode::kPreload ? std::max(kPreloadPipeline, shared_.config.pipeline)
                                : shared_.config.pipeline;
}

void Connection::top_up() {
  if (!alive_) return;
  const Mode mode = shared_.mode.load(std::memory_order_acquire);
  const int max_in_flight = depth(mode);
  while (in_flight_ < max_in_flight) {
    if (mode == Mode::kPreload) {
      if (!issue_preload()) break;
    } else if (mode == Mode::kRun) {
      if (!issue_run()) break;
    } else {
      break;
    }
  }
  if (mode == Mode::kRun && schedule_ && !timer_armed_ && !shared_.stopping.load() &&
      !limit_spent() && in_flight_ < max_in_flight) {
    arm_timer();
  }
  for (auto& link : links_) flush(*link);
}

// Run mode only: request_limit is written before the mode changes to kRun.
bool Connection::limit_spent() const {
  return shared_.request_limit > 0 &&
         shared_.claimed.load(std::memory_order_relaxed) >= shared_.request_limit;
}

// The link of the server that holds key_ (set by the caller).
Connection::Link& Connection::link_for_key() {
  return ring_ ? *links_[ring_->server_of(key_)] : *links_[0];
}

void Connection::push(Link& link, const Pending& p) {
  link.in_flight.push_back(p);
  ++in_flight_;
}

bool Connection::issue_preload() {
  const uint64_t key = shared_.preload_next.fetch_add(1);
  if (key >= shared_.preload_target.load()) return false;
  const auto now = Clock::now();
  Link& link = write_set(key, preload_sizes_.next(preload_rng_));
  push(link, {hw::OpType::kInsert, key, now, now, true, false, true});
  return true;
}

bool Connection::issue_run() {
  if (shared_.stopping.load(std::memory_order_relaxed)) return false;
  const auto now = Clock::now();
  Clock::time_point intended = now;
  if (schedule_) {
    if (!schedule_->is_due(now)) return false;
    intended = schedule_->take();
  }
  // Recorded by when it goes out, not by when it was due: a request of the warmup's schedule
  // sent in the measured window counts, with all the time it waited (wrk2's rule).
  const bool recorded = to_ns(now) >= shared_.record_from_ns.load(std::memory_order_relaxed);
  if (recorded && shared_.request_limit > 0 &&
      shared_.claimed.fetch_add(1, std::memory_order_relaxed) >= shared_.request_limit) {
    return false;
  }
  if (recorded) shared_.sent.fetch_add(1, std::memory_order_relaxed);
  const hw::Op op = generator_.next();
  Link* link = nullptr;
  uint64_t bytes = 0;
  switch (op.type) {
    case hw::OpType::kRead:
    case hw::OpType::kReadModifyWrite:
    case hw::OpType::kDelete:
      key_.clear();
      hw::append_key(key_, op.key);
      link = &link_for_key();
      bytes = link->write_buf.size();
      resp::append_command(link->write_buf, {op.type == hw::OpType::kDelete ? "DEL" : "GET", key_});
      bytes = link->write_buf.size() - bytes;
      break;
    case hw::OpType::kUpdate:
    case hw::OpType::kInsert:
      link = &write_set(op.key, op.value_size, &bytes);
      break;
  }
  Pending p{op.type, op.key, intended, now, recorded};
  p.request_bytes = bytes;
  push(*link, p);
  return true;
}

// *bytes (when given): the request's size on the wire.
Connection::Link& Connection::write_set(uint64_t key, uint32_t size, uint64_t* bytes) {
  key_.clear();
  hw::append_key(key_, key);
  Link& link = link_for_key();
  const size_t before = link.write_buf.size();
  resp::append_command(link.write_buf, {"SET", key_, hw::value_bytes(size)});
  if (bytes) *bytes = link.write_buf.size() - before;
  return link;
}

void Connection::arm_timer() {
  timer_armed_ = true;
  timer_.expires_at(schedule_->next_due());
  timer_.async_wait([this](const asio::error_code& ec) {
    timer_armed_ = false;
    if (!ec) top_up();
  });
}

void Connection::flush(Link& link) {
  if (link.writing || link.write_buf.empty() || !alive_) return;
  link.writing = true;
  link.out_buf.swap(link.write_buf);
  link.write_buf.clear();
  asio::async_write(link.socket, asio::buffer(link.out_buf),
                    [this, &link](const asio::error_code& ec, size_t) {
                      link.writing = false;
                      link.out_buf.clear();
                      if (ec) return fail(link, "disconnected");
                      flush(link);
                    });
}

void Connection::read(Link& link) {
  link.socket.async_read_some(asio::buffer(link.read_buf),
                              [this, &link](const asio::error_code& ec, size_t n) {
                                if (ec) return fail(link, "disconnected");
                                link.pending.append(link.read_buf.data(), n);
                                if (!parse_replies(link)) return fail(link, "protocol");
                                top_up();
                                read(link);
                              });
}

// Handles every whole reply in link.pending; false on a protocol error.
bool Connection::parse_replies(Link& link) {
  size_t pos = 0;
  while (pos < link.pending.size()) {
    resp::Reply reply;
    const long used = resp::parse_reply(std::string_view(link.pending).substr(pos), &reply);
    if (used == resp::kProtocolError) return false;
    if (used == 0) break;
    pos += static_cast<size_t>(used);
    if (link.in_flight.empty()) return false;  // a reply nobody asked for
    const Pending p = link.in_flight.front();
    link.in_flight.pop_front();
    --in_flight_;
    if (p.auth) {
      on_auth_reply(link, reply);
      if (!link.socket.is_open()) return true;  // refused: the handshake closed it
      continue;
    }
    on_reply(link, p, reply, static_cast<uint64_t>(used));
  }
  link.pending.erase(0, pos);
  return true;
}

void Connection::on_reply(Link& link, const Pending& p, const resp::Reply& reply,
                          uint64_t reply_bytes) {
  const auto now = Clock::now();
  const bool error = reply.kind == resp::ReplyKind::kError;
  if (p.type == hw::OpType::kReadModifyWrite && !p.rmw_write && !error &&
      !shared_.stopping.load(std::memory_order_relaxed)) {
    // The write half goes out now (to the same server: same key); the operation is timed
    // from the read's intended time.
    if (reply.kind == resp::ReplyKind::kNull && p.recorded)
      sink_.with(link.server, [](Stats& s) { ++s.misses; });
    Pending w = p;
    w.rmw_write = true;
    w.reply_bytes += reply_bytes;
    uint64_t set_bytes = 0;
    Link& set_link = write_set(p.key, generator_.next_value_size(), &set_bytes);
    w.request_bytes += set_bytes;
    push(set_link, w);
    return;
  }
  if (p.preload) shared_.preload_answered.fetch_add(1);
  if (!p.recorded) return;
  sink_.with(link.server, [&](Stats& s) {
    CommandStats& by_command = s.by_command[static_cast<size_t>(command_of(p.type))];
    s.bytes_sent += p.request_bytes;
    s.bytes_received += p.reply_bytes + reply_bytes;
    if (error) {
      ++s.errors[std::string(resp::error_kind(reply.text))];
      ++by_command.errors;
      return;
    }
    ++s.ops;
    ++s.ops_by_type[static_cast<size_t>(p.type)];
    if (p.type == hw::OpType::kRead && reply.kind == resp::ReplyKind::kNull) ++s.misses;
    const uint64_t latency = elapsed_ns(p.intended, now);
    s.latency.record(latency);
    s.uncorrected_latency.record(elapsed_ns(p.sent, now));
    ++by_command.ops;
    by_command.latency.record(latency);
  });
  // After the sink: whoever sees the count reach the request limit collects every record.
  shared_.completed.fetch_add(1, std::memory_order_release);
}

// A link lost: the whole connection goes (its other links' requests with it).
void Connection::fail(Link& failed, const char* kind) {
  if (failed.auth_pending) {
    failed.auth_pending = false;
    return connect_failed(failed, "disconnected before answering AUTH");
  }
  if (!alive_) return;
  alive_ = false;
  if (!shared_.stopping.load()) {
    sink_.with(failed.server, [&](Stats& s) { ++s.errors[kind]; });
    // Replies that will never come must not leave the preload, or a --requests run whose
    // budget they hold, waiting for them.
    uint64_t lost_preload = 0, lost_recorded = 0;
    for (const auto& link : links_) {
      for (const auto& p : link->in_flight) {
        lost_preload += p.preload;
        lost_recorded += p.recorded && !p.preload;
      }
    }
    shared_.preload_answered.fetch_add(lost_preload);
    shared_.completed.fetch_add(lost_recorded);
  }
  shared_.live.fetch_sub(1);
  for (auto& link : links_) link->in_flight.clear();
  in_flight_ = 0;
  close();
}

}  // namespace hakmem::load::detail
