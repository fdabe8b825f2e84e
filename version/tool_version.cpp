#include "tool_version.h"

namespace hakmem {

extern const char* const kGitRevision;  // revision.cpp, generated at build time

std::string tool_version(const std::string& tool) {
  return tool + " " + HAKMEM_PROJECT_VERSION + " (git " + kGitRevision + ")";
}

}  // namespace hakmem
