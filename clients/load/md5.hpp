// MD5 (RFC 1321), for ketama key placement compatible with twemproxy's `hash: md5`. Not for
// anything that needs a secure hash.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace hakmem::load {

std::array<uint8_t, 16> md5(std::string_view data);

}  // namespace hakmem::load
