#include "tool_version.h"

namespace hakmem {

extern const char* const kGitRevision;  // revision.cpp, generated at build time

std::string tool_version(const std::string& tool) {
  return tool + " " + HAKMEM_PROJECT_VERSION + " (git " + kGitRevision + ")";
}

const char* project_version() {
  return HAKMEM_PROJECT_VERSION;
}

const char* git_revision() {
  return kGitRevision;
}

}  // namespace hakmem
