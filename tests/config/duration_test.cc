// Go duration syntax as Istio accepts it (time.ParseDuration via gogo jsonpb).
#include "config/duration.h"

#include <gtest/gtest.h>

namespace meshsim::config {
namespace {

using std::chrono::microseconds;

TEST(GoDuration, AcceptsIstioDocExamples) {
  // Values from istio.io traffic-management tasks: 7s delay, 0.5s timeout, 2s perTryTimeout.
  EXPECT_EQ(parse_go_duration("7s", nullptr), microseconds(7'000'000));
  EXPECT_EQ(parse_go_duration("0.5s", nullptr), microseconds(500'000));
  EXPECT_EQ(parse_go_duration("100ms", nullptr), microseconds(100'000));
  EXPECT_EQ(parse_go_duration("5m", nullptr), microseconds(300'000'000));
  EXPECT_EQ(parse_go_duration("1h30m", nullptr), microseconds(5'400'000'000));
  EXPECT_EQ(parse_go_duration("1.5h", nullptr), microseconds(5'400'000'000));
  EXPECT_EQ(parse_go_duration("250us", nullptr), microseconds(250));
  EXPECT_EQ(parse_go_duration("0", nullptr), microseconds(0));
}

TEST(GoDuration, RejectsWithReason) {
  std::string why;
  EXPECT_FALSE(parse_go_duration("7", &why));
  EXPECT_NE(why.find("missing unit"), std::string::npos) << why;
  EXPECT_FALSE(parse_go_duration("7sec", &why));
  EXPECT_NE(why.find("unknown unit"), std::string::npos) << why;
  EXPECT_FALSE(parse_go_duration("", &why));
  EXPECT_FALSE(parse_go_duration("s", &why));
}

TEST(GatewayDuration, FollowsGep2257) {
  std::string why;
  EXPECT_EQ(parse_gateway_duration("1h30m", &why), microseconds(5'400'000'000));
  EXPECT_EQ(parse_gateway_duration("500ms", &why), microseconds(500'000));
  EXPECT_FALSE(parse_gateway_duration("0.5s", &why));  // no fractions in GEP-2257
  EXPECT_FALSE(parse_gateway_duration("1h1m1s1ms1s", &why));  // at most four parts
}

}  // namespace
}  // namespace meshsim::config
