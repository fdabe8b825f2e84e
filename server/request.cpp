#include "request.h"

#include <cstring>
#include <new>

namespace hakmem::server {

Request* request_create(Arena& arena) {
  void* memory = arena.allocate(sizeof(Request));
  auto* request = new (memory) Request();
  request->owner_tag = this_thread_tag();
  request->bytes = sizeof(Request);
  return request;
}

char* request_add_arg(Request& request, Arena& arena, size_t size) {
  if (request.argc == request.argv_capacity) {
    // Grow geometrically; the declared count is not trusted for the first allocation.
    uint32_t capacity = request.argv_capacity == 0 ? 4 : request.argv_capacity * 2;
    auto* grown = static_cast<Arg*>(arena.allocate(capacity * sizeof(Arg)));
    if (request.argc > 0) std::memcpy(grown, request.argv, request.argc * sizeof(Arg));
    arena.deallocate(request.argv, request.argv_capacity * sizeof(Arg), request.owner_tag);
    request.bytes += (capacity - request.argv_capacity) * sizeof(Arg);
    request.argv = grown;
    request.argv_capacity = capacity;
  }
  auto* block = static_cast<char*>(arena.allocate(kArgHeadroom + size + 1));
  char* buffer = block + kArgHeadroom;
  buffer[size] = '\0';
  request.argv[request.argc++] = Arg{buffer, size};
  request.bytes += kArgHeadroom + size + 1;
  return buffer;
}

char* request_grow_arg(Request& request, Arena& arena, size_t filled, size_t size) {
  Arg& arg = request.argv[request.argc - 1];
  auto* block = static_cast<char*>(arena.allocate(kArgHeadroom + size + 1));
  char* buffer = block + kArgHeadroom;
  std::memcpy(buffer, arg.data, filled);
  buffer[size] = '\0';
  arena.deallocate(arg.data - kArgHeadroom, kArgHeadroom + arg.size + 1, request.owner_tag);
  request.bytes += size - arg.size;
  arg = Arg{buffer, size};
  return buffer;
}

OwnedBytes request_take_arg(Request& request, size_t i, Arena& arena) {
  Arg& arg = request.argv[i];
  ArenaBytes bytes;
  bytes.block = arg.data - kArgHeadroom;
  bytes.offset = kArgHeadroom;
  bytes.size = arg.size;
  bytes.owner_tag = request.owner_tag;
  request.bytes -= bytes.block_size();
  arg = Arg{nullptr, 0};
  return OwnedBytes(arena, bytes);
}

void request_destroy(Request* request, Arena& arena) noexcept {
  if (request == nullptr) return;
  const uint32_t owner = request->owner_tag;
  for (uint32_t i = 0; i < request->argc; ++i) {
    const Arg& arg = request->argv[i];
    if (arg.data != nullptr)
      arena.deallocate(arg.data - kArgHeadroom, kArgHeadroom + arg.size + 1, owner);
  }
  arena.deallocate(request->argv, request->argv_capacity * sizeof(Arg), owner);
  request->~Request();
  arena.deallocate(request, sizeof(Request), owner);
}

void reply_destroy(Reply* reply, Arena& arena) noexcept {
  if (reply == nullptr) return;
  arena.deallocate(reply, sizeof(Reply) + reply->capacity, reply->owner_tag);
}

Reply* reply_from_bytes(Arena& arena, std::string_view bytes) {
  auto* reply = static_cast<Reply*>(arena.allocate(sizeof(Reply) + bytes.size()));
  reply->size = static_cast<uint32_t>(bytes.size());
  reply->capacity = static_cast<uint32_t>(bytes.size());
  reply->owner_tag = this_thread_tag();
  std::memcpy(reply->data(), bytes.data(), bytes.size());
  return reply;
}

}  // namespace hakmem::server
