#include "usage_diagnosis.h"

#include <vector>

#include "suggest.hpp"

namespace hakmem::admin_cli {
namespace {

// The option named `flag` ("--addr", "-h") on `at` or an app above it (CLI11 lets a
// subcommand see its parents' options), or null.
const CLI::Option* find_flag(const CLI::App* at, const std::string& flag) {
  for (; at != nullptr; at = at->get_parent()) {
    for (const CLI::Option* opt : at->get_options()) {
      if (opt->check_name(flag)) return opt;
    }
  }
  return nullptr;
}

std::string with_guess(std::string message, const std::string& guess) {
  return guess.empty() ? message : message + " (did you mean " + guess + "?)";
}

}  // namespace

std::string diagnose_usage(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* at = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string flag = arg.substr(0, arg.find('='));
      if (const CLI::Option* opt = find_flag(at, flag)) {
        if (opt->get_items_expected_min() > 0 && arg.find('=') == std::string::npos)
          ++i;  // its value
        continue;
      }
      std::vector<std::string> flags;
      for (const CLI::App* a = at; a != nullptr; a = a->get_parent()) {
        for (const CLI::Option* opt : a->get_options()) {
          for (const std::string& name : opt->get_lnames()) flags.push_back("--" + name);
        }
      }
      return with_guess("unknown flag " + flag, cli::nearest(flag, flags));
    }
    const auto subcommands = at->get_subcommands([](const CLI::App*) { return true; });
    if (subcommands.empty()) continue;  // a positional of the command reached
    const CLI::App* next = nullptr;
    std::vector<std::string> names;
    for (const CLI::App* sub : subcommands) {
      if (sub->check_name(arg)) next = sub;
      names.push_back(sub->get_name());
    }
    if (next == nullptr) {
      const std::string where = at == &app ? "" : " for '" + at->get_name() + "'";
      const std::string guess = cli::nearest(arg, names);
      return with_guess("unknown command '" + arg + "'" + where,
                        guess.empty() ? guess : "'" + guess + "'");
    }
    at = next;
  }
  return "";
}

}  // namespace hakmem::admin_cli
