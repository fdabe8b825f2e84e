// hakmem-load's command line contract: usage errors exit 2, an unreachable server exits 1
// with one line, --help lists the defaults; and the --phases parser.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "phases.hpp"
#include "process.hpp"

namespace hl = hakmem::load;
using hl::testing::run_process;

namespace {

// A loopback port nobody listens on (bound, then released).
uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST(Cli, HelpListsDefaults) {
  const auto r = run_process({HAKMEM_LOAD_BIN, "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--host",     "--port",
                           "--threads",  "--connections",
                           "--pipeline", "--duration",
                           "--requests", "--warmup",
                           "--seed",     "--workload",
                           "--keys",     "--value-size",
                           "--rate",     "--allow-rate-miss",
                           "--load",     "--json",
                           "--hgrm",     "--admin",
                           "--phases",   "--user",
                           "--password", "--runs"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(r.out.find("7379"), std::string::npos);  // default port shown
  EXPECT_NE(r.out.find("no AUTH"), std::string::npos);
}

// A bad flag gets its reason and the usage line, not the whole help; a typo gets a guess.
TEST(Cli, BadFlagErrorsAreShortWithSuggestions) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--durtion", "5"}, "unknown flag --durtion (did you mean --duration?)"},
           {{"--conections=4"}, "unknown flag --conections=4 (did you mean --connections?)"},
           {{"--zzzzzzzz"}, "unknown flag --zzzzzzzz\n"},
           {{"--rate", "-5"}, "--rate: -5 is out of range: it must be 0 or more"},
           {{"--duration", "0"}, "--duration: 0 is out of range: it must be greater than 0"},
           {{"--warmup", "soon"}, "--warmup: 'soon' is not a number"}}) {
    std::vector<std::string> argv{HAKMEM_LOAD_BIN};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const auto r = run_process(argv);
    EXPECT_EQ(r.exit_code, 2) << c.args[0];
    EXPECT_NE(r.err.find("hakmem-load: " + c.message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;  // reason + usage
    EXPECT_EQ(r.err.find("e+308"), std::string::npos) << r.err;
  }
}

TEST(Cli, BadFlagsPrintUsageAndExit2) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--no-such-flag"},
           {"--threads", "0"},
           {"--duration", "-1"},
           {"--workload", "e"},
           {"--value-size", "10-5"},
           {"--distribution", "gaussian"},
           {"--phases", "S:1s"},                            // needs --admin
           {"--phases", "X:1s", "--admin", "127.0.0.1:1"},  // unknown route
           {"--phases", "S:1s", "--admin", "a:1", "--duration", "3"},
           {"--port", "notaport"}}) {
    std::vector<std::string> argv{HAKMEM_LOAD_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run_process(argv);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << r.err;
    EXPECT_NE(r.err.find("Usage"), std::string::npos) << args[0];
    EXPECT_TRUE(r.out.empty()) << args[0];
  }
}

TEST(Cli, UnreachableServerIsOneLineAndExit1) {
  const auto port = std::to_string(unused_port());
  const auto r = run_process({HAKMEM_LOAD_BIN, "--port", port, "--duration", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("cannot connect to 127.0.0.1:" + port), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(Phases, ParsesRoutesAndDurations) {
  std::vector<hl::PhaseSpec> phases;
  std::string error;
  ASSERT_TRUE(hl::parse_phases("S:10s,P:500ms,CDA:1m,S:2", &phases, &error)) << error;
  ASSERT_EQ(phases.size(), 4u);
  EXPECT_EQ(phases[0].route, "S");
  EXPECT_EQ(phases[0].duration.count(), 10000);
  EXPECT_EQ(phases[1].route, "P");
  EXPECT_EQ(phases[1].duration.count(), 500);
  EXPECT_EQ(phases[2].route, "CDA");
  EXPECT_EQ(phases[2].duration.count(), 60000);
  EXPECT_EQ(phases[3].duration.count(), 2000);
  for (const char* bad : {"", "S", "S:", "Q:1s", "S:1h", "S:0s", "S:1s,", "S:1s,,P:1s"}) {
    EXPECT_FALSE(hl::parse_phases(bad, &phases, &error)) << bad;
  }
  // Route names are read as everywhere else (hakmem/route_names.h): any case, printed upper.
  ASSERT_TRUE(hl::parse_phases("cda:1s,a:1s", &phases, &error)) << error;
  EXPECT_EQ(phases[0].route, "CDA");
  EXPECT_EQ(phases[1].route, "A");
}
