// The "--version" text of hakmem's tools.
#pragma once

#include <string>

namespace hakmem {

// "TOOL VERSION (git REVISION)", e.g. "hakmem-server 0.1.0 (git 8c4f2c0a1b2c)".
std::string tool_version(const std::string& tool);
// The project version ("0.1.0") and the git revision the build was made from ("8c4f2c0a1b2c",
// "-dirty" appended for uncommitted changes, "unknown" outside a checkout).
const char* project_version();
const char* git_revision();

}  // namespace hakmem
