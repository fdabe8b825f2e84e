// The "--version" text of hakmem's tools.
#pragma once

#include <string>

namespace hakmem {

// "TOOL VERSION (git REVISION)", e.g. "hakmem-server 0.1.0 (git 8c4f2c0a1b2c)".
std::string tool_version(const std::string& tool);

}  // namespace hakmem
