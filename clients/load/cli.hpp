// Command line of hakmem-load (CLI11): flags -> RunConfig + output files.
#pragma once

#include <string>
#include <vector>

#include "report.hpp"

namespace hakmem::load {

struct Options {
  ReportConfig report;
  std::string json_file;
  std::string hgrm_file;
  std::string admin_token;
  bool quiet = false;
};

// "host:port,host:port,..." (a host may be [IPv6]) into `out`; false with *error set on a
// malformed entry, a repeated one, or more than kMaxServers.
inline constexpr size_t kMaxServers = 64;
bool parse_servers(const std::string& text, std::vector<ServerAddress>* out, std::string* error);

// Parses argv. Returns -1 to go on, or the exit code to leave with right away (0 after --help,
// 2 after a usage error, which it has printed with the usage to stderr).
int parse_command_line(int argc, char** argv, Options* out);

}  // namespace hakmem::load
