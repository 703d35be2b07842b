// DestinationRule, after istio/api networking/v1alpha3/destination_rule.proto.
#include <set>

#include "config/istio_names.h"
#include "config/parse.h"

namespace meshsim::config {
namespace {

std::optional<int32_t> int32(YamlReader& r, const yaml::Node& n, const std::string& path) {
  auto v = r.integer(n, path, 0, INT32_MAX);
  return v ? std::optional<int32_t>(static_cast<int32_t>(*v)) : std::nullopt;
}

// validation.go isPrime, "copied from Envoy's utility.cc to ensure we 100%
// match Envoy's implementation": 1, 2 and 3 count as prime.
bool is_prime(uint64_t x) {
  if (x != 0 && x < 4) return true;
  if ((x & 1) == 0) return false;
  for (uint64_t factor = 3; factor * factor <= x; factor += 2)
    if (x % factor == 0) return false;
  return true;
}

proxy::LoadBalancerSettings load_balancer(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::LoadBalancerSettings lb;
  if (!r.fields(n, path, {"simple", "consistentHash", "localityLbSetting", "warmupDurationSecs", "warmup"}))
    return lb;
  lb.simple = r.enumeration(n["simple"], child(path, "simple"),
                            {"UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN",
                             "LEAST_REQUEST"})
                  .value_or("");
  if (auto c = n["consistentHash"]; c) {
    std::string p = child(path, "consistentHash");
    if (r.fields(c, p, {"httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName",
                        "ringHash", "maglev", "minimumRingSize"})) {
      proxy::ConsistentHash h;
      h.http_header_name = r.str(c["httpHeaderName"], child(p, "httpHeaderName")).value_or("");
      if (auto cookie = c["httpCookie"];
          cookie && r.fields(cookie, child(p, "httpCookie"), {"name", "path", "ttl", "attributes"})) {
        h.http_cookie_name = r.str(cookie["name"], child(p, "httpCookie.name")).value_or("");
        // validation.go validateLoadBalancer: "name required for HttpCookie".
        if (h.http_cookie_name.empty()) r.error(cookie, child(p, "httpCookie"), "httpCookie.name is required");
        h.http_cookie_path = r.str(cookie["path"], child(p, "httpCookie.path")).value_or("");
        h.http_cookie_ttl = r.duration(cookie["ttl"], child(p, "httpCookie.ttl"));
        std::set<std::string> attribute_names;
        r.list(cookie["attributes"], child(p, "httpCookie.attributes"), [&](const yaml::Node& a, const std::string& ap) {
          if (!r.fields(a, ap, {"name", "value"})) return;
          std::string name = r.str(a["name"], child(ap, "name")).value_or("");
          // validateLoadBalancer: each attribute named, no name twice.
          if (name.empty()) r.error(a, ap, "cookie attribute name cannot be empty");
          else if (!attribute_names.insert(name).second)
            r.error(a["name"], child(ap, "name"), "duplicate cookie attribute name: " + name);
          h.http_cookie_attributes.emplace_back(name, r.str(a["value"], child(ap, "value")).value_or(""));
        });
      }
      h.use_source_ip = r.boolean(c["useSourceIp"], child(p, "useSourceIp")).value_or(false);
      h.http_query_parameter_name =
          r.str(c["httpQueryParameterName"], child(p, "httpQueryParameterName")).value_or("");
      if (auto ring = c["ringHash"]; ring && r.fields(ring, child(p, "ringHash"), {"minimumRingSize"}))
        h.minimum_ring_size = static_cast<uint64_t>(
            r.integer(ring["minimumRingSize"], child(p, "ringHash.minimumRingSize"), 0, INT64_MAX).value_or(0));
      if (auto m = c["maglev"]; m && r.fields(m, child(p, "maglev"), {"tableSize"})) {
        h.maglev = true;
        // validation.go validateLoadBalancer: tableSize set, under 5000011
        // and prime (Envoy's maglev table; isPrime as in Envoy's utility.cc).
        const std::string tp = child(p, "maglev.tableSize");
        if (!m["tableSize"] || m["tableSize"].IsNull())
          r.error(m, child(p, "maglev"), "tableSize must be set for maglev");
        else if (auto size = r.integer(m["tableSize"], tp, 0, INT64_MAX)) {
          if (*size == 0) r.error(m["tableSize"], tp, "tableSize must be set for maglev");
          else if (*size >= 5000011) r.error(m["tableSize"], tp, "tableSize must be less than 5000011 for maglev");
          else if (!is_prime(static_cast<uint64_t>(*size)))
            r.error(m["tableSize"], tp, "tableSize must be a prime number for maglev (Envoy's default is 65537)");
        }
      }
      if (auto ms = r.integer(c["minimumRingSize"], child(p, "minimumRingSize"), 0, INT64_MAX))
        h.minimum_ring_size = static_cast<uint64_t>(*ms);
      lb.consistent_hash = h;
    }
  }
  if (n["simple"] && n["consistentHash"])
    r.error(n, path, "loadBalancer takes either simple or consistentHash, not both");
  // localityLbSetting and warmup shape traffic across zones and new endpoints;
  // meshsim has one zone, so they are accepted and not modeled.
  return lb;
}

// Whether a message field is set as Go reads it: present and not null.
bool set(const yaml::Node& n, const char* field) { return n[field] && !n[field].IsNull(); }

proxy::ConnectionPoolSettings connection_pool(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::ConnectionPoolSettings cp;
  if (!r.fields(n, path, {"tcp", "http"})) return cp;
  // validation.go validateConnectionPool.
  if (!set(n, "tcp") && !set(n, "http")) r.error(n, path, "connection pool must have at least one field (tcp or http)");
  if (auto t = n["tcp"]; t) {
    std::string p = child(path, "tcp");
    if (r.fields(t, p, {"maxConnections", "connectTimeout", "tcpKeepalive", "maxConnectionDuration", "idleTimeout"})) {
      cp.max_connections = int32(r, t["maxConnections"], child(p, "maxConnections"));
      // validation.go validateConnectionPool: agent.ValidateDuration for each.
      cp.connect_timeout = r.millisecond_duration(t["connectTimeout"], child(p, "connectTimeout"));
      r.millisecond_duration(t["maxConnectionDuration"], child(p, "maxConnectionDuration"));
      // Except tcp.idleTimeout, checked only when
      // IdleTimeout.AsDuration().Milliseconds() != 0. Go's Milliseconds()
      // truncates, so 0s (the timeout off) and anything under 1ms (500us)
      // pass; 1500us is checked and refused. The CRD has no rule for it.
      const std::string idle_path = child(p, "idleTimeout");
      if (auto idle = r.duration(t["idleTimeout"], idle_path);
          idle && std::chrono::duration_cast<std::chrono::milliseconds>(*idle).count() != 0)
        r.validate_millisecond_duration(t["idleTimeout"], idle_path, *idle);
    }
  }
  if (auto h = n["http"]; h) {
    std::string p = child(path, "http");
    if (r.fields(h, p, {"http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection",
                        "maxRetries", "idleTimeout", "h2UpgradePolicy", "useClientProtocol",
                        "maxConcurrentStreams"})) {
      cp.http1_max_pending_requests = int32(r, h["http1MaxPendingRequests"], child(p, "http1MaxPendingRequests"));
      cp.http2_max_requests = int32(r, h["http2MaxRequests"], child(p, "http2MaxRequests"));
      cp.max_requests_per_connection = int32(r, h["maxRequestsPerConnection"], child(p, "maxRequestsPerConnection"));
      cp.max_retries = int32(r, h["maxRetries"], child(p, "maxRetries"));
      cp.idle_timeout = r.millisecond_duration(h["idleTimeout"], child(p, "idleTimeout"));
      cp.h2_upgrade_policy =
          r.enumeration(h["h2UpgradePolicy"], child(p, "h2UpgradePolicy"), {"DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"})
              .value_or("");
      cp.use_client_protocol = r.boolean(h["useClientProtocol"], child(p, "useClientProtocol")).value_or(false);
      cp.max_concurrent_streams = int32(r, h["maxConcurrentStreams"], child(p, "maxConcurrentStreams"));
    }
  }
  return cp;
}

proxy::OutlierDetection outlier_detection(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::OutlierDetection od;
  if (!r.fields(n, path, {"splitExternalLocalOriginErrors", "consecutiveLocalOriginFailures",
                          "consecutiveGatewayErrors", "consecutive5xxErrors", "interval",
                          "baseEjectionTime", "maxEjectionPercent", "minHealthPercent",
                          "consecutiveErrors"}))
    return od;
  od.split_external_local_origin_errors =
      r.boolean(n["splitExternalLocalOriginErrors"], child(path, "splitExternalLocalOriginErrors")).value_or(false);
  od.consecutive_local_origin_failures =
      int32(r, n["consecutiveLocalOriginFailures"], child(path, "consecutiveLocalOriginFailures"));
  // validation.go validateOutlierDetection: local origin failures are counted
  // apart only with splitExternalLocalOriginErrors.
  if (!od.split_external_local_origin_errors && od.consecutive_local_origin_failures.value_or(0) > 0)
    r.error(n["consecutiveLocalOriginFailures"], child(path, "consecutiveLocalOriginFailures"),
            "outlier detection consecutive local origin failures is specified, but split external local origin "
            "errors is set to false");
  od.consecutive_gateway_errors = int32(r, n["consecutiveGatewayErrors"], child(path, "consecutiveGatewayErrors"));
  od.consecutive_5xx_errors = int32(r, n["consecutive5xxErrors"], child(path, "consecutive5xxErrors"));
  od.consecutive_errors = int32(r, n["consecutiveErrors"], child(path, "consecutiveErrors"));
  // validation.go validateOutlierDetection: agent.ValidateDuration.
  od.interval = r.millisecond_duration(n["interval"], child(path, "interval"));
  od.base_ejection_time = r.millisecond_duration(n["baseEjectionTime"], child(path, "baseEjectionTime"));
  if (auto v = r.integer(n["maxEjectionPercent"], child(path, "maxEjectionPercent"), 0, 100))
    od.max_ejection_percent = static_cast<int32_t>(*v);
  if (auto v = r.integer(n["minHealthPercent"], child(path, "minHealthPercent"), 0, 100))
    od.min_health_percent = static_cast<int32_t>(*v);
  return od;
}

void policy_core(YamlReader& r, const yaml::Node& n, const std::string& path, proxy::TrafficPolicyCore& out) {
  if (n["loadBalancer"]) out.load_balancer = load_balancer(r, n["loadBalancer"], child(path, "loadBalancer"));
  if (n["connectionPool"]) out.connection_pool = connection_pool(r, n["connectionPool"], child(path, "connectionPool"));
  if (n["outlierDetection"])
    out.outlier_detection = outlier_detection(r, n["outlierDetection"], child(path, "outlierDetection"));
  if (auto t = n["tls"]; t) {
    std::string p = child(path, "tls");
    if (r.fields(t, p, {"mode", "clientCertificate", "privateKey", "caCertificates", "credentialName",
                        "subjectAltNames", "sni", "insecureSkipVerify", "caCrl"})) {
      proxy::ClientTLSSettings tls;
      tls.mode = r.enumeration(t["mode"], child(p, "mode"), {"DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"})
                     .value_or("");
      tls.sni = r.str(t["sni"], child(p, "sni")).value_or("");
      if (tls.mode == "SIMPLE" || tls.mode == "MUTUAL")
        r.warning(t["mode"], "MSH0044",
                  "tls.mode " + tls.mode + " (TLS origination) is not simulated: the hop runs as Istio mTLS to a pod "
                  "with a sidecar and in plaintext to anything else");
      out.tls = tls;
    }
  }
}

proxy::TrafficPolicy traffic_policy(YamlReader& r, const yaml::Node& n, const std::string& path) {
  proxy::TrafficPolicy tp;
  if (!r.fields(n, path, {"loadBalancer", "connectionPool", "outlierDetection", "tls",
                          "portLevelSettings", "tunnel", "proxyProtocol", "retryBudget"}))
    return tp;
  // validation.go validateTrafficPolicy: an empty policy is refused (an
  // empty portLevelSettings list is nil to Go, so it counts as unset).
  auto levels = n["portLevelSettings"];
  if (!set(n, "loadBalancer") && !set(n, "connectionPool") && !set(n, "outlierDetection") && !set(n, "tls") &&
      !(levels && levels.IsSequence() && levels.size() > 0) && !set(n, "tunnel") && !set(n, "proxyProtocol") &&
      !set(n, "retryBudget"))
    r.error(n, path, "traffic policy must have at least one field");
  policy_core(r, n, path, tp);
  r.list(n["portLevelSettings"], child(path, "portLevelSettings"), [&](const yaml::Node& pn, const std::string& p) {
    if (!r.fields(pn, p, {"port", "loadBalancer", "connectionPool", "outlierDetection", "tls"})) return;
    proxy::PortTrafficPolicy port_policy;
    if (auto port = pn["port"]; port && r.fields(port, child(p, "port"), {"number"}))
      port_policy.port = r.port(port["number"], child(p, "port.number")).value_or(0);
    // validation.go validatePortTrafficPolicies: a port policy without a
    // port would apply to no port, one with a port only changes nothing.
    if (!pn["port"] || pn["port"].IsNull()) r.error(pn, p, "portLevelSettings entry must have a port");
    else if (!set(pn, "loadBalancer") && !set(pn, "connectionPool") && !set(pn, "outlierDetection") && !set(pn, "tls"))
      r.error(pn, p, "port traffic policy must have at least one field");
    policy_core(r, pn, p, port_policy);
    tp.port_level_settings.push_back(port_policy);
  });
  return tp;
}

}  // namespace

void parse_destination_rule(YamlReader& r, const yaml::Node& spec, proxy::DestinationRule& out) {
  if (!r.fields(spec, "spec", {"host", "trafficPolicy", "subsets", "exportTo", "workloadSelector"})) return;
  if (auto h = r.str(spec["host"], "spec.host")) out.host = *h;
  else r.error(spec, "spec", "spec.host is required");
  if (spec["trafficPolicy"]) out.traffic_policy = traffic_policy(r, spec["trafficPolicy"], "spec.trafficPolicy");
  std::set<std::string> subset_names;
  r.list(spec["subsets"], "spec.subsets", [&](const yaml::Node& n, const std::string& p) {
    proxy::Subset s;
    s.path = p;
    if (!r.fields(n, p, {"name", "labels", "trafficPolicy"})) return;
    if (auto name = r.str(n["name"], child(p, "name"))) s.name = *name;
    else r.error(n, p, "subset name is required");
    // validation.go ValidateDestinationRule: unique names, each validateSubsetName.
    if (n["name"] && !subset_names.insert(s.name).second)
      r.error(n["name"], child(p, "name"), "duplicate subset names: " + s.name);
    else if (n["name"] && !is_dns1123_label(s.name))
      r.error(n["name"], child(p, "name"),
              "subset name \"" + s.name + "\" is invalid: Istio requires a DNS-1123 label (" + kDns1123LabelRule + ")");
    s.labels = r.str_map(n["labels"], child(p, "labels"));
    if (n["trafficPolicy"]) s.traffic_policy = traffic_policy(r, n["trafficPolicy"], child(p, "trafficPolicy"));
    out.subsets.push_back(std::move(s));
  });
  out.export_to = r.str_list(spec["exportTo"], "spec.exportTo");
  if (auto ws = spec["workloadSelector"]; ws && r.fields(ws, "spec.workloadSelector", {"matchLabels"}))
    out.workload_selector = r.str_map(ws["matchLabels"], "spec.workloadSelector.matchLabels");
}

}  // namespace meshsim::config
