// Kept spans are stored packed (issue 20): unpacking gives back every field.
#include <gtest/gtest.h>

#include <string>

#include "reports/packed_event.h"

namespace meshsim::reports {
namespace {

TEST(PackedEvent, UnpacksEveryFieldAsAStoredEventWouldHaveIt) {
  std::string long_path(300, 'p');  // a length that takes two varint bytes
  proxy::TelemetryEvent e;
  e.reporter = proxy::TelemetryEvent::Reporter::kDestination;
  e.destination_port = 9080;  // bookinfo's Service port
  e.destination_target_port = 65535;
  e.source_workload = "productpage-v1";
  e.source_namespace = "default";
  e.source_version = "v1";
  e.source_app = "productpage";
  e.source_principal = "spiffe://cluster.local/ns/default/sa/bookinfo-productpage";
  e.source_canonical_service = "productpage";
  e.source_canonical_revision = "v1";
  e.destination_workload = "reviews-v2";
  e.destination_namespace = "bookinfo";
  e.destination_version = "";  // empty stays empty
  e.destination_app = "reviews";
  e.destination_service = "reviews.bookinfo.svc.cluster.local";
  e.destination_principal = "spiffe://cluster.local/ns/bookinfo/sa/bookinfo-reviews";
  e.destination_canonical_service = "reviews-canonical";
  e.destination_canonical_revision = "latest";
  e.route = "VirtualService bookinfo/reviews #1";
  e.method = "GET";
  e.path = long_path;
  e.response_code = 503;
  e.response_flags = "UF,URX";
  e.mtls = true;
  e.request_bytes = 1234;
  e.response_bytes = uint64_t{1} << 40;
  e.start = proxy::TimePoint(-5);
  e.duration = proxy::Duration(15'000'000);
  e.attempts = 3;
  e.trace_id = "463ac35c9f6413ad48485a3953bb6124";
  e.span_id = "a2fb4a1d1a96d312";
  e.parent_span_id = "0020000000000001";
  e.sampled = true;
  e.request_id = "f1b2c3d4-0000-4000-8000-123456789abc";
  e.grpc = true;
  e.grpc_response_status = 14;
  e.request_messages = 2;
  e.response_messages = 0;

  PackedEvent packed(e);
  proxy::StoredTelemetryEvent want(e), got = packed.unpack();
  EXPECT_LT(packed.size_bytes(), 750u);  // 700 before the four canonical fields (40 bytes here)
  EXPECT_EQ(got.reporter, want.reporter);
  EXPECT_EQ(got.destination_port, 9080);
  EXPECT_EQ(got.destination_target_port, 65535);
  EXPECT_EQ(got.source_workload, want.source_workload);
  EXPECT_EQ(got.source_namespace, want.source_namespace);
  EXPECT_EQ(got.source_version, want.source_version);
  EXPECT_EQ(got.source_app, want.source_app);
  EXPECT_EQ(got.source_principal, want.source_principal);
  EXPECT_EQ(got.source_canonical_service, "productpage");
  EXPECT_EQ(got.source_canonical_revision, "v1");
  EXPECT_EQ(got.destination_workload, want.destination_workload);
  EXPECT_EQ(got.destination_namespace, want.destination_namespace);
  EXPECT_EQ(got.destination_version, want.destination_version);
  EXPECT_EQ(got.destination_app, want.destination_app);
  EXPECT_EQ(got.destination_service, want.destination_service);
  EXPECT_EQ(got.destination_principal, want.destination_principal);
  EXPECT_EQ(got.destination_canonical_service, "reviews-canonical");
  EXPECT_EQ(got.destination_canonical_revision, "latest");
  EXPECT_EQ(got.route, want.route);
  EXPECT_EQ(got.method, want.method);
  EXPECT_EQ(got.path, want.path);
  EXPECT_EQ(got.response_code, want.response_code);
  EXPECT_EQ(got.response_flags, want.response_flags);
  EXPECT_EQ(got.mtls, want.mtls);
  EXPECT_EQ(got.request_bytes, want.request_bytes);
  EXPECT_EQ(got.response_bytes, want.response_bytes);
  EXPECT_EQ(got.start, want.start);
  EXPECT_EQ(got.duration, want.duration);
  EXPECT_EQ(got.attempts, want.attempts);
  EXPECT_EQ(got.trace_id, want.trace_id);
  EXPECT_EQ(got.span_id, want.span_id);
  EXPECT_EQ(got.parent_span_id, want.parent_span_id);
  EXPECT_EQ(got.sampled, want.sampled);
  EXPECT_EQ(got.request_id, want.request_id);
  EXPECT_EQ(got.grpc, want.grpc);
  EXPECT_EQ(got.grpc_response_status, want.grpc_response_status);
  EXPECT_EQ(got.request_messages, want.request_messages);
  EXPECT_EQ(got.response_messages, want.response_messages);

  proxy::TelemetryEvent plain;  // the defaults: a source report, grpc status -1
  proxy::StoredTelemetryEvent back = PackedEvent(plain).unpack();
  EXPECT_EQ(back.reporter, proxy::TelemetryEvent::Reporter::kSource);
  EXPECT_EQ(back.grpc_response_status, -1);
  EXPECT_EQ(back.response_flags, "-");
  EXPECT_EQ(back.attempts, 1);
}

}  // namespace
}  // namespace meshsim::reports
