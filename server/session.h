// A connection's own state that commands may read or change. Only commands that run on the
// connection (RunsOn::kConnection) get it, on the connection's I/O thread, so it needs no lock.
#pragma once

namespace hakmem::server {

class ClientEntry;

struct Session {
  bool authenticated = false;
  bool close_after_reply = false;  // QUIT: close once this command's reply is written
  int protocol = 2;                // RESP version (HELLO); stamped on each request as it is read
  ClientEntry* client = nullptr;   // this connection in the client registry (CLIENT, HELLO)
};

}  // namespace hakmem::server
