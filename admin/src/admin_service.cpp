#include "admin_service.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string_view>

#include "allocator_view.h"
#include "process_allocator.h"
#include "process_stats.h"
#include "tool_version.h"

namespace hakmem::admin {

namespace {

constexpr uint32_t kMinWatchIntervalMs = 100;
constexpr uint32_t kMaxWatchIntervalMs = 3600 * 1000;
// How often a waiting watch looks at its call's cancellation (sync API: no callback for it).
constexpr auto kCancelPoll = std::chrono::milliseconds(50);

// Compares without an early exit, so the time taken does not reveal a matching prefix.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

AdminServiceImpl::AdminServiceImpl(std::string token, AdminStatsSource* stats)
    : token_(std::move(token)), stats_(stats) {}

grpc::Status AdminServiceImpl::authorize(const grpc::ServerContext* ctx) const {
  if (token_.empty()) return grpc::Status::OK;
  constexpr std::string_view kBearer = "Bearer ";
  const auto& md = ctx->client_metadata();
  auto it = md.find(kTokenMetadataKey);
  if (it == md.end()) {
    return {grpc::StatusCode::UNAUTHENTICATED, "missing admin token (authorization metadata)"};
  }
  std::string_view value(it->second.data(), it->second.size());
  if (value.substr(0, kBearer.size()) == kBearer) value.remove_prefix(kBearer.size());
  if (!same_secret(value, token_)) {
    return {grpc::StatusCode::UNAUTHENTICATED, "wrong admin token"};
  }
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::GetRoute(grpc::ServerContext* ctx, const v1::GetRouteRequest*,
                                        v1::GetRouteResponse* resp) {
  if (auto s = authorize(ctx); !s.ok()) return s;
  hak_route route = hakmem_api().get_route();
  resp->set_route(to_proto(route));
  resp->set_name(hak_route_name(route));
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::SetRoute(grpc::ServerContext* ctx, const v1::SetRouteRequest* req,
                                        v1::SetRouteResponse* resp) {
  if (auto s = authorize(ctx); !s.ok()) return s;
  hak_route wanted;
  if (!from_proto(req->route(), &wanted)) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            "route must be S, P, CDA or A (got enum value " + std::to_string(req->route()) + ")"};
  }
  std::lock_guard lock(write_mu_);
  hak_route previous = hakmem_api().get_route();
  if (int rc = hakmem_api().set_route(wanted); rc != 0) {
    // The route is valid, so a refusal means this allocator build cannot run it (yet).
    return {grpc::StatusCode::FAILED_PRECONDITION,
            std::string("the allocator refused route ") + hak_route_name(wanted) + " (" +
                (rc == EINVAL ? "EINVAL" : std::to_string(rc)) +
                "): not available in this build; route stays " +
                hak_route_name(hakmem_api().get_route())};
  }
  resp->set_previous(to_proto(previous));
  resp->set_current(to_proto(hakmem_api().get_route()));
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::GetOptions(grpc::ServerContext* ctx, const v1::GetOptionsRequest*,
                                          v1::GetOptionsResponse* resp) {
  if (auto s = authorize(ctx); !s.ok()) return s;
  std::lock_guard lock(write_mu_);  // never shows half of a SetOptions
  fill_options(resp->mutable_options());
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::SetOptions(grpc::ServerContext* ctx,
                                          const v1::SetOptionsRequest* req,
                                          v1::SetOptionsResponse* resp) {
  if (auto s = authorize(ctx); !s.ok()) return s;
  std::lock_guard lock(write_mu_);
  return set_options(*req, resp);
}

grpc::Status AdminServiceImpl::DumpCounters(grpc::ServerContext* ctx,
                                            const v1::DumpCountersRequest* req,
                                            v1::DumpCountersResponse* resp) {
  if (auto s = authorize(ctx); !s.ok()) return s;
  if (req->reset_after_read()) {
    std::lock_guard lock(write_mu_);
    fill_snapshot(resp->mutable_snapshot(), true);
  } else {
    fill_snapshot(resp->mutable_snapshot(), false);
  }
  resp->set_was_reset(req->reset_after_read());
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ResetCounters(grpc::ServerContext* ctx,
                                             const v1::ResetCountersRequest*,
                                             v1::ResetCountersResponse*) {
  if (auto s = authorize(ctx); !s.ok()) return s;
  std::lock_guard lock(write_mu_);
  hakmem_api().counters_reset();
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::GetStats(grpc::ServerContext* ctx, const v1::GetStatsRequest*,
                                        v1::GetStatsResponse* resp) {
  if (auto s = authorize(ctx); !s.ok()) return s;
  ProcessStats proc = read_process_stats();
  resp->set_rss_bytes(proc.rss_bytes);
  resp->set_peak_rss_bytes(proc.peak_rss_bytes);
  resp->set_uptime_seconds(proc.uptime_seconds);

  ServerStats server;
  if (stats_ != nullptr) server = stats_->server_stats();
  if (server.arena.empty()) {
    hak_counters c{};
    hakmem_api().counters_get(&c);
    resp->set_arena("hakmem");
    resp->set_arena_bytes_in_use(c.bytes_in_use);
    resp->set_arena_bytes_committed(c.bytes_committed);
  } else {
    resp->set_arena(server.arena);
    resp->set_arena_bytes_in_use(server.arena_bytes_in_use);
    resp->set_arena_bytes_committed(server.arena_bytes_committed);
  }
  if (stats_ == nullptr) return grpc::Status::OK;
  resp->set_server_stats_available(true);
  resp->set_connections(server.connections);
  resp->set_connections_total(server.connections_total);
  for (const CommandCount& c : server.requests) {
    v1::CommandCount* out = resp->add_requests();
    out->set_command(c.command);
    out->set_count(c.count);
  }
  resp->set_worker_queue_depth(server.worker_queue_depth);
  for (const LatencyPoint& p : server.latency) {
    v1::LatencyPercentile* out = resp->add_latency();
    out->set_percentile(p.percentile);
    out->set_micros(p.micros);
  }
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::WatchCounters(
    grpc::ServerContext* ctx, const v1::WatchCountersRequest* req,
    grpc::ServerWriter<v1::WatchCountersResponse>* writer) {
  if (auto s = authorize(ctx); !s.ok()) return s;
  const uint32_t ms = req->interval_ms();
  if (ms < kMinWatchIntervalMs || ms > kMaxWatchIntervalMs) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            "interval_ms must be between 100 and 3600000 (got " + std::to_string(ms) + ")"};
  }
  const auto interval = std::chrono::milliseconds(ms);
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(watch_mu_);
      while (!stopping_ && !ctx->IsCancelled() && std::chrono::steady_clock::now() < next) {
        watch_cv_.wait_until(lock, std::min(next, std::chrono::steady_clock::now() + kCancelPoll));
      }
      if (stopping_) return {grpc::StatusCode::UNAVAILABLE, "admin server shutting down"};
    }
    if (ctx->IsCancelled()) return grpc::Status::CANCELLED;
    v1::WatchCountersResponse msg;
    fill_snapshot(msg.mutable_snapshot(), false);
    if (!writer->Write(msg)) return grpc::Status::CANCELLED;  // the client went away
    // Fixed rate; after a stall, skip the missed ticks instead of bursting to catch up.
    next = std::max(next + interval, std::chrono::steady_clock::now());
  }
}

grpc::Status AdminServiceImpl::GetVersion(grpc::ServerContext* ctx, const v1::GetVersionRequest*,
                                          v1::GetVersionResponse* resp) {
  if (auto s = authorize(ctx); !s.ok()) return s;
  resp->set_version(hakmem_api().version());
  resp->set_git_revision(hakmem::git_revision());
  resp->set_host(stats_ != nullptr ? "hakmem-server" : "hakmem");
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::GetRouteAClasses(grpc::ServerContext* ctx,
                                                const v1::GetRouteAClassesRequest*,
                                                v1::GetRouteAClassesResponse* resp) {
  if (auto s = authorize(ctx); !s.ok()) return s;
  fill_route_a(resp);
  return grpc::Status::OK;
}

void AdminServiceImpl::stop_watches() {
  {
    std::lock_guard lock(watch_mu_);
    stopping_ = true;
  }
  watch_cv_.notify_all();
}

}  // namespace hakmem::admin
