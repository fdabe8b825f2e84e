// Ketama consistent hashing as twemproxy (nutcracker) computes it with `distribution: ketama`
// and `hash: md5`, so hakmem-load --servers sends each key to the server nutcracker would:
// every server of weight 1 gets 160 points, four per MD5 of "NAME-i" (i = 0..39), NAME being
// "host:port" as written in the proxy's `servers:` list (nutcracker drops ":11211"); a key goes
// to the first point at or after the little-endian first word of its MD5, wrapping around.
// Weights, node names and hash tags are not modelled: give every server weight 1, no name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hakmem::load {

class Ketama {
 public:
  static constexpr int kPointsPerServer = 160;

  explicit Ketama(const std::vector<std::string>& names);

  // Index (into the names) of the server that holds `key`.
  size_t server_of(std::string_view key) const;

  // The name nutcracker hashes for a server it lists as host:port:1.
  static std::string point_name(const std::string& host, uint16_t port);

 private:
  struct Point {
    uint32_t value;
    uint32_t server;
  };
  std::vector<Point> points_;  // sorted by value
};

}  // namespace hakmem::load
