// Access-log lines read back as requests (config/access_log.h), for replay
// (issue 17). Every line here is written by us in the format its row cites.
#include "config/access_log.h"

#include <gtest/gtest.h>

namespace meshsim::config {
namespace {

// Istio's default TEXT format: EnvoyTextLogFormat, istio/istio
// pilot/pkg/model/telemetry_logging.go (Istio 1.9 onwards; newer releases
// log %UPSTREAM_CLUSTER_RAW% in the same place).
constexpr const char* kTextOutbound =
    R"([2026-12-01T10:00:00.250Z] "GET /api/items?page=2 HTTP/1.1" 200 - via_upstream - "-" 0 17 3 2 "-" "mobile" )"
    R"("0f7f3a9e-7b1c-4c5e-9a51-3c3b1e2d0001" "bar:80" "10.244.0.12:8080" outbound|80||bar.default.svc.cluster.local )"
    R"(10.244.0.7:40122 10.96.12.4:80 10.244.0.7:51234 - default)";

struct TextRow {
  const char* name;
  const char* source;
  std::string line;
  bool ok;
  std::string method, path, authority, user_agent, request_id, pod;
  int code = 0;
  std::string flags = "";
  int error_column = 0;
  std::string error_has = "";
};

TEST(AccessLog, IstioTextLines) {
  const std::string k = kTextOutbound;
  const TextRow rows[] = {
      {"outbound line", "istio pilot/pkg/model/telemetry_logging.go EnvoyTextLogFormat", k, true, "GET", "/api/items?page=2",
       "bar:80", "mobile", "0f7f3a9e-7b1c-4c5e-9a51-3c3b1e2d0001", "", 200, "-"},
      {"kubectl logs --prefix names the pod", "kubectl logs --prefix: [pod/NAME/CONTAINER] before each line",
       "[pod/frontend-v1-6b746f74dc-9stvs/istio-proxy] " + k, true, "GET", "/api/items?page=2", "bar:80", "mobile",
       "0f7f3a9e-7b1c-4c5e-9a51-3c3b1e2d0001", "frontend-v1-6b746f74dc-9stvs", 200, "-"},
      {"local reply 503 UH, no upstream host", "Envoy access-log docs: UH no healthy upstream hosts",
       R"([2026-12-01T10:00:00Z] "GET / HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "curl/8.5.0" "-" "bar" "-" outbound|80|v3|bar.default.svc.cluster.local - 10.96.12.4:80 10.244.0.7:51234 - default)",
       true, "GET", "/", "bar", "curl/8.5.0", "", "", 503, "UH"},
      {"quotes inside the user agent (Envoy does not escape TEXT fields; a field ends at a quote before a space)", "Envoy substitution formatter: plain text",
       R"([2026-12-01T10:00:00Z] "GET / HTTP/2" 200 - via_upstream - "-" 0 2 1 1 "-" "Mozilla/5.0 "compatible"" "id-1" "bar" "-" outbound|80||bar.default.svc.cluster.local - - - - -)",
       true, "GET", "/", "bar", "Mozilla/5.0 \"compatible\"", "id-1", "", 200, "-"},
      {"TCP connection: request fields are -", "Envoy: HTTP operators log - for TCP",
       R"([2026-12-01T10:00:00Z] "- - -" 0 - - - "-" 120 80 5 - "-" "-" "-" "-" "10.0.0.3:3306" outbound|3306||mysql.default.svc.cluster.local - - - - -)",
       true, "", "", "", "", "", "", 0, "-"},
      {"response code not a number", "EnvoyTextLogFormat: %RESPONSE_CODE% is a number",
       R"([2026-12-01T10:00:00Z] "GET / HTTP/1.1" abc - via_upstream - "-" 0 2 1 1 "-" "ua" "id" "bar" "-" outbound|80||bar.default.svc.cluster.local - - - - -)",
       false, "", "", "", "", "", "", 0, "", 41, "response code \"abc\" is not a number"},
      {"line cut short", "EnvoyTextLogFormat: 16 fields up to %UPSTREAM_CLUSTER%",
       R"([2026-12-01T10:00:00Z] "GET / HTTP/1.1" 200 - via_upstream - "-" 0 2 1 1 "-" "ua")", false, "", "", "", "", "",
       "", 0, "", 0, "the line ends before the request id"},
      {"unterminated quote", "EnvoyTextLogFormat: quoted fields", R"([2026-12-01T10:00:00Z] "GET / HTTP/1.1)", false, "",
       "", "", "", "", "", 0, "", 24, "no closing quote"},
      {"no start time", "EnvoyTextLogFormat starts with [%START_TIME%]", R"("GET / HTTP/1.1" 200)", false, "", "", "", "",
       "", "", 0, "", 1, "expected [START_TIME]"},
      {"start time not RFC 3339", "Envoy %START_TIME% default: %Y-%m-%dT%H:%M:%E3SZ",
       R"([01/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200)", false, "", "", "", "", "", "", 0, "", 2, "start time"},
      {"user agent unquoted", "EnvoyTextLogFormat: \"%REQ(USER-AGENT)%\"",
       R"([2026-12-01T10:00:00Z] "GET / HTTP/1.1" 200 - via_upstream - "-" 0 2 1 1 "-" curl "id" "bar" "-" outbound|80||bar.default.svc.cluster.local)",
       false, "", "", "", "", "", "", 0, "", 78, "expected the user agent quoted"},
      {"a path that is not a path", "RFC 9112 origin-form starts with /",
       R"([2026-12-01T10:00:00Z] "GET api HTTP/1.1" 200 - via_upstream - "-" 0 2 1 1 "-" "ua" "id" "bar" "-" outbound|80||bar.default.svc.cluster.local)",
       false, "", "", "", "", "", "", 0, "", 29, "does not start with /"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " (" + row.source + ")");
    AccessLogLineError error;
    auto e = parse_istio_text_line(row.line, &error);
    ASSERT_EQ(e.has_value(), row.ok) << error.column << ": " << error.message;
    if (!row.ok) {
      if (row.error_column) {
        EXPECT_EQ(error.column, row.error_column) << error.message;
      }
      EXPECT_NE(error.message.find(row.error_has), std::string::npos) << error.message;
      continue;
    }
    EXPECT_EQ(e->method, row.method);
    EXPECT_EQ(e->path, row.path);
    EXPECT_EQ(e->authority, row.authority);
    EXPECT_EQ(e->user_agent, row.user_agent);
    EXPECT_EQ(e->request_id, row.request_id);
    EXPECT_EQ(e->pod, row.pod);
    EXPECT_EQ(e->response_code, row.code);
    EXPECT_EQ(e->response_flags, row.flags);
  }
}

