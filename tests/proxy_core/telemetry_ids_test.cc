// telemetry_ids.h: one number per text, process-wide, never 0, the same from
// every thread (a sweep's worlds build their snapshots on threads).
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "proxy_core/telemetry_ids.h"

namespace meshsim::proxy {
namespace {

TEST(TelemetryIds, OneNumberPerText) {
  uint32_t a = telemetry_text_id("reviews.default.svc.cluster.local");
  EXPECT_NE(a, 0u);
  EXPECT_EQ(telemetry_text_id("reviews.default.svc.cluster.local"), a);
  EXPECT_NE(telemetry_text_id("ratings.default.svc.cluster.local"), a);
  EXPECT_EQ(telemetry_text_of(a), "reviews.default.svc.cluster.local");
  EXPECT_EQ(telemetry_text_of(0), "");
  EXPECT_NE(telemetry_text_id(""), 0u);  // empty text is a text too
}

TEST(TelemetryIds, PeerIdentitiesNeverShareANumberWithAServiceName) {
  std::string peer =
      peer_identity_text("reviews-v1", "default", "v1", "reviews", "cluster.local/ns/default/sa/reviews", "reviews", "v1");
  EXPECT_EQ(peer, "\x1freviews-v1\x1f" "default\x1fv1\x1freviews\x1f" "cluster.local/ns/default/sa/reviews\x1freviews\x1fv1");
  // Fields move between positions without colliding: each is delimited.
  EXPECT_NE(peer_identity_text("a", "", "b", "", "", "", ""), peer_identity_text("a", "b", "", "", "", "", ""));
  EXPECT_NE(peer_identity_text("a", "", "", "", "", "c", ""), peer_identity_text("a", "", "", "", "", "", "c"));
  EXPECT_NE(telemetry_text_id(peer), telemetry_text_id("reviews-v1"));
}

TEST(TelemetryIds, ThreadsAgree) {
  constexpr int kTexts = 500;
  std::vector<std::vector<uint32_t>> seen(4, std::vector<uint32_t>(kTexts));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < seen.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTexts; ++i) seen[t][static_cast<size_t>(i)] = telemetry_text_id("thread-text-" + std::to_string(i));
    });
  for (auto& th : threads) th.join();
  for (size_t t = 1; t < seen.size(); ++t) EXPECT_EQ(seen[t], seen[0]);
  EXPECT_EQ(std::set<uint32_t>(seen[0].begin(), seen[0].end()).size(), static_cast<size_t>(kTexts));
}

}  // namespace
}  // namespace meshsim::proxy
