// What to tell the user when hakmem-admin's command line does not parse: the first argument it
// does not know, with the nearest flag or command ("did you mean ...?"), as hakmem-load does.
// CLI11's own message for such a line is often about something else ("A subcommand is
// required" for `hakmem-admin --bogus`).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace hakmem::admin_cli {

// "" when every argument is known (CLI11's message then says what is wrong).
std::string diagnose_usage(const CLI::App& app, int argc, const char* const* argv);

}  // namespace hakmem::admin_cli
