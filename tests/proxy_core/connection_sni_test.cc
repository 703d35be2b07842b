// AuthorizationPolicy `when: connection.sni` and the SNI a client sidecar
// names. Sources:
//  [gen]     istio pilot/pkg/security/authz/model/generator.go connSNIGenerator:
//            a permission permissionRequestedServerName(matcher.StringMatcher(value))
//  [string]  pilot/pkg/security/authz/matcher/string.go StringMatcherWithPrefix:
//            "*" -> regex ".+", "*x" -> suffix, "x*" -> prefix, else exact
//  [model]   pilot/pkg/security/authz/model/model.go rule.permission: values
//            OR'ed; notValues Not(Or(...)); both ANDed in the rule
//  [envoy]   envoy source/extensions/filters/common/rbac/matchers.cc
//            RequestedServerNameMatcher::matches: match(connection.requestedServerName()),
//            "" on a connection without SNI
//  [srv]     pilot/pkg/model/service.go BuildDNSSrvSubsetKey:
//            direction + "_." + port + "_." + subset + "_." + hostname
//  [tls]     pilot/pkg/networking/core/cluster_tls.go buildUpstreamTLSSettings
//            (ISTIO_MUTUAL: the rule's sni when set, else the cluster's
//            istioMtlsSni; DISABLE: no TLS), cluster_builder.go
//            buildSubsetCluster (defaultSni of the subset)
#include <gtest/gtest.h>

#include "proxy_core/authz.h"
#include "proxy_core/route_table.h"

