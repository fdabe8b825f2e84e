#include "ketama.hpp"

#include <algorithm>

#include "md5.hpp"

namespace hakmem::load {

namespace {

// Word `word` (0-3) of the digest, little-endian, as nutcracker reads it.
uint32_t digest_word(const std::array<uint8_t, 16>& d, int word) {
  const uint8_t* p = d.data() + 4 * word;
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

}  // namespace

Ketama::Ketama(const std::vector<std::string>& names) {
  constexpr int kWordsPerDigest = 4;
  points_.reserve(names.size() * kPointsPerServer);
  for (size_t s = 0; s < names.size(); ++s) {
    for (int i = 0; i < kPointsPerServer / kWordsPerDigest; ++i) {
      const auto digest = md5(names[s] + "-" + std::to_string(i));
      for (int w = 0; w < kWordsPerDigest; ++w)
        points_.push_back({digest_word(digest, w), static_cast<uint32_t>(s)});
    }
  }
  // Ties (improbable) keep the server order, which is as good a rule as nutcracker's qsort.
  std::stable_sort(points_.begin(), points_.end(),
                   [](const Point& a, const Point& b) { return a.value < b.value; });
}

size_t Ketama::server_of(std::string_view key) const {
  if (points_.empty()) return 0;
  const uint32_t h = digest_word(md5(key), 0);
  auto it = std::lower_bound(points_.begin(), points_.end(), h,
                             [](const Point& p, uint32_t v) { return p.value < v; });
  if (it == points_.end()) it = points_.begin();
  return it->server;
}

std::string Ketama::point_name(const std::string& host, uint16_t port) {
  return port == 11211 ? host : host + ":" + std::to_string(port);
}

}  // namespace hakmem::load
