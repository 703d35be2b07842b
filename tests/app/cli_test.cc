// The command line as users and scripts see it: exit codes and the JSON
// field names DESIGN.md declares a public interface.
#include <array>
#include <fstream>
#include <iterator>
#include <unistd.h>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/app/meshsim_run.h"

namespace {

using meshsim::testing::Run;
// The tests read stdout alone.
Run meshsim(const std::string& args) { return ::meshsim::testing::meshsim(args, /*with_stderr=*/false); }

std::string src(const std::string& p) { return std::string(MESHSIM_SOURCE_DIR) + "/" + p; }

// A path that cannot exist: it goes through a regular file as if it were a folder.
const std::string kMissingFile = src("tests/app/cli_test.cc/does-not-exist.yaml");

TEST(Cli, ValidateExitCodes) {
  EXPECT_EQ(meshsim("validate " + src("examples")).exit_code, 0);
  EXPECT_EQ(meshsim("validate " + kMissingFile).exit_code, 2);
  auto json = meshsim("validate -o json " + src("examples"));
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["errors"], 0);
  EXPECT_TRUE(j["findings"].is_array());
  EXPECT_EQ(meshsim("validate -o yaml " + src("examples")).exit_code, 2);  // unknown format: the valid set is named
  EXPECT_EQ(meshsim("frobnicate").exit_code, 2);
}

TEST(Cli, CurlJsonSingleRequestFields) {
  auto r = meshsim("curl -f " + src("examples") + " --json -H 'User-Agent: Mobile' http://bar/x");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  // DESIGN.md: status, served_by, duration_ms, attempts, upstream,
  // response_headers, body, route, flags, mirrored_to.
  for (const char* key : {"status", "served_by", "duration_ms", "attempts", "upstream", "response_headers", "body", "route",
                          "flags", "mirrored_to"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["served_by"]["workload"], "bar-v2");
  EXPECT_EQ(j["served_by"]["service"], "bar");
  EXPECT_EQ(j["served_by"]["namespace"], "default");
  EXPECT_EQ(j["served_by"]["version"], "v2");
  EXPECT_EQ(j["upstream"]["path"], "/x");
  EXPECT_EQ(j["upstream"]["headers"]["user-agent"], "Mobile");  // header names lower-case
  EXPECT_EQ(j["route"]["resource"], "VirtualService default/bar");
}

// A short option's value may be written attached, as getopt allows
// (`-ofile`, `-H'Name: value'`): any characters, not only letters and digits.
// (cxxopts' parser without std::regex refuses these; kept out for that reason.)
TEST(Cli, ShortOptionValuesMayBeAttached) {
  auto r = meshsim("curl -f" + src("examples") + " --json '-HUser-Agent: Mobile' http://bar/x");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["upstream"]["headers"]["user-agent"], "Mobile");
  EXPECT_EQ(meshsim("validate -ojson " + src("examples")).exit_code, 0);
}

// A repeatable option's value is taken whole, commas included: browsers'
// User-Agent and Accept headers, CORS request-header lists.
TEST(Cli, RepeatableValuesKeepTheirCommas) {
  auto r = meshsim("curl -f " + src("examples") +
                   " --json -H 'User-Agent: Mozilla/5.0 (KHTML, like Gecko)' -H 'Accept: text/html,application/json' "
                   "http://bar/x");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["upstream"]["headers"]["user-agent"], "Mozilla/5.0 (KHTML, like Gecko)");
  EXPECT_EQ(j["upstream"]["headers"]["accept"], "text/html,application/json");
}