namespace meshsim::proxy {
namespace {

constexpr const char* kBarV1 = "outbound_.80_.v1_.bar.default.svc.cluster.local";

AuthorizationPolicy policy(AuthorizationPolicy::Action action, std::vector<std::string> values,
                           std::vector<std::string> not_values = {}) {
  AuthorizationPolicy p;
  p.header.meta = {"sni", "default", {}, {}};
  p.action = action;
  AuthzRule rule;
  rule.when.push_back({"connection.sni", std::move(values), std::move(not_values)});
  p.rules.push_back(std::move(rule));
  p.rules_present = true;
  return p;
}

using Action = AuthorizationPolicy::Action;

bool allowed(const AuthorizationPolicy& p, std::string_view sni) {
  AuthzRequest r;
  r.method = "GET";
  r.path = "/";
  r.sni = sni;
  return authorize({&p}, r).allowed;
}

struct Row {
  const char* name;
  const char* source;
  Action action;
  std::vector<std::string> values, not_values;
  const char* sni;
  bool allowed;
};

TEST(ConnectionSni, MatchesTheRequestedServerName) {
  const Row rows[] = {
      {"exact", "[gen] [string] exact; [envoy]", Action::kAllow, {kBarV1}, {}, kBarV1, true},
      {"exact, another subset", "[gen] [string] exact", Action::kAllow, {kBarV1}, {},
       "outbound_.80_.v2_.bar.default.svc.cluster.local", false},
      {"one value of several", "[model] values OR'ed", Action::kAllow, {"www.example.com", kBarV1}, {}, kBarV1, true},
      {"prefix", "[string] \"x*\" is a prefix", Action::kAllow, {"outbound_.80_.v1_.*"}, {}, kBarV1, true},
      {"prefix, no match", "[string] prefix", Action::kAllow, {"outbound_.80_.v2_.*"}, {}, kBarV1, false},
      {"suffix", "[string] \"*x\" is a suffix", Action::kAllow, {"*.bar.default.svc.cluster.local"}, {}, kBarV1, true},
      {"suffix, no match", "[string] suffix", Action::kAllow, {"*.foo.default.svc.cluster.local"}, {}, kBarV1, false},
      {"presence", "[string] \"*\" is the regex .+", Action::kAllow, {"*"}, {}, kBarV1, true},
      {"case sensitive", "[string] StringMatcherExact(v, false): ignore_case false", Action::kAllow,
       {"OUTBOUND_.80_.v1_.bar.default.svc.cluster.local"}, {}, kBarV1, false},
      {"notValues excludes it", "[model] Not(Or(notValues))", Action::kAllow, {}, {kBarV1}, kBarV1, false},
      {"notValues lets others through", "[model] Not(Or(notValues))", Action::kAllow, {}, {kBarV1},
       "outbound_.80_._.bar.default.svc.cluster.local", true},
      {"values and notValues", "[model] Or(values) AND Not(Or(notValues))", Action::kAllow, {"outbound_.80_.*"},
       {"*_.v1_.bar.default.svc.cluster.local"}, kBarV1, false},
      {"values and notValues, the other subset", "[model] Or(values) AND Not(Or(notValues))", Action::kAllow,
       {"outbound_.80_.*"}, {"*_.v1_.bar.default.svc.cluster.local"}, "outbound_.80_.v2_.bar.default.svc.cluster.local",
       true},
      {"DENY", "[gen] the DENY filter's permission", Action::kDeny, {kBarV1}, {}, kBarV1, false},
      {"DENY, another SNI", "[gen]", Action::kDeny, {kBarV1}, {}, "outbound_.80_.v2_.bar.default.svc.cluster.local", true},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " - " + row.source);
    EXPECT_EQ(allowed(policy(row.action, row.values, row.not_values), row.sni), row.allowed);
  }
}

// A plain-text connection has no SNI: Envoy matches "" ([envoy]), which no
// value Istio accepts (non-empty, security.go CheckEmptyValues) matches. Each
// row also names what the same policy decides for a connection with an SNI.
TEST(ConnectionSni, PlainTextHasNone) {
  struct PlainRow {
    const char* name;
    Action action;
    std::vector<std::string> values, not_values;
    bool allowed_plain, allowed_with_sni;
  };
  const PlainRow rows[] = {
      {"exact", Action::kAllow, {kBarV1}, {}, false, true},
      {"presence: .+ needs a character", Action::kAllow, {"*"}, {}, false, true},
      {"prefix", Action::kAllow, {"outbound_.*"}, {}, false, true},
      {"suffix", Action::kAllow, {"*.svc.cluster.local"}, {}, false, true},
      {"notValues: Not(Or(...)) of \"\" holds", Action::kAllow, {}, {"*"}, true, false},
      {"DENY on any SNI", Action::kDeny, {"*"}, {}, true, false},
  };
  for (const PlainRow& row : rows) {
    SCOPED_TRACE(row.name);
    AuthorizationPolicy p = policy(row.action, row.values, row.not_values);
    EXPECT_EQ(allowed(p, ""), row.allowed_plain);
    EXPECT_EQ(allowed(p, kBarV1), row.allowed_with_sni);
  }
}

TEST(IstioMtlsSni, TheClusterNameInItsDnsSrvForm) {
  // [srv] outbound_.<port>_.<subset>_.<host>; "_._" without a subset.
  EXPECT_EQ(istio_mtls_sni("outbound|9080|v1|reviews.default.svc.cluster.local"),
            "outbound_.9080_.v1_.reviews.default.svc.cluster.local");
  EXPECT_EQ(istio_mtls_sni("outbound|9080||reviews.default.svc.cluster.local"),
            "outbound_.9080_._.reviews.default.svc.cluster.local");
  // [tls] the PassthroughCluster has no Istio TLS settings.
  EXPECT_EQ(istio_mtls_sni("PassthroughCluster"), "");
}

TEST(SidecarSni, FollowsTheDestinationRulesTlsMode) {
  Cluster c;
  c.name = "outbound|80|v1|bar.default.svc.cluster.local";
  EXPECT_EQ(sidecar_sni(c), kBarV1);  // [tls] auto mTLS: istioMtlsSni
  c.policy.tls = ClientTLSSettings{"ISTIO_MUTUAL", ""};
  EXPECT_EQ(sidecar_sni(c), kBarV1);  // [tls] ISTIO_MUTUAL without sni: the cluster's
  c.policy.tls = ClientTLSSettings{"ISTIO_MUTUAL", "bar.internal"};
  EXPECT_EQ(sidecar_sni(c), "bar.internal");  // [tls] "Use client provided SNI if set"
  c.policy.tls = ClientTLSSettings{"DISABLE", "bar.internal"};
  EXPECT_EQ(sidecar_sni(c), "");  // [tls] DISABLE: plain text
  c.policy.tls.reset();
  c.name = "PassthroughCluster";
  EXPECT_EQ(sidecar_sni(c), "");
}

}  // namespace
}  // namespace meshsim::proxy
