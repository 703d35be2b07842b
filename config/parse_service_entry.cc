// networking.istio.io ServiceEntry and Sidecar, and the MeshConfig carried
// by the `istio` ConfigMap (key `mesh`, YAML text), as istio/api defines
// them (networking/v1alpha3/service_entry.proto, sidecar.proto,
// mesh/v1alpha1/config.proto).
#include <algorithm>
#include <set>

#include "config/istio_names.h"
#include "config/parse.h"

namespace meshsim::config {
namespace {

std::optional<proxy::Labels> workload_selector(YamlReader& r, const yaml::Node& n, const std::string& path) {
  if (!n) return std::nullopt;
  if (!r.fields(n, path, {"labels"})) return std::nullopt;
  return r.str_map(n["labels"], child(path, "labels"));
}

// outboundTrafficPolicy.mode. ALLOW_ANY_DYNAMIC_DNS (Istio 1.31) is a mesh
// setting only: plaintext HTTP to unknown hosts goes through Envoy's dynamic
// forward proxy (cluster AllowAnyDynamicDNSCluster) instead of
// PassthroughCluster. meshsim routes it as ALLOW_ANY and says so.
std::string outbound_mode(YamlReader& r, const yaml::Node& n, const std::string& path, bool in_mesh_config) {
  if (!n || !r.fields(n, path, {"mode", "egressProxy"})) return "";
  const std::string mode_path = child(path, "mode");
  std::string mode =
      r.enumeration(n["mode"], mode_path, {"REGISTRY_ONLY", "ALLOW_ANY", "ALLOW_ANY_DYNAMIC_DNS"}).value_or("");
  if (mode != "ALLOW_ANY_DYNAMIC_DNS") return mode;
  if (!in_mesh_config) {
    // validation.go validateSidecarOutboundTrafficPolicy.
    r.error(n["mode"], mode_path, "sidecar: ALLOW_ANY_DYNAMIC_DNS mode is only supported in MeshConfig, not in Sidecar resource");
    return "";
  }
  r.warning(n["mode"], "MSH0045",
            "ALLOW_ANY_DYNAMIC_DNS is not simulated: Istio sends plaintext HTTP to hosts it does not know through "
            "Envoy's dynamic forward proxy (AllowAnyDynamicDNSCluster, resolving the Host header); meshsim runs "
            "as ALLOW_ANY (PassthroughCluster)");
  return "ALLOW_ANY";
}

// The element `i` of the list at spec[key], when the list was read whole.
yaml::Node item(const yaml::Node& spec, const char* key, size_t i, size_t parsed) {
  auto list = spec[key];
  return list && list.IsSequence() && list.size() == parsed ? list[i] : spec;
}

std::string at(const char* key, size_t i) { return "spec." + std::string(key) + "[" + std::to_string(i) + "]"; }

// The rest of validation.go ValidateServiceEntry: what it refuses in hosts,
// addresses, ports and endpoints. A refused entry would otherwise give the
// rehearsal an egress route the cluster never gets (host "*" would let every
// host through REGISTRY_ONLY).
void check_service_entry(YamlReader& r, const yaml::Node& spec, const proxy::ServiceEntry& se) {
  for (size_t i = 0; i < se.hosts.size(); ++i)
    if (se.hosts[i] == "*")
      r.error(item(spec, "hosts", i, se.hosts.size()), at("hosts", i),
              "invalid host *: a ServiceEntry cannot take every host");

  bool cidr = false;
  for (size_t i = 0; i < se.addresses.size(); ++i) {
    cidr |= se.addresses[i].find('/') != std::string::npos;
    if (auto problem = ip_or_cidr(se.addresses[i]))
      r.error(item(spec, "addresses", i, se.addresses.size()), at("addresses", i), *problem);
  }
  if (cidr && se.resolution != "NONE" && se.resolution != "STATIC")
    r.error(spec["resolution"], "spec.resolution", "CIDR addresses are allowed only for NONE/STATIC resolution types");

  std::set<std::string> names;
  std::set<uint32_t> numbers;
  for (size_t i = 0; i < se.ports.size(); ++i) {
    const proxy::ServiceEntryPort& port = se.ports[i];
    yaml::Node node = item(spec, "ports", i, se.ports.size());
    yaml::Node field = node.IsMap() && node["name"] ? node["name"] : node;
    if (!names.insert(port.name).second)
      r.error(field, at("ports", i) + ".name", "service entry port name \"" + port.name + "\" already defined");
    else if (!is_dns1123_label(port.name))
      r.error(field, at("ports", i) + ".name",
              "invalid port name \"" + port.name + "\": Istio requires a DNS-1123 label (" + kDns1123LabelRule + ")");
    if (port.number != 0 && !numbers.insert(port.number).second)
      r.error(node.IsMap() && node["number"] ? node["number"] : node, at("ports", i) + ".number",
              "service entry port " + std::to_string(port.number) + " already defined");
    if (!port.protocol.empty() && !is_known_protocol(port.protocol))
      r.error(node.IsMap() && node["protocol"] ? node["protocol"] : node, at("ports", i) + ".protocol",
              "unsupported protocol \"" + port.protocol + "\" (valid: " + known_protocols() + ", in any case)");
  }

  const bool dns = se.resolution == "DNS" || se.resolution == "DNS_ROUND_ROBIN";
  for (size_t i = 0; i < se.endpoints.size(); ++i) {
    const proxy::ServiceEntryEndpoint& endpoint = se.endpoints[i];
    const std::string& address = endpoint.address;
    yaml::Node node = item(spec, "endpoints", i, se.endpoints.size());
    yaml::Node field = node.IsMap() && node["address"] ? node["address"] : node;
    const std::string path = at("endpoints", i);
    bool ip = is_ip_address(address);
    bool unix_socket = address.starts_with("unix://");
    // validateWorkloadEntry (STATIC): an IP or a unix:// socket; DNS also takes an FQDN.
    if (se.resolution == "STATIC" && address.empty() && endpoint.network.empty())
      r.error(node, path + ".address", "address is required");
    if (se.resolution == "STATIC" && !address.empty() && !ip && !unix_socket)
      r.error(field, path + ".address",
              "endpoint address \"" + address + "\" is not a valid IP address (resolution STATIC)");
    if (dns && !ip && !is_fqdn(address))
      r.error(field, path + ".address",
              "endpoint address \"" + address + "\" is not a valid FQDN or an IP address");
    if (se.resolution == "STATIC" && unix_socket && !endpoint.ports.empty())
      r.error(node["ports"], path + ".ports", "unix endpoint " + address + " must not include ports");
    if (se.resolution == "STATIC" && unix_socket && names.size() != 1)
      r.error(field, path + ".address", "exactly 1 service port required for unix endpoints");
    // An endpoint's ports are keyed by the name of a port the entry declares
    // (validateWorkloadEntry, and the DNS branch alike); Istio names the number.
    if (se.resolution == "STATIC" || dns)
      for (const auto& [name, number] : endpoint.ports)
        if (!names.contains(name))
          r.error(node["ports"], path + ".ports." + name,
                  "endpoint port " + std::to_string(number) + " is not defined by the service entry");
  }
  if (se.resolution == "DNS_ROUND_ROBIN" && se.endpoints.size() > 1)
    r.error(spec["endpoints"], "spec.endpoints", "there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN");

  if (dns && se.endpoints.empty())
    for (size_t i = 0; i < se.hosts.size(); ++i)
      if (se.hosts[i] != "*" && !is_fqdn(se.hosts[i])) {
        r.error(item(spec, "hosts", i, se.hosts.size()), at("hosts", i),
                "hosts must be FQDN if no endpoints are provided for resolution mode " + se.resolution +
                    ": there is no name for the proxy to look up");
        break;
      }

  // DYNAMIC_DNS (Istio 1.31): Envoy's dynamic forward proxy resolves the
  // request's own host, so the hosts are wildcards and nothing else says
  // where the traffic goes (validation.go ValidateServiceEntry).
  if (se.resolution == "DYNAMIC_DNS") {
    for (size_t i = 0; i < se.hosts.size(); ++i)
      if (!se.hosts[i].starts_with('*'))
        r.error(item(spec, "hosts", i, se.hosts.size()), at("hosts", i),
                "host must be wildcarded for resolution mode DYNAMIC_DNS");
    if (!se.addresses.empty())
      r.error(spec["addresses"], "spec.addresses",
              "addresses cannot be set for resolution type DYNAMIC_DNS: HTTP route domains come from the hosts");
    if (!se.endpoints.empty())
      r.error(spec["endpoints"], "spec.endpoints",
              "endpoints cannot be set for resolution type DYNAMIC_DNS: the destination comes from the request's host");
    for (size_t i = 0; i < se.ports.size(); ++i)
      if (!dynamic_dns_protocol(se.ports[i].protocol)) {
        yaml::Node node = item(spec, "ports", i, se.ports.size());
        r.error(node.IsMap() && node["protocol"] ? node["protocol"] : node, at("ports", i) + ".protocol",
                "only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type DYNAMIC_DNS");
      }
  }

  // Plain TCP carries no host name, so a proxy cannot tell several hosts apart
  // on one port; only NONE, which ignores the hosts, is exempt.
  if (se.resolution != "NONE" && se.hosts.size() > 1)
    for (size_t i = 0; i < se.ports.size(); ++i)
      if (!protocol_tells_hosts_apart(se.ports[i].protocol)) {
        r.error(item(spec, "ports", i, se.ports.size()), at("ports", i),
                "multiple hosts provided with non-HTTP, non-TLS ports (resolution " + se.resolution + ")");
        break;
      }
}

}  // namespace

void parse_service_entry(YamlReader& r, const yaml::Node& spec, proxy::ServiceEntry& out) {
  const std::string path = "spec";
  if (!r.fields(spec, path,
                {"hosts", "addresses", "ports", "location", "resolution", "endpoints", "workloadSelector", "exportTo",
                 "subjectAltNames"}))
    return;
  out.hosts = r.str_list(spec["hosts"], "spec.hosts");
  if (out.hosts.empty()) r.error(spec, "spec.hosts", "a ServiceEntry needs at least one host");
  out.addresses = r.str_list(spec["addresses"], "spec.addresses");
  r.list(spec["ports"], "spec.ports", [&](const yaml::Node& p, const std::string& pp) {
    if (!r.fields(p, pp, {"number", "protocol", "name", "targetPort"})) return;
    proxy::ServiceEntryPort port;
    port.number = r.port(p["number"], child(pp, "number")).value_or(0);
    if (!p["number"]) r.error(p, pp, "a ServiceEntry port needs a number");
    port.protocol = r.str(p["protocol"], child(pp, "protocol")).value_or("");
    port.name = r.str(p["name"], child(pp, "name")).value_or("");
    port.target_port = r.port(p["targetPort"], child(pp, "targetPort")).value_or(0);
    out.ports.push_back(port);
  });
  out.location = r.enumeration(spec["location"], "spec.location", {"MESH_EXTERNAL", "MESH_INTERNAL"}).value_or("MESH_EXTERNAL");
  out.resolution =
      r.enumeration(spec["resolution"], "spec.resolution", {"NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"})
          .value_or("NONE");
  r.list(spec["endpoints"], "spec.endpoints", [&](const yaml::Node& e, const std::string& ep) {
    if (!r.fields(e, ep, {"address", "ports", "labels", "network", "locality", "weight", "serviceAccount"})) return;
    proxy::ServiceEntryEndpoint endpoint;
    endpoint.address = r.str(e["address"], child(ep, "address")).value_or("");
    if (auto ports = e["ports"]; ports && r.is_map(ports, child(ep, "ports")))
      for (const auto& kv : ports) {
        std::string name = kv.first.as<std::string>();
        if (auto port = r.port(kv.second, child(child(ep, "ports"), name))) endpoint.ports[name] = *port;
      }
    endpoint.labels = r.str_map(e["labels"], child(ep, "labels"));
    endpoint.network = r.str(e["network"], child(ep, "network")).value_or("");
    endpoint.locality = r.str(e["locality"], child(ep, "locality")).value_or("");
    endpoint.service_account = r.str(e["serviceAccount"], child(ep, "serviceAccount")).value_or("");
    endpoint.weight = static_cast<uint32_t>(r.integer(e["weight"], child(ep, "weight"), 0, UINT32_MAX).value_or(0));
    out.endpoints.push_back(std::move(endpoint));
  });
  out.workload_selector = workload_selector(r, spec["workloadSelector"], "spec.workloadSelector");
  out.export_to = r.str_list(spec["exportTo"], "spec.exportTo");
  out.subject_alt_names = r.str_list(spec["subjectAltNames"], "spec.subjectAltNames");
  // service_entry.proto: workloadSelector and endpoints are mutually exclusive;
  // NONE takes no endpoints (istio validation.go ValidateServiceEntry).
  if (out.workload_selector && !out.endpoints.empty())
    r.error(spec["workloadSelector"], "spec.workloadSelector", "cannot be used together with endpoints");
  if (out.resolution == "NONE" && !out.endpoints.empty())
    r.error(spec["endpoints"], "spec.endpoints", "no endpoints should be provided for resolution type NONE");
  check_service_entry(r, spec, out);
}

void parse_sidecar(YamlReader& r, const yaml::Node& spec, proxy::SidecarConfig& out) {
  const std::string path = "spec";
  if (!r.fields(spec, path,
                {"workloadSelector", "ingress", "egress", "inboundConnectionPool", "outboundTrafficPolicy"}))
    return;
  out.workload_selector = workload_selector(r, spec["workloadSelector"], "spec.workloadSelector");
  out.has_ingress = spec["ingress"] && spec["ingress"].IsSequence() && spec["ingress"].size() > 0;
  r.list(spec["egress"], "spec.egress", [&](const yaml::Node& e, const std::string& ep) {
    if (!r.fields(e, ep, {"port", "bind", "captureMode", "hosts"})) return;
    proxy::SidecarEgressListener listener;
    if (auto p = e["port"]; p && r.fields(p, child(ep, "port"), {"number", "protocol", "name", "targetPort"}))
      listener.port = r.port(p["number"], child(ep, "port.number"));
    listener.bind = r.str(e["bind"], child(ep, "bind")).value_or("");
    listener.capture_mode = r.str(e["captureMode"], child(ep, "captureMode")).value_or("");
    listener.hosts = r.str_list(e["hosts"], child(ep, "hosts"));
    if (listener.hosts.empty()) r.error(e, child(ep, "hosts"), "an egress listener needs at least one host");
    for (const auto& h : listener.hosts)
      if (h.find('/') == std::string::npos)
        r.error(e["hosts"], child(ep, "hosts"), "host \"" + h + "\" must have the form namespace/dnsName");
    out.egress.push_back(std::move(listener));
  });
  // istio validation.go ValidateSidecar: one catch-all egress listener (no
  // port), the last one; the ports of the others unique.
  std::set<uint32_t> ports;
  bool catch_all = false;
  for (size_t i = 0; i < out.egress.size() && spec["egress"] && spec["egress"].IsSequence(); ++i) {
    const yaml::Node node = spec["egress"][i];
    const std::string ep = "spec.egress[" + std::to_string(i) + "]";
    if (!out.egress[i].port) {
      if (catch_all) r.error(node, ep, "egress can have only one listener with empty port");
      else if (i + 1 != out.egress.size()) r.error(node, ep, "the egress listener with empty port should be the last listener in the list");
      catch_all = true;
    } else if (*out.egress[i].port != 0 && !ports.insert(*out.egress[i].port).second) {
      r.error(node, ep, "ports on IP bound listeners must be unique");
    }
  }
  out.outbound_traffic_policy = outbound_mode(r, spec["outboundTrafficPolicy"], "spec.outboundTrafficPolicy", false);
}

namespace {

// MeshConfig fields that change what the mesh does to traffic or what it
// reports, and that meshsim does not model (effects as the MeshConfig
// reference, istio.io docs/reference/config/istio.mesh.v1alpha1, gives
// them). A rehearsal runs as if they were unset, so each is a warning;
// `unless` is the default value, which changes nothing.
struct UnmodeledMeshField {
  const char* name;
  const char* effect;
  const char* unless = nullptr;
};
constexpr UnmodeledMeshField kUnmodeledMeshFields[] = {
    {"defaultHttpRetryPolicy", "retries every HTTP route that sets no retries of its own"},
    {"enableAutoMtls", "decides whether sidecars send mTLS without a DestinationRule saying so", "true"},
    {"localityLbSetting", "routes and fails over by locality"},
    {"h2UpgradePolicy", "upgrades HTTP/1.1 between sidecars to HTTP/2", "DO_NOT_UPGRADE"},
    {"outboundClusterStatName", "renames the clusters in the proxies' statistics"},
    {"inboundClusterStatName", "renames the clusters in the proxies' statistics"},
    {"serviceSettings", "keeps some hosts' traffic within their cluster"},
    {"discoverySelectors", "limits the namespaces istiod configures the mesh from"},
    {"trustDomainAliases", "lets AuthorizationPolicy principals match other trust domains"},
    {"enableTracing", "turns tracing off", "true"},
    {"defaultProviders", "chooses the providers of metrics, traces and access logs"},
    {"protocolDetectionTimeout", "bounds protocol sniffing on ports that declare no protocol"},
};

// `defaultProviders: {metrics: [prometheus]}`, which Istio's own install
// writes (the istio-discovery chart's mesh config): Istio's metrics as
// meshsim reports them, nothing to warn of.
bool prometheus_only(const yaml::Node& providers) {
  if (!providers.IsMap() || providers.size() != 1) return false;
  auto metrics = providers["metrics"];
  return metrics && metrics.IsSequence() && metrics.size() == 1 && metrics[0].IsScalar() &&
         metrics[0].Scalar() == "prometheus";
}

// One extensionProviders entry: its name, its kind and, for the ext_authz
// kinds, what istiod checks before it builds the filter
// (extauthz.go processExtensionProvider, agent/extensionprovider.go
// ValidateExtensionProviderEnvoyExtAuthzHTTP/GRPC). Istio keeps a provider
// it finds wrong and denies what the CUSTOM policies naming it match, so a
// problem is recorded, not reported as a load error.
proxy::ExtensionProvider extension_provider(YamlReader& r, const yaml::Node& n, const std::string& path,
                                            const std::vector<proxy::ExtensionProvider>& earlier) {
  using Kind = proxy::ExtensionProvider::Kind;
  proxy::ExtensionProvider out;
  out.name = r.str(n["name"], child(path, "name")).value_or("");
  std::vector<std::string> problems;
  if (out.name.empty()) problems.push_back("extension provider name must not be empty");
  else if (std::any_of(earlier.begin(), earlier.end(), [&](const auto& p) { return p.name == out.name; }))
    problems.push_back("extension provider name must be unique, found duplicate: " + out.name);
  yaml::Node spec;
  for (const auto& e : n)
    if (e.first.Scalar() != "name") {
      out.type = e.first.Scalar();
      spec = e.second;
      break;
    }
  if (out.type == "envoyExtAuthzHttp") out.kind = Kind::kExtAuthzHttp;
  else if (out.type == "envoyExtAuthzGrpc") out.kind = Kind::kExtAuthzGrpc;
  // extauthz.go validateProviderName: a DNS-1123 label of at most 63 characters.
  if (out.kind != Kind::kOther && !out.name.empty()) {
    const std::string& name = out.name;
    bool label = name.size() <= 63 && name.front() != '-' && name.back() != '-' &&
                 std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
    if (!label)
      problems.push_back("invalid provider name \"" + name +
                         "\": at most 63 lowercase letters, digits and hyphens, not starting or ending with a hyphen");
  }
  if (out.kind != Kind::kOther && !(spec && spec.IsMap())) problems.push_back("service must not be empty");
  if (out.kind != Kind::kOther && spec && spec.IsMap()) {
    std::string sp = child(path, out.type);
    out.service = r.str(spec["service"], child(sp, "service")).value_or("");
    if (out.service.empty()) problems.push_back("service must not be empty");
    auto port = spec["port"] && spec["port"].IsScalar() ? spec["port"].Scalar() : "";
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
        std::stoi(port) < 1 || std::stoi(port) > 65535)
      problems.push_back("port must be in the range [1, 65535], found: " + (port.empty() ? "0" : port));
    else
      out.port = static_cast<uint32_t>(std::stoi(port));
    if (auto s = spec["statusOnError"]; s && s.IsScalar()) {
      // parseStatusOnError: an Envoy StatusCode (an HTTP status).
      const std::string& v = s.Scalar();
      if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) < 100)
        problems.push_back("invalid statusOnError \"" + v + "\"");
      else
        out.status_on_error = std::stoi(v);
    }
    if (auto f = spec["failOpen"]; f && f.IsScalar()) out.fail_open = f.Scalar() == "true";
    if (auto pp = spec["pathPrefix"]; pp && pp.IsScalar() && !pp.Scalar().empty() && pp.Scalar()[0] != '/')
      problems.push_back("pathPrefix must begin with `/`, found: \"" + pp.Scalar() + "\"");
    else if (pp && pp.IsScalar())
      out.path_prefix = pp.Scalar();
    if (auto t = r.duration(spec["timeout"], child(sp, "timeout"))) out.timeout = *t;
    // extauthz.go generateHTTPConfig: includeHeadersInCheck counts only
    // without includeRequestHeadersInCheck.
    out.include_request_headers = r.str_list(spec["includeRequestHeadersInCheck"], child(sp, "includeRequestHeadersInCheck"));
    if (out.include_request_headers.empty())
      out.include_request_headers = r.str_list(spec["includeHeadersInCheck"], child(sp, "includeHeadersInCheck"));
    for (auto& [name, value] : r.str_map(spec["includeAdditionalHeadersInCheck"], child(sp, "includeAdditionalHeadersInCheck")))
      out.include_additional_headers.emplace_back(name, value);  // a std::map: sorted by name, as istiod sorts them
    out.headers_to_upstream_on_allow = r.str_list(spec["headersToUpstreamOnAllow"], child(sp, "headersToUpstreamOnAllow"));
    out.headers_to_downstream_on_deny = r.str_list(spec["headersToDownstreamOnDeny"], child(sp, "headersToDownstreamOnDeny"));
    out.headers_to_downstream_on_allow =
        r.str_list(spec["headersToDownstreamOnAllow"], child(sp, "headersToDownstreamOnAllow"));
    // buildExtAuthzHTTP checkWildcard: a lone "*" is refused in every header list.
    for (const auto* list : {&out.include_request_headers, &out.headers_to_upstream_on_allow,
                             &out.headers_to_downstream_on_deny, &out.headers_to_downstream_on_allow})
      if (std::find(list->begin(), list->end(), "*") != list->end())
        problems.push_back("a single wildcard (\"*\") is not supported, change it to either prefix or suffix match");
  }
  for (const auto& p : problems) out.problem += (out.problem.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

// MeshConfig has dozens of fields; meshsim reads the ones below, warns of
// those in kUnmodeledMeshFields and leaves the rest (no effect on what it
// simulates) alone: no unknown-field errors.
void parse_mesh_config(YamlReader& r, const yaml::Node& mesh, const std::string& path, proxy::MeshConfig& out) {
  if (!mesh || mesh.IsNull()) return;
  if (!r.is_map(mesh, path)) return;
  for (const auto& field : kUnmodeledMeshFields)
    if (auto value = mesh[field.name]; value && !(field.unless && value.IsScalar() && value.Scalar() == field.unless) &&
                                       !(std::string_view(field.name) == "defaultProviders" && prometheus_only(value)))
      r.warning(value, "MSH0045",
                std::string(field.name) + " is not simulated: it " + field.effect + "; meshsim runs as if it were unset");
  if (auto p = mesh["outboundTrafficPolicy"])
    if (auto mode = outbound_mode(r, p, child(path, "outboundTrafficPolicy"), true); !mode.empty())
      out.outbound_traffic_policy = mode;
  if (auto ns = r.str(mesh["rootNamespace"], child(path, "rootNamespace"))) out.root_namespace = *ns;
  out.default_service_export_to = r.str_list(mesh["defaultServiceExportTo"], child(path, "defaultServiceExportTo"));
  out.default_virtual_service_export_to =
      r.str_list(mesh["defaultVirtualServiceExportTo"], child(path, "defaultVirtualServiceExportTo"));
  out.default_destination_rule_export_to =
      r.str_list(mesh["defaultDestinationRuleExportTo"], child(path, "defaultDestinationRuleExportTo"));
  if (auto t = r.millisecond_duration(mesh["connectTimeout"], child(path, "connectTimeout"))) {
    // agent/validation.go ValidateConnectTimeout: at most connectTimeoutMax, an hour.
    if (*t > std::chrono::hours(1))
      r.error(mesh["connectTimeout"], child(path, "connectTimeout"), "connectTimeout must be at most 1h");
    else
      out.connect_timeout = *t;
  }
  if (auto td = r.str(mesh["trustDomain"], child(path, "trustDomain"))) out.trust_domain = *td;
  r.list(mesh["extensionProviders"], child(path, "extensionProviders"), [&](const yaml::Node& n, const std::string& p) {
    if (r.is_map(n, p)) out.extension_providers.push_back(extension_provider(r, n, p, out.extension_providers));
  });
  if (auto dc = mesh["defaultConfig"]; dc && dc.IsMap())
    if (auto tracing = dc["tracing"]; tracing && tracing.IsMap())
      out.tracing_sampling = r.number(tracing["sampling"], child(path, "defaultConfig.tracing.sampling"), 0, 100);
  if (auto dc = mesh["defaultConfig"]; dc && dc.IsMap())
    if (auto md = dc["proxyMetadata"]; md && md.IsMap()) {
      // istio analyzers/serviceentry/protocoladdresses.go reads these three.
      auto is_true = [&](const char* key) { return md[key] && md[key].IsScalar() && md[key].Scalar() == "true"; };
      out.dns_auto_allocate = is_true("ISTIO_META_DNS_CAPTURE") &&
                              (is_true("ISTIO_META_DNS_AUTO_ALLOCATE") || is_true("PILOT_ENABLE_IP_AUTOALLOCATE"));
    }
}

void parse_mesh_config_map(YamlReader& r, const yaml::Node& doc, proxy::MeshConfig& out) {
  const yaml::Node data = doc["data"];
  if (!data || !r.is_map(data, "data")) return;
  auto text = r.str(data["mesh"], "data.mesh");
  if (!text) return;
  // The mesh config is YAML inside a string; read from a literal block
  // (`mesh: |`), its problems are placed on the file's own lines.
  YamlReader inner = r.embedded(data["mesh"]);
  yaml::Node mesh;
  try {
    mesh = yaml::Load(*text);
  } catch (const yaml::Exception& e) {
    std::string problem = e.msg;
    if (!e.duplicate_key.empty()) problem = yaml::duplicate_key_message(e.duplicate_key, inner.pos(e.first_defined_at).line);
    inner.error_at(e.mark, "data.mesh", "the mesh config is not valid YAML: " + problem);
    return;
  }
  parse_mesh_config(inner, mesh, "data.mesh", out);
}

}  // namespace meshsim::config
