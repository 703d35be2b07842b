// `meshsim plan` as a user runs it: exit 0 nothing moved, 1 something moved,
// 2 bad input with file:line:column (issue 17); the three output formats.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/app/meshsim_run.h"

namespace {

using meshsim::testing::meshsim;
using meshsim::testing::Run;

std::string fixture(const std::string& name) {
  return std::string(MESHSIM_SOURCE_DIR) + "/tests/fixtures/plan/" + name;
}

const std::string kMesh = fixture("shop-mesh.yaml");

TEST(PlanCli, NothingMovedExitsZero) {
  auto r = meshsim("plan --before " + kMesh + " " + fixture("reviews-v1.yaml") + " --after " + kMesh + " " +
                   fixture("reviews-v1.yaml"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Nothing moved."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("covered 1 of 1 rules"), std::string::npos) << r.out;
}

TEST(PlanCli, MovedExitsOneInEveryFormat) {
  std::string args = "plan --before " + kMesh + " " + fixture("reviews-v1.yaml") + " --after " + kMesh + " " +
                     fixture("reviews-user-v2.yaml");
  auto text = meshsim(args);
  EXPECT_EQ(text.exit_code, 1) << text.out;
  EXPECT_NE(text.out.find("destination: reviews v1 100% -> reviews v2 100%"), std::string::npos) << text.out;

  auto json = meshsim(args + " -o json");
  EXPECT_EQ(json.exit_code, 1);
  auto j = nlohmann::json::parse(json.out);
  EXPECT_TRUE(j["moved"].get<bool>());
  ASSERT_EQ(j["moves"].size(), 1u);
  EXPECT_EQ(j["moves"][0]["request"], "GET / user: jason");
  EXPECT_EQ(j["coverage"]["after"]["covered"], 2);

  auto md = meshsim(args + " --output markdown");
  EXPECT_EQ(md.exit_code, 1);
  EXPECT_NE(md.out.find("| `reviews.default:8080 GET / user: jason` |"), std::string::npos) << md.out;
}

// --traffic: the scenario's sources are the probes (its client is created
// with a sidecar, as `meshsim run` creates it); only the jason source moves.
TEST(PlanCli, TrafficFromAScenario) {
  auto r = meshsim("plan --before " + kMesh + " " + fixture("reviews-v1.yaml") + " --after " + kMesh + " " +
                   fixture("reviews-user-v2.yaml") + " --traffic " + fixture("jason-traffic.yaml") + " -o json");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["probes"], 2);
  ASSERT_EQ(j["moves"].size(), 1u);
  EXPECT_EQ(j["moves"][0]["request"], "GET / user: jason");
  EXPECT_EQ(j["moves"][0]["callers"], nlohmann::json::array({"default/shopper"}));
}

TEST(PlanCli, StdinWorksAsAPath) {
  auto r = meshsim("plan --before " + kMesh + " - --after " + kMesh + " " + fixture("reviews-v1.yaml") + " < " +
                   fixture("reviews-v1.yaml"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST(PlanCli, BadInputExitsTwo) {
  EXPECT_EQ(meshsim("plan").exit_code, 2);
  EXPECT_EQ(meshsim("plan --before " + kMesh).exit_code, 2);
  EXPECT_EQ(meshsim("plan --before " + kMesh + " --after " + kMesh + " -o yaml").exit_code, 2);
  EXPECT_EQ(meshsim("plan --before " + kMesh + " --after " + kMesh + " --bogus").exit_code, 2);
  EXPECT_EQ(meshsim("plan --before - --after - < " + kMesh).exit_code, 2);
  // A broken document: file:line:column, as validate prints it.
  std::string broken = ::testing::TempDir() + "plan-broken.yaml";
  {
    std::FILE* f = std::fopen(broken.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\n"
               "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, weight: 1}\n", f);
    std::fclose(f);
  }
  auto r = meshsim("plan --before " + kMesh + " --after " + broken);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find(broken + ":8:36"), std::string::npos) << r.out;
  std::remove(broken.c_str());
}

}  // namespace
