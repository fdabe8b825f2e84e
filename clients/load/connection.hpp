// A client connection of the load engine: one socket per server, pipelining, and matching each
// reply to the request it answers. Internal to hakmem_load_core: LoadEngine (load_engine.cpp)
// owns the connections and the state they share. Includes Asio, unlike load_engine.hpp.
#pragma once

// A standard header before Asio: Asio's config reads libstdc++'s macros to choose aligned_alloc.
// Without one first, this file's Asio would allocate handlers with operator new where every other
// file's frees them with free() (one inline function, two definitions: ASan's
// alloc-dealloc-mismatch).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <asio.hpp>

#include "load_engine.hpp"
#include "open_loop.hpp"
#include "resp.hpp"
#include "stats.hpp"

namespace hakmem::load {

class Ketama;

namespace detail {

namespace hw = workloads;
using Clock = LoadEngine::Clock;
using asio::ip::tcp;

enum class Mode : int { kIdle, kPreload, kRun };

inline int64_t to_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// State every connection reads; written by the runner's thread.
struct Shared {
  explicit Shared(const EngineConfig& c) : config(c), workload(c.workload.keys) {}
  EngineConfig config;
  hw::SharedState workload;
  std::atomic<Mode> mode{Mode::kIdle};
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> record_from_ns{0};
  std::atomic<uint64_t> preload_next{0};
  std::atomic<uint64_t> preload_target{0};
  std::atomic<uint64_t> preload_answered{0};
  std::atomic<uint64_t> claimed{0};
  uint64_t request_limit = 0;
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> completed{0};
  std::atomic<int> live{0};
  std::atomic<int> connect_pending{0};
  std::mutex error_mu;
  std::string connect_error;
};

// A client connection: one Link per server (one without --servers). Its pipeline depth counts
// the requests in flight over all its links; a key's requests always take the same link.
class Connection {
 public:
  Connection(asio::io_context& io, Shared& shared, StatsSink& sink, int index, const Ketama* ring,
             size_t servers);
  ~Connection();  // out of line: Link is complete only in connection.cpp

  // endpoints[i]: server i's. The connection is live once every link is connected.
  void async_connect(const std::vector<tcp::resolver::results_type>& endpoints,
                     const std::vector<ServerAddress>& names);

  // Called (on this connection's thread) when the mode changes.
  void kick();

  // Requests of the open-loop schedule due by `at` and never sent (read after the threads
  // stopped).
  uint64_t backlog(Clock::time_point at) const;
  void close();

 private:
  struct Pending;
  struct Link;

  void link_ready();
  void connect_failed(Link& link, const std::string& why);
  void send_auth(Link& link);
  void on_auth_reply(Link& link, const resp::Reply& reply);
  int depth(Mode mode) const;
  void top_up();
  bool limit_spent() const;
  Link& link_for_key();
  void push(Link& link, const Pending& p);
  bool issue_preload();
  bool issue_run();
  Link& write_set(uint64_t key, uint32_t size, uint64_t* bytes = nullptr);
  void arm_timer();
  void flush(Link& link);
  void read(Link& link);
  bool parse_replies(Link& link);
  void on_reply(Link& link, const Pending& p, const resp::Reply& reply, uint64_t reply_bytes);
  void fail(Link& failed, const char* kind);

  Shared& shared_;
  StatsSink& sink_;
  int index_;
  const Ketama* ring_;  // null with one server
  std::vector<std::unique_ptr<Link>> links_;
  size_t connected_ = 0;
  int in_flight_ = 0;  // over every link
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  bool alive_ = false;
  hw::OpGenerator generator_;
  hw::Rng preload_rng_;
  hw::ValueSizeChooser preload_sizes_;
  std::optional<OpenLoopSchedule> schedule_;
  std::string key_;
};

}  // namespace detail
}  // namespace hakmem::load
