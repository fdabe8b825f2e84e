// The objects that travel through the pipeline. Both live in the arena: a Request is built by an
// I/O thread and freed by a worker (except argument buffers the store takes over); a Reply is
// built by a worker and freed by the I/O thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "arena.h"
#include "arena_bytes.h"
#include "value_codec.h"

namespace hakmem::server {

struct CommandSpec;

// Room left in front of every argument's bytes, so a worker can write the stored-value header
// there and hand the buffer to the store as it is (no copy of the value).
constexpr size_t kArgHeadroom = kMaxValueHeader;

struct Arg {
  char* data;   // arena buffer (kArgHeadroom bytes into its block), NUL-terminated; null once taken
  size_t size;  // without the NUL
  std::string_view view() const { return {data, size}; }
};

// Plain data: the connection it came from travels beside it (worker_pool.h's Job).
struct Request {
  uint64_t sequence = 0;                 // position in the connection's reply order
  uint64_t enqueued_ns = 0;              // for service latency
  const CommandSpec* command = nullptr;  // looked up once (request_bind_command); null: unknown
  bool bound = false;                    // command has been looked up
  Arg* argv = nullptr;                   // arena array
  uint32_t argc = 0;
  uint32_t argv_capacity = 0;
  uint32_t owner_tag = 0;  // thread that allocated the request and its buffers
  uint8_t protocol = 2;    // RESP version of the reply: the connection's when it was read
  size_t bytes = 0;        // arena bytes held, for accounting
  size_t reply_bytes = 0;  // the reply's size, when it had no room and the request was deferred

  std::string_view arg(size_t i) const { return argv[i].view(); }
};

Request* request_create(Arena& arena);
// Appends an argument of size bytes and returns its (uninitialised) buffer.
char* request_add_arg(Request& request, Arena& arena, size_t size);
// Replaces the last argument's buffer by one of `size` bytes holding its first `filled` bytes
// (the parser grows a bulk string's buffer as its bytes arrive) and returns it.
char* request_grow_arg(Request& request, Arena& arena, size_t filled, size_t size);
// Moves argument i's buffer out of the request (it becomes empty); the headroom comes along.
OwnedBytes request_take_arg(Request& request, size_t i, Arena& arena);
// Frees the request and its buffers (possibly from another thread than the one that built it).
void request_destroy(Request* request, Arena& arena) noexcept;

// A finished RESP reply: header and bytes in one arena block.
struct Reply {
  uint32_t size;
  uint32_t capacity;
  uint32_t owner_tag;
  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
};

void reply_destroy(Reply* reply, Arena& arena) noexcept;
// A reply holding exactly these bytes (used for replies made on the I/O thread).
Reply* reply_from_bytes(Arena& arena, std::string_view bytes);

}  // namespace hakmem::server