// `--from @outside`: a client outside the cluster calling the ingress
// gateway Service's external address; the Host picks the Gateway's route.
TEST(Curl, FromOutsideEntersThroughTheGateway) {
  std::string file = src("tests/fidelity/gateway-ingress.yaml");
  EXPECT_EQ(meshsim("validate " + file).exit_code, 0);
  auto r = meshsim("curl -f " + file + " --from @outside --json -H 'Host: store.example.com' "
                   "http://edge-gateway.istio-system/catalog/1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["served_by"]["workload"], "catalog");
  auto text = meshsim("curl -f " + file + " --from @outside -H 'Host: nowhere.example.com' http://edge-gateway.istio-system/");
  EXPECT_NE(text.out.find("outside the cluster"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("404"), std::string::npos) << text.out;
}

TEST(Curl, RepeatFieldsAndLocalReplies) {
  auto r = meshsim("curl -f " + src("examples") + " --json --repeat 50 http://bar/");
  ASSERT_EQ(r.exit_code, 0);
  auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"count", "by_status", "by_version", "by_workload", "by_flag", "mirrored", "latency_ms"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["count"], 50);
  for (const char* p : {"p50", "p90", "p99", "max"}) EXPECT_TRUE(j["latency_ms"].contains(p)) << p;
  // A denied request is still an HTTP response: exit 0.
  auto denied = meshsim("curl -f " + src("examples") + " --from frontend-v1 --json http://bar/");
  EXPECT_EQ(denied.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(denied.out)["status"], 403);
}

TEST(Curl, BadInputExitsTwo) {
  EXPECT_EQ(meshsim("curl -f " + src("examples") + " --from nobody http://bar/").exit_code, 2);
  EXPECT_EQ(meshsim("curl -f " + src("examples") + " https://bar/").exit_code, 2);
  EXPECT_EQ(meshsim("curl -f " + src("examples") + " -H 'nocolon' http://bar/").exit_code, 2);
  EXPECT_EQ(meshsim("curl http://bar/").exit_code, 2);
}

}  // namespace

namespace {

TEST(Run, ExitCodesAndWatch) {
  EXPECT_EQ(meshsim("run -q " + src("scenarios/canary.yaml")).exit_code, 0);
  EXPECT_EQ(meshsim("run " + kMissingFile).exit_code, 2);
  EXPECT_EQ(meshsim("run " + src("examples/rules.yaml")).exit_code, 2);  // no Scenario document
  // A scenario whose expectation cannot hold: exit 1.
  std::string failing = "/tmp/meshsim-cli-failing-" + std::to_string(::getpid()) + ".yaml";
  {
    std::ifstream in(src("scenarios/canary.yaml"));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text.replace(text.find("equals: 0.1}"), 12, "equals: 0.6}");
    std::ofstream(failing) << text;
  }
  EXPECT_EQ(meshsim("run -q " + failing).exit_code, 1);
  // --watch paces and redraws (here 100000x, so it takes a blink).
  auto watch = meshsim("run --watch --speed 100000 " + src("scenarios/canary.yaml"));
  EXPECT_EQ(watch.exit_code, 0);
  EXPECT_NE(watch.out.find("\x1b[H"), std::string::npos);
  EXPECT_NE(watch.out.find("last 10 s"), std::string::npos);
}

}  // namespace

namespace {

TEST(Cli, VersionNamesTheProjectVersion) {
  // CMake's project(VERSION), then the commit when the build was configured from a git checkout.
  auto r = meshsim("--version");
  EXPECT_EQ(r.exit_code, 0);
  std::regex line(R"(meshsim )" + std::regex_replace(MESHSIM_PROJECT_VERSION, std::regex(R"(\.)"), R"(\.)") +
                  R"(( \(commit [0-9a-f]{4,40}\))?\n)");
  EXPECT_TRUE(std::regex_match(r.out, line)) << r.out;
}

TEST(Cli, NoArgumentsPrintsTheCommandListAndExitsTwo) {
  auto r = meshsim("");
  EXPECT_EQ(r.exit_code, 2);  // nothing to do is bad input, like an unknown command
  for (const char* command : {"validate", "curl", "run", "say", "serve", "ctl", "demo", "proxy", "help", "--version"})
    EXPECT_NE(r.out.find("\n  " + std::string(command) + " "), std::string::npos) << command << " not in:\n" << r.out;
}

}  // namespace
