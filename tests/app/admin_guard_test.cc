// The admin API's guard (issue 19, "Admin API"), over real sockets against
// `meshsim serve`: with --admin-token every change needs the bearer token
// while reads stay open (as Prometheus scrapes and dashboards need them);
// an admin address other than loopback is refused without a token; bodies
// and the change rate are bounded for everyone.
#include <string>

#include <gtest/gtest.h>

#include "tests/app/live_process.h"

namespace meshsim::testing {
namespace {

std::string demo() { return std::string(MESHSIM_SOURCE_DIR) + "/scenarios/hightower-demo.yaml"; }

constexpr const char* kBarV1 = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bar}
spec:
  hosts: [bar]
  http:
  - route: [{destination: {host: bar, subset: v1}}]
)";

TEST(AdminGuard, ChangesNeedTheTokenReadsDoNot) {
  LiveProcess serve({"serve", demo(), "--manual", "--port", "0", "--admin-port", "0", "--admin-token", "s3cret"});
  ASSERT_TRUE(serve.wait_for_stderr("admin http://")) << serve.stderr_text();
  uint16_t admin = serve.port_after("admin");

  HttpReply without = http(admin, "POST", "/config", kBarV1);
  EXPECT_EQ(without.status, 401) << without.body;
  EXPECT_EQ(without.headers["www-authenticate"], "Bearer realm=\"meshsim admin\"");
  EXPECT_EQ(http(admin, "POST", "/config", kBarV1, {{"Authorization", "Bearer wrong!"}}).status, 401);
  EXPECT_EQ(http(admin, "POST", "/step").status, 401);
  EXPECT_EQ(http(admin, "POST", "/config", kBarV1, {{"Authorization", "Bearer s3cret"}}).status, 200);
  EXPECT_EQ(http(admin, "GET", "/metrics").status, 200);
  EXPECT_EQ(http(admin, "GET", "/config").status, 200);

  // meshsim ctl carries the token from its flag.
  LiveProcess ctl({"ctl", "--admin", "127.0.0.1:" + std::to_string(admin), "--admin-token", "s3cret", "step"});
  EXPECT_EQ(ctl.wait_exit(std::chrono::seconds(10)), 0) << ctl.stderr_text();
  LiveProcess ctl_without({"ctl", "--admin", "127.0.0.1:" + std::to_string(admin), "step"});
  EXPECT_NE(ctl_without.wait_exit(std::chrono::seconds(10)), 0);
  EXPECT_NE(ctl_without.stderr_text().find("Bearer"), std::string::npos) << ctl_without.stderr_text();
  EXPECT_EQ(serve.stop(), 0);
}

TEST(AdminGuard, AnAdminApiBeyondLoopbackNeedsAToken) {
  for (const char* command : {"serve", "proxy"}) {
    std::vector<std::string> args = {command, "--admin-address", "0.0.0.0", "--admin-port", "0"};
    if (std::string(command) == "serve") args.insert(args.begin() + 1, demo());
    else args.insert(args.end(), {"--upstream", "127.0.0.1:9", "--listen", "127.0.0.1:0"});
    LiveProcess refused(args);
    EXPECT_EQ(refused.wait_exit(std::chrono::seconds(10)), 2) << command;
    EXPECT_NE(refused.stderr_text().find("without --admin-token"), std::string::npos) << refused.stderr_text();
  }
}

TEST(AdminGuard, BodiesAndTheChangeRateAreBounded) {
  LiveProcess serve({"serve", demo(), "--manual", "--port", "0", "--admin-port", "0", "--admin-changes-per-second", "2"});
  ASSERT_TRUE(serve.wait_for_stderr("admin http://")) << serve.stderr_text();
  uint16_t admin = serve.port_after("admin");
  EXPECT_EQ(http(admin, "POST", "/config", std::string(2 << 20, '#')).status, 413);
  // A burst of 2 changes passes, then the bucket refills at 2 per second:
  // 12 back to back would all pass only if each took half a second.
  int refused = 0;
  for (int i = 0; i < 12; ++i) {
    HttpReply r = http(admin, "POST", "/config", kBarV1);
    if (r.status == 429) {
      ++refused;
      EXPECT_EQ(r.headers["retry-after"], "1");
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_EQ(serve.stop(), 0);
}

}  // namespace
}  // namespace meshsim::testing
