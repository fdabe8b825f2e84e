// MD5 against RFC 1321's test suite; ketama placement against an independent computation
// (Python's hashlib, the algorithm in clients/load/ketama.hpp); the --servers list parser.
// tests/fleet/proxy_test.py checks the placement against nutcracker itself.
#include "ketama.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "cli.hpp"
#include "hakmem/workloads/workload.hpp"
#include "md5.hpp"

namespace hl = hakmem::load;

namespace {

std::string hex(const std::array<uint8_t, 16>& d) {
  std::string out;
  char buf[3];
  for (uint8_t b : d) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

TEST(Md5, Rfc1321TestSuite) {
  EXPECT_EQ(hex(hl::md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex(hl::md5("a")), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(hex(hl::md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex(hl::md5("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(hex(hl::md5("abcdefghijklmnopqrstuvwxyz")), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(hex(hl::md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(hex(hl::md5("1234567890123456789012345678901234567890123456789012345678901234567890"
                        "1234567890")),
            "57edf4a22be3c955ac49da2e2107b67a");
  // Padding edge: 56 bytes need a second block.
  EXPECT_EQ(hex(hl::md5(std::string(56, 'a'))), "3b0c8ac703f828b04c6c197006d17218");
}

TEST(Ketama, PlacesKeysAsComputedIndependently) {
  const hl::Ketama ring({"10.0.0.1:7379", "10.0.0.2:7379", "10.0.0.3:7379"});
  // python3: md5 ketama, 40 digests x 4 points of "NAME-i" per server (see ketama.hpp).
  const std::vector<size_t> expected = {0, 2, 0, 2, 0, 1, 1, 1, 2, 0, 2, 1, 0, 2, 2, 0, 2, 1, 1, 2,
                                        2, 1, 2, 0, 1, 2, 0, 0, 0, 0, 2, 0, 1, 2, 1, 0, 0, 0, 1, 1};
  for (size_t k = 0; k < expected.size(); ++k) {
    EXPECT_EQ(ring.server_of(hakmem::workloads::format_key(k)), expected[k]) << "key " << k;
  }
}

TEST(Ketama, RemovingAServerMovesOnlyItsKeys) {
  const hl::Ketama three({"a:1", "b:2", "c:3"});
  const hl::Ketama two({"a:1", "c:3"});
  std::map<size_t, int> share;
  for (uint64_t k = 0; k < 3000; ++k) {
    const std::string key = hakmem::workloads::format_key(k);
    const size_t before = three.server_of(key);
    ++share[before];
    if (before == 0) {
      EXPECT_EQ(two.server_of(key), 0u);
    }
    if (before == 2) {
      EXPECT_EQ(two.server_of(key), 1u);
    }
  }
  for (size_t s = 0; s < 3; ++s) EXPECT_GT(share[s], 600) << "server " << s;
}

TEST(Ketama, NameDropsTheMemcachedPort) {
  EXPECT_EQ(hl::Ketama::point_name("10.0.0.1", 7379), "10.0.0.1:7379");
  EXPECT_EQ(hl::Ketama::point_name("10.0.0.1", 11211), "10.0.0.1");
}

TEST(ServersFlag, ParsesAndRefuses) {
  std::vector<hl::ServerAddress> out;
  std::string error;
  ASSERT_TRUE(hl::parse_servers("127.0.0.1:7001,db2:7002,[::1]:7003", &out, &error)) << error;
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].name(), "127.0.0.1:7001");
  EXPECT_EQ(out[1].host, "db2");
  EXPECT_EQ(out[2].host, "::1");
  EXPECT_EQ(out[2].port, 7003);
  for (const char* bad : {"", "host", "host:", ":7001", "h:0", "h:65536", "h:12x", "h:1,,h:2",
                          "h:1,h:1"}) {
    EXPECT_FALSE(hl::parse_servers(bad, &out, &error)) << bad;
    EXPECT_FALSE(error.empty());
  }
  std::string many;
  for (int i = 0; i < 65; ++i) many += (i ? ",h:" : "h:") + std::to_string(1000 + i);
  EXPECT_FALSE(hl::parse_servers(many, &out, &error));
  EXPECT_NE(error.find("64"), std::string::npos);
}

}  // namespace