TEST(AccessLog, TextStartTimeAndCluster) {
  AccessLogLineError error;
  auto e = parse_istio_text_line(kTextOutbound, &error);
  ASSERT_TRUE(e) << error.message;
  EXPECT_EQ(e->start_unix_us, 1'796'119'200'250'000);  // 2026-12-01T10:00:00.250Z
  EXPECT_EQ(e->upstream_cluster, "outbound|80||bar.default.svc.cluster.local");
  EXPECT_FALSE(e->inbound());
}

struct JsonRow {
  const char* name;
  const char* source;
  std::string line;
  bool ok;
  std::string method, path, authority, user_agent, pod, workload, ns;
  std::string error_has = "";
};

TEST(AccessLog, EnvoyJsonLines) {
  const JsonRow rows[] = {
      {"Istio's JSON keys", "istio pilot/pkg/model/telemetry_logging.go EnvoyJSONLogFormatIstio",
       R"({"start_time":"2026-12-01T10:00:00.000Z","method":"GET","path":"/a","authority":"bar","user_agent":"mobile","request_id":"r1","response_code":200,"upstream_cluster":"outbound|80||bar.default.svc.cluster.local"})",
       true, "GET", "/a", "bar", "mobile", "", "", ""},
      {"absent values are null", "Envoy json_format: an absent value is null",
       R"({"start_time":"2026-12-01T10:00:00Z","method":"GET","path":"/","authority":"bar","user_agent":null,"request_id":null,"response_code":0})",
       true, "GET", "/", "bar", "", "", "", ""},
      {"Fluent Bit's kubernetes metadata", "Fluent Bit kubernetes filter: kubernetes.pod_name, kubernetes.namespace_name",
       R"({"start_time":"2026-12-01T10:00:00Z","method":"POST","path":"/x","authority":"foo","kubernetes":{"pod_name":"frontend-v1-6b746f74dc-9stvs","namespace_name":"shop"}})",
       true, "POST", "/x", "foo", "", "frontend-v1-6b746f74dc-9stvs", "", "shop"},
      {"workload label fields", "Istio metric labels source_workload / source_namespace",
       R"({"start_time":"2026-12-01T10:00:00Z","method":"GET","path":"/","authority":"foo","source_workload":"frontend-v1","source_namespace":"default"})",
       true, "GET", "/", "foo", "", "", "frontend-v1", "default"},
      {"not JSON", "RFC 8259", R"({"start_time": )", false, "", "", "", "", "", "", "", "not JSON"},
      {"not an object", "one JSON object per line (json_format)", R"(["a"])", false, "", "", "", "", "", "", "",
       "expected a JSON object"},
      {"no start_time", "EnvoyJSONLogFormatIstio has start_time", R"({"method":"GET","path":"/"})", false, "", "", "", "",
       "", "", "", "no start_time"},
      {"response_code as text", "Envoy json_format writes numbers as numbers",
       R"({"start_time":"2026-12-01T10:00:00Z","method":"GET","path":"/","response_code":"x2"})", false, "", "", "", "",
       "", "", "", "response_code \"x2\" is not a number"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " (" + row.source + ")");
    AccessLogLineError error;
    auto e = parse_envoy_json_line(row.line, &error);
    ASSERT_EQ(e.has_value(), row.ok) << error.message;
    if (!row.ok) {
      EXPECT_NE(error.message.find(row.error_has), std::string::npos) << error.message;
      continue;
    }
    EXPECT_EQ(e->method, row.method);
    EXPECT_EQ(e->path, row.path);
    EXPECT_EQ(e->authority, row.authority);
    EXPECT_EQ(e->user_agent, row.user_agent);
    EXPECT_EQ(e->pod, row.pod);
    EXPECT_EQ(e->workload, row.workload);
    EXPECT_EQ(e->ns, row.ns);
  }
}

TEST(AccessLog, WorkloadOfPod) {
  // Kubernetes: a Deployment's pods are NAME-<pod-template-hash>-<5 random characters>.
  EXPECT_EQ(workload_of_pod("productpage-v1-6b746f74dc-9stvs"), "productpage-v1");
  EXPECT_EQ(workload_of_pod("frontend-v1-6b746f74dc-9stvs"), "frontend-v1");
  EXPECT_EQ(workload_of_pod("web-0"), "web-0");  // a StatefulSet's pod: no hash
  EXPECT_EQ(workload_of_pod("frontend"), "frontend");
  EXPECT_EQ(workload_of_pod("-a-b"), "-a-b");
}

TEST(AccessLog, WholeLogCountsEveryLine) {
  std::string text = std::string(kTextOutbound) + "\n\n" +
                     R"([2026-12-01T10:00:01Z] "GET / HTTP/1.1" 200 - via_upstream - "-" 0 2 1 - "-" "ua" "id" "bar" "-" inbound|8080|| - - - - -)"
                     "\r\nnot a log line\n" +
                     R"([2026-12-01T10:00:02Z] "- - -" 0 - - - "-" 1 1 1 - "-" "-" "-" "-" "-" outbound|3306||db - - - - -)";
  AccessLog log = parse_access_log(text, AccessLogFormat::kIstioText);
  EXPECT_EQ(log.lines, 4);
  ASSERT_EQ(log.entries.size(), 1u);
  EXPECT_EQ(log.entries[0].line, 1);
  EXPECT_EQ(log.inbound, 1);
  EXPECT_EQ(log.not_http, 1);
  ASSERT_EQ(log.bad.size(), 1u);
  EXPECT_EQ(log.bad[0].line, 4);
  EXPECT_EQ(log.bad[0].column, 1);
}

TEST(AccessLog, DetectsFormat) {
  EXPECT_EQ(detect_access_log_format("\n  {\"a\":1}"), AccessLogFormat::kEnvoyJson);
  EXPECT_EQ(detect_access_log_format(kTextOutbound), AccessLogFormat::kIstioText);
  EXPECT_EQ(access_log_format_from_name("envoy-json"), AccessLogFormat::kEnvoyJson);
  EXPECT_FALSE(access_log_format_from_name("nginx"));
}

}  // namespace
}  // namespace meshsim::config
