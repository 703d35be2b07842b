// Configurations Istio's admission webhook refuses (istio/istio
// pkg/config/validation/validation.go, virtualservice.go and
// validation/agent), which meshsim used to load and rehearse: each is an
// error at the offending value, in Istio's words. Each row names the Istio
// function that refuses it; what Istio accepts next to it still loads.
#include <gtest/gtest.h>

#include "config/loader.h"

namespace meshsim::config {
namespace {

// Lines 1-4 (1-5 for a DestinationRule, whose host is line 5); a row's text follows.
constexpr const char* kVS = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n";
constexpr const char* kSE = "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext}\nspec:\n";
constexpr const char* kDR =
    "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: bar}\nspec:\n  host: bar\n";
constexpr const char* kPA = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: bar}\nspec:\n";

struct RefusedCase {
  const char* name;
  const char* istio_source;
  const char* head;
  const char* tail;
  int line, column;
  const char* message_part;
};

void PrintTo(const RefusedCase& c, std::ostream* os) { *os << c.name; }

const RefusedCase kRefused[] = {
    {"mesh_wildcard_host", "validation.go ValidateVirtualService: appliesToMesh && host == \"*\"", kVS,
     "  hosts: [\"*\"]\n  http:\n  - route: [{destination: {host: bar}}]\n",
     5, 11, "wildcard host * is not allowed for virtual services bound to the mesh gateway"},
    {"mesh_listed_with_gateway_wildcard_host", "validation.go ValidateVirtualService, isGateway: \"mesh\" listed binds to the mesh", kVS,
     "  hosts: [\"*\"]\n  gateways: [my-gateway, mesh]\n  http:\n  - route: [{destination: {host: bar}}]\n",
     5, 11, "wildcard host * is not allowed for virtual services bound to the mesh gateway"},
    {"duplicate_hosts", "validation.go ValidateVirtualService: host.Name(hostI).Matches(hostJ)", kVS,
     "  hosts: [bar, bar]\n  http:\n  - route: [{destination: {host: bar}}]\n",
     5, 16, "duplicate hosts in virtual service: bar & bar"},
    {"overlapping_wildcard_hosts", "validation.go ValidateVirtualService: *.foo.com and *.com are duplicates", kVS,
     "  hosts: [\"*.foo.com\", \"*.com\"]\n  http:\n  - route: [{destination: {host: bar}}]\n",
     5, 24, "duplicate hosts in virtual service: *.foo.com & *.com"},
    {"jwt_claim_header_on_mesh", "validation.go ValidateVirtualService: validateJWTClaimRoute(m.GetHeaders())", kVS,
     "  hosts: [bar]\n  http:\n  - match:\n    - headers:\n        \"@request.auth.claims.group\": {exact: admin}\n    route: [{destination: {host: bar}}]\n",
     9, 9, "JWT claim based routing (key: @request.auth.claims.group) is only supported for gateway"},
    {"jwt_claim_without_header_on_mesh", "validation.go ValidateVirtualService: validateJWTClaimRoute(m.GetWithoutHeaders())", kVS,
     "  hosts: [bar]\n  gateways: [mesh]\n  http:\n  - match:\n    - withoutHeaders:\n        \"@request.auth.claims[group]\": {exact: admin}\n    route: [{destination: {host: bar}}]\n",
     10, 9, "JWT claim based routing (key: @request.auth.claims[group])"},
    {"fault_with_redirect", "virtualservice.go validateHTTPRouteConflict: both fault and redirect", kVS,
     "  hosts: [bar]\n  http:\n  - redirect: {uri: /x}\n    fault: {abort: {httpStatus: 500}}\n",
     8, 12, "fault cannot be set together with redirect"},
    {"rewrite_with_redirect", "virtualservice.go validateHTTPRouteConflict: both rewrite and redirect", kVS,
     "  hosts: [bar]\n  http:\n  - redirect: {uri: /x}\n    rewrite: {uri: /y}\n",
     8, 14, "rewrite cannot be set together with redirect"},
    {"fault_with_direct_response", "virtualservice.go validateHTTPRouteConflict: both fault and direct_response", kVS,
     "  hosts: [bar]\n  http:\n  - directResponse: {status: 200}\n    fault: {delay: {fixedDelay: 1s}}\n",
     8, 12, "fault cannot be set together with directResponse"},
    {"rewrite_with_direct_response", "virtualservice.go validateHTTPRouteConflict: both rewrite and direct_response", kVS,
     "  hosts: [bar]\n  http:\n  - directResponse: {status: 200}\n    rewrite: {authority: a.com}\n",
     8, 14, "rewrite cannot be set together with directResponse"},
    {"empty_fault", "validation.go validateHTTPFaultInjection: must have an abort and/or a delay", kVS,
     "  hosts: [bar]\n  http:\n  - fault: {}\n    route: [{destination: {host: bar}}]\n",
     7, 12, "a fault must have an abort, a delay or both"},
    {"exponential_delay", "validation.go validateHTTPFaultInjectionDelay: exponentialDelay not supported yet", kVS,
     "  hosts: [bar]\n  http:\n  - fault: {delay: {exponentialDelay: 1s}}\n    route: [{destination: {host: bar}}]\n",
     7, 39, "exponentialDelay is not supported by Istio yet"},
    {"http2_error_abort", "validation.go validateHTTPFaultInjectionAbort: HTTP/2 abort not supported yet", kVS,
     "  hosts: [bar]\n  http:\n  - fault: {abort: {http2Error: REFUSED_STREAM}}\n    route: [{destination: {host: bar}}]\n",
     7, 33, "HTTP/2 abort fault injection is not supported"},
    {"empty_rewrite", "validation.go validateHTTPRewrite: at least one of URI, UriRegexRewrite, or authority", kVS,
     "  hosts: [bar]\n  http:\n  - rewrite: {}\n    route: [{destination: {host: bar}}]\n",
     7, 14, "rewrite must set uri, uriRegexRewrite or authority"},
    {"rewrite_empty_uri", "validation.go validateHTTPRewrite: an empty uri is unset", kVS,
     "  hosts: [bar]\n  http:\n  - rewrite: {uri: \"\"}\n    route: [{destination: {host: bar}}]\n",
     7, 14, "rewrite must set uri, uriRegexRewrite or authority"},
    {"rewrite_uri_and_regex", "validation.go validateHTTPRewrite: only one of URI or UriRegexRewrite", kVS,
     "  hosts: [bar]\n  http:\n  - rewrite: {uri: /a, uriRegexRewrite: {match: \"^/b\", rewrite: /c}}\n    route: [{destination: {host: bar}}]\n",
     7, 14, "rewrite takes only one of uri or uriRegexRewrite"},
    {"regex_rewrite_without_rewrite", "validation.go validateURIRegexRewrite: requires both Rewrite and Match", kVS,
     "  hosts: [bar]\n  http:\n  - rewrite: {uriRegexRewrite: {match: \"^/b\"}}\n    route: [{destination: {host: bar}}]\n",
     7, 32, "uriRegexRewrite needs both match and rewrite"},
    {"redirect_without_target", "validation.go validateHTTPRedirect: must specify URI, authority, scheme, or port", kVS,
     "  hosts: [bar]\n  http:\n  - redirect: {redirectCode: 301}\n",
     7, 15, "redirect must set uri, authority, scheme or port"},
    {"redirect_uri_and_prefix_rewrite", "validation.go validateHTTPRedirect: only one of uri or prefix_rewrite", kVS,
     "  hosts: [bar]\n  http:\n  - redirect: {uri: /a, prefixRewrite: /b}\n",
     7, 15, "redirect takes only one of uri or prefixRewrite"},
    {"redirect_prefix_rewrite_exact_match", "validation.go validateHTTPRedirect: prefix_rewrite requires prefix URI matches", kVS,
     "  hosts: [bar]\n  http:\n  - match: [{uri: {exact: /a}}]\n    redirect: {prefixRewrite: /b}\n",
     8, 31, "redirect prefixRewrite requires every uri match of the route to be a prefix match"},
    {"redirect_scheme", "validation.go validateHTTPRedirect: scheme must be http or https", kVS,
     "  hosts: [bar]\n  http:\n  - redirect: {scheme: ftp}\n",
     7, 24, "redirect scheme must be \"http\" or \"https\""},
    {"set_pseudo_header", "validation.go ValidateHTTPHeaderWithAuthorityOperationName: \":\" prefix", kVS,
     "  hosts: [bar]\n  http:\n  - headers: {request: {set: {\":path\": /x}}}\n    route: [{destination: {host: bar}}]\n",
     7, 31, "invalid header \":path\": header cannot have \":\" prefix"},
    {"response_set_host", "validation.go ValidateHTTPHeaderOperationName: cannot set Host header", kVS,
     "  hosts: [bar]\n  http:\n  - headers: {response: {set: {host: x}}}\n    route: [{destination: {host: bar}}]\n",
     7, 32, "invalid header \"host\": the Host header cannot be changed here"},
    {"request_remove_authority", "validation.go ValidateHTTPHeaderOperationName on request remove", kVS,
     "  hosts: [bar]\n  http:\n  - headers: {request: {remove: [x-a, \":authority\"]}}\n    route: [{destination: {host: bar}}]\n",
     7, 39, "header cannot have \":\" prefix"},
    {"destination_add_pseudo_header", "validation.go validateHTTPRouteDestinations: ValidateHTTPHeaderWithAuthorityOperationName", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar}, headers: {request: {add: {\":method\": GET}}}}]\n",
     7, 66, "invalid header \":method\""},
    {"authority_rewrite_and_host_header", "virtualservice.go validateAuthorityRewrite", kVS,
     "  hosts: [bar]\n  http:\n  - rewrite: {authority: a.com}\n    headers: {request: {set: {host: b.com}}}\n    route: [{destination: {host: bar}}]\n",
     8, 31, "authority header cannot be set multiple times: have \"a.com\", attempting to set \"b.com\""},
    {"authority_header_set_and_added", "virtualservice.go validateAuthorityRewrite: set, then add", kVS,
     "  hosts: [bar]\n  http:\n  - headers: {request: {set: {\":authority\": a.com}, add: {Host: b.com}}}\n    route: [{destination: {host: bar}}]\n",
     7, 59, "authority header cannot be set multiple times"},
    {"timeout_below_1ms", "virtualservice.go validateHTTPRoute -> agent.ValidateDuration(Timeout)", kVS,
     "  hosts: [bar]\n  http:\n  - timeout: 100us\n    route: [{destination: {host: bar}}]\n",
     7, 14, "duration must be at least 1ms"},
    {"timeout_zero", "virtualservice.go validateHTTPRoute -> agent.ValidateDuration(Timeout)", kVS,
     "  hosts: [bar]\n  http:\n  - timeout: 0s\n    route: [{destination: {host: bar}}]\n",
     7, 14, "duration must be at least 1ms"},
    {"timeout_finer_than_ms", "agent.ValidateDuration: only durations to ms precision", kVS,
     "  hosts: [bar]\n  http:\n  - timeout: 1500us\n    route: [{destination: {host: bar}}]\n",
     7, 14, "duration must be whole milliseconds"},
    {"per_try_timeout_below_1ms", "agent.ValidateHTTPRetry -> ValidateDuration(PerTryTimeout)", kVS,
     "  hosts: [bar]\n  http:\n  - retries: {attempts: 2, perTryTimeout: 0.5ms}\n    route: [{destination: {host: bar}}]\n",
     7, 43, "duration must be at least 1ms"},
    {"retry_policy_with_attempts_zero", "validation.go validateHTTPRetry: Attempts == 0 && RetryOn", kVS,
     "  hosts: [bar]\n  http:\n  - retries: {attempts: 0, retryOn: 5xx}\n    route: [{destination: {host: bar}}]\n",
     7, 14, "http retry policy configured when attempts are set to 0 (disabled)"},
    {"per_try_timeout_without_attempts", "validation.go validateHTTPRetry: Attempts unset is 0", kVS,
     "  hosts: [bar]\n  http:\n  - retries: {perTryTimeout: 2s}\n    route: [{destination: {host: bar}}]\n",
     7, 14, "http retry policy configured when attempts are set to 0 (disabled)"},
    {"mirror_and_mirrors", "virtualservice.go validateHTTPRouteConflict: Mirror != nil && len(Mirrors) > 0", kVS,
     "  hosts: [bar]\n  http:\n  - mirror: {host: foo}\n    mirrors: [{destination: {host: foo}}]\n"
     "    route: [{destination: {host: bar}}]\n",
     8, 14, "HTTP route cannot contain both mirror and mirrors"},
    {"retry_backoff_zero", "agent.ValidateHTTPRetry -> ValidateDuration(Backoff)", kVS,
     "  hosts: [bar]\n  http:\n  - retries: {attempts: 2, backoff: 0s}\n    route: [{destination: {host: bar}}]\n",
     7, 37, "duration must be at least 1ms"},
    {"fixed_delay_zero", "validation.go validateHTTPFaultInjectionDelay -> ValidateDuration(FixedDelay)", kVS,
     "  hosts: [bar]\n  http:\n  - fault: {delay: {fixedDelay: 0s}}\n    route: [{destination: {host: bar}}]\n",
     7, 33, "duration must be at least 1ms"},
    {"route_subset_not_dns_label", "validation.go validateDestination -> validateSubsetName", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar, subset: v1.0}}]\n",
     7, 47, "subset name \"v1.0\" is invalid: Istio requires a DNS-1123 label"},
    {"mirror_subset_not_dns_label", "virtualservice.go validateHTTPRoute -> validateDestination(Mirror)", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar}}]\n    mirror: {host: bar, subset: v_1}\n",
     8, 33, "subset name \"v_1\" is invalid"},
    {"destination_host_star", "validation.go validateDestination: invalid destination host *", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: \"*\"}}]\n",
     7, 34, "invalid destination host *"},
    {"source_namespace_not_dns_label", "virtualservice.go validateHTTPRouteMatchRequest: sourceNamespace", kVS,
     "  hosts: [bar]\n  http:\n  - match: [{sourceNamespace: Bad_NS}]\n    route: [{destination: {host: bar}}]\n",
     7, 31, "sourceNamespace match \"Bad_NS\" is invalid"},
    {"se_host_star", "validation.go ValidateServiceEntry: full wildcard host", kSE,
     "  hosts: [\"*\"]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: NONE\n",
     5, 11, "invalid host *"},
    {"se_unknown_protocol", "validation.go ValidateServiceEntry -> ValidateProtocol (protocol.Parse)", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTPX}]\n  resolution: DNS\n",
     6, 46, "unsupported protocol \"HTTPX\" (valid: HTTP, HTTPS, HTTP2, GRPC, GRPC-Web, HTTP_PROXY, TCP, TLS, UDP, Mongo, Redis, MySQL"},
    {"se_duplicate_port_name", "validation.go ValidateServiceEntry: port name already defined", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}, {number: 81, name: http, protocol: HTTP}]\n  resolution: DNS\n",
     6, 72, "service entry port name \"http\" already defined"},
    {"se_duplicate_port_number", "validation.go ValidateServiceEntry: port already defined", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}, {number: 80, name: http2, protocol: HTTP}]\n  resolution: DNS\n",
     6, 62, "service entry port 80 already defined"},
    {"se_port_name_not_dns_label", "validation.go ValidateServiceEntry -> ValidatePortName", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: HTTP_Web, protocol: HTTP}]\n  resolution: DNS\n",
     6, 30, "invalid port name \"HTTP_Web\": Istio requires a DNS-1123 label"},
    {"se_port_without_name", "validation.go ValidatePortName(\"\")", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, protocol: HTTP}]\n  resolution: DNS\n",
     6, 11, "invalid port name \"\""},
    {"se_dns_wildcard_without_endpoints", "validation.go ValidateServiceEntry: DNS without endpoints -> agent.ValidateFQDN", kSE,
     "  hosts: [\"*.example.com\"]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DNS\n",
     5, 11, "hosts must be FQDN if no endpoints are provided for resolution mode DNS"},
    {"se_cidr_with_dns", "validation.go ValidateServiceEntry: CIDR addresses only for NONE/STATIC", kSE,
     "  hosts: [api.example.com]\n  addresses: [10.0.0.0/24]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DNS\n",
     8, 15, "CIDR addresses are allowed only for NONE/STATIC resolution types"},
    {"se_address_not_ip", "validation.go ValidateServiceEntry -> agent.ValidateIPSubnet", kSE,
     "  hosts: [api.example.com]\n  addresses: [not-an-ip]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: NONE\n",
     6, 15, "bad IP address \"not-an-ip\""},
    {"se_address_bad_cidr", "validation.go ValidateServiceEntry -> agent.ValidateIPSubnet", kSE,
     "  hosts: [api.example.com]\n  addresses: [10.0.0.0/40]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: STATIC\n  endpoints: [{address: 10.0.0.1}]\n",
     6, 15, "the prefix length must be 0 to 32"},
    {"se_static_endpoint_hostname", "validation.go ValidateServiceEntry STATIC -> validateWorkloadEntry(allowFQDNAddresses=false)", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: STATIC\n  endpoints: [{address: api.example.com}]\n",
     8, 25, "endpoint address \"api.example.com\" is not a valid IP address (resolution STATIC)"},
    {"se_dns_endpoint_not_fqdn", "validation.go ValidateServiceEntry DNS: endpoint not a valid FQDN or IP", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DNS\n  endpoints: [{address: api_1.example.com}]\n",
     8, 25, "endpoint address \"api_1.example.com\" is not a valid FQDN or an IP address"},
    {"se_multiple_hosts_tcp_dns", "validation.go ValidateServiceEntry: multiple hosts provided with non-HTTP, non-TLS ports", kSE,
     "  hosts: [a.example.com, b.example.com]\n  ports: [{number: 5432, name: tcp, protocol: TCP}]\n  resolution: DNS\n",
     6, 11, "multiple hosts provided with non-HTTP, non-TLS ports"},
    {"se_multiple_hosts_unset_protocol_static", "validation.go ValidateServiceEntry: protocol.Parse(\"\") is neither HTTP nor TLS", kSE,
     "  hosts: [a.example.com, b.example.com]\n  addresses: [10.0.0.1]\n  ports: [{number: 80, name: http, protocol: HTTP}, {number: 81, name: other}]\n  resolution: STATIC\n  endpoints: [{address: 10.0.0.2}]\n",
     7, 53, "multiple hosts provided with non-HTTP, non-TLS ports (resolution STATIC)"},
    {"se_dns_round_robin_two_endpoints", "validation.go ValidateServiceEntry DNS_ROUND_ROBIN: 0 or 1 endpoint", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DNS_ROUND_ROBIN\n"
     "  endpoints: [{address: a.example.com}, {address: b.example.com}]\n",
     8, 14, "there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN"},
    {"se_dns_endpoint_port_not_declared", "validation.go ValidateServiceEntry DNS: endpoint port not defined by the entry", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DNS\n"
     "  endpoints: [{address: lb.example.com, ports: {https: 8443}}]\n",
     8, 48, "endpoint port 8443 is not defined by the service entry"},
    {"se_static_endpoint_port_not_declared", "validateWorkloadEntry: servicePorts.Contains(name)", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: STATIC\n"
     "  endpoints: [{address: 10.0.0.1, ports: {http-alt: 8080}}]\n",
     8, 42, "endpoint port 8080 is not defined by the service entry"},
    {"se_static_ipv4_with_zone", "validateWorkloadEntry -> netutil.IsValidIPAddress (netip.ParseAddr: a zone only on IPv6)", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: STATIC\n"
     "  endpoints: [{address: \"10.0.0.1%eth0\"}]\n",
     8, 25, "endpoint address \"10.0.0.1%eth0\" is not a valid IP address (resolution STATIC)"},
    {"se_static_endpoint_without_address", "validateWorkloadEntry: address is required (no network)", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: STATIC\n"
     "  endpoints: [{labels: {app: db}}]\n",
     8, 15, "address is required"},
    {"se_unix_endpoint_with_ports", "validateWorkloadEntry: unix endpoint must not include ports", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: STATIC\n"
     "  endpoints: [{address: \"unix:///var/run/db.sock\", ports: {http: 80}}]\n",
     8, 59, "unix endpoint unix:///var/run/db.sock must not include ports"},
    {"se_unix_endpoint_two_ports", "validateWorkloadEntry: exactly 1 service port required for unix endpoints", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}, {number: 81, name: http-2, protocol: HTTP}]\n"
     "  resolution: STATIC\n  endpoints: [{address: \"unix:///var/run/db.sock\"}]\n",
     8, 25, "exactly 1 service port required for unix endpoints"},
    {"mesh_connect_timeout_over_an_hour", "agent/validation.go ValidateConnectTimeout: connectTimeoutMax = time.Hour",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n",
     "    connectTimeout: 2h\n", 6, 21, "connectTimeout must be at most 1h"},
    {"se_dynamic_dns_exact_host", "validation.go ValidateServiceEntry DYNAMIC_DNS: host must be wildcarded (Istio 1.31)", kSE,
     "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DYNAMIC_DNS\n",
     5, 11, "host must be wildcarded for resolution mode DYNAMIC_DNS"},
    {"se_dynamic_dns_endpoints", "validation.go ValidateServiceEntry DYNAMIC_DNS: endpoints cannot be set", kSE,
     "  hosts: [\"*.example.com\"]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DYNAMIC_DNS\n"
     "  endpoints: [{address: lb.example.com}]\n",
     8, 14, "endpoints cannot be set for resolution type DYNAMIC_DNS"},
    {"se_dynamic_dns_addresses", "validation.go ValidateServiceEntry DYNAMIC_DNS: addresses cannot be set", kSE,
     "  hosts: [\"*.example.com\"]\n  addresses: [240.240.0.1]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n"
     "  resolution: DYNAMIC_DNS\n",
     6, 14, "addresses cannot be set for resolution type DYNAMIC_DNS"},
    {"se_dynamic_dns_tcp_port", "validation.go ValidateServiceEntry DYNAMIC_DNS: only HTTP, TLS, GRPC and HTTP2", kSE,
     "  hosts: [\"*.example.com\"]\n  ports: [{number: 5432, name: db, protocol: TCP}]\n  resolution: DYNAMIC_DNS\n",
     6, 46, "only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type DYNAMIC_DNS"},
    {"sidecar_allow_any_dynamic_dns", "validation.go validateSidecarOutboundTrafficPolicy: a MeshConfig mode only",
     "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s}\nspec:\n",
     "  outboundTrafficPolicy: {mode: ALLOW_ANY_DYNAMIC_DNS}\n",
     5, 33, "sidecar: ALLOW_ANY_DYNAMIC_DNS mode is only supported in MeshConfig, not in Sidecar resource"},
    {"pa_port_level_without_selector", "validation.go ValidatePeerAuthentication: emptySelector && PortLevelMtls", kPA,
     "  mtls: {mode: PERMISSIVE}\n  portLevelMtls:\n    8080: {mode: STRICT}\n",
     7, 5, "mesh/namespace peer authentication cannot have port level mTLS"},
    {"pa_port_level_empty_selector", "validation.go ValidatePeerAuthentication: selector without matchLabels is empty", kPA,
     "  selector: {matchLabels: {}}\n  portLevelMtls: {8080: {mode: STRICT}}\n",
     6, 18, "mesh/namespace peer authentication cannot have port level mTLS"},
    {"pa_port_level_no_ports", "validation.go ValidatePeerAuthentication: port level mTLS must have at least one element", kPA,
     "  selector: {matchLabels: {app: bar}}\n  portLevelMtls: {}\n",
     6, 18, "port level mTLS, if defined, must have at least one element"},
    {"dr_subset_not_dns_label", "validation.go ValidateDestinationRule -> validateSubset -> validateSubsetName", kDR,
     "  subsets:\n  - {name: v1.0, labels: {version: v1}}\n",
     7, 12, "subset name \"v1.0\" is invalid: Istio requires a DNS-1123 label"},
    {"dr_duplicate_subset", "validation.go ValidateDestinationRule: duplicate subset names", kDR,
     "  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v1, labels: {version: v2}}\n",
     8, 12, "duplicate subset names: v1"},
    {"dr_port_level_without_port", "validation.go validatePortTrafficPolicies: portTrafficPolicy must have valid port", kDR,
     "  trafficPolicy: {portLevelSettings: [{loadBalancer: {simple: RANDOM}}]}\n",
     6, 39, "portLevelSettings entry must have a port"},
    {"dr_outlier_interval_zero", "validation.go validateOutlierDetection -> agent.ValidateDuration(Interval)", kDR,
     "  trafficPolicy: {outlierDetection: {consecutive5xxErrors: 1, interval: 0s}}\n",
     6, 73, "duration must be at least 1ms"},
    {"dr_base_ejection_time_sub_ms", "validation.go validateOutlierDetection -> agent.ValidateDuration(BaseEjectionTime)", kDR,
     "  trafficPolicy: {outlierDetection: {baseEjectionTime: 500us}}\n",
     6, 56, "duration must be at least 1ms"},
    {"dr_connect_timeout_zero", "validation.go validateConnectionPool -> agent.ValidateDuration(ConnectTimeout)", kDR,
     "  trafficPolicy: {connectionPool: {tcp: {connectTimeout: 0s}}}\n",
     6, 58, "duration must be at least 1ms"},
    {"dr_http_idle_timeout_zero", "validation.go validateConnectionPool -> agent.ValidateDuration(Http.IdleTimeout)", kDR,
     "  trafficPolicy: {connectionPool: {http: {idleTimeout: 0s}}}\n",
     6, 56, "duration must be at least 1ms"},
    {"dr_tcp_idle_timeout_finer_than_ms", "validation.go validateConnectionPool: tcp idleTimeout checked unless 0", kDR,
     "  subsets:\n  - name: v1\n    trafficPolicy: {connectionPool: {tcp: {idleTimeout: 1500us}}}\n",
     8, 57, "duration must be whole milliseconds"},
    {"dr_http_idle_timeout_sub_ms", "validation.go validateConnectionPool: http idleTimeout always agent.ValidateDuration", kDR,
     "  trafficPolicy: {connectionPool: {http: {idleTimeout: 500us}}}\n",
     6, 56, "duration must be at least 1ms"},
    {"dr_tcp_idle_timeout_one_ms_and_a_bit", "validation.go validateConnectionPool: Milliseconds() of 1001us is 1, so checked", kDR,
     "  trafficPolicy: {connectionPool: {tcp: {idleTimeout: 1001us}}}\n",
     6, 55, "duration must be whole milliseconds"},
    {"cors_method_not_upper_case", "validation.go validateCORSPolicy -> validateCORSHTTPMethod: supportedCORSMethods", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar}}]\n    corsPolicy: {allowOrigins: [{exact: a}], allowMethods: [GET, get]}\n",
     8, 66, "\"get\" is not a supported HTTP method"},
    {"cors_max_age_not_whole_seconds", "validation.go validateCORSPolicy: MaxAge.Nanos > 0", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar}}]\n    corsPolicy: {allowOrigins: [{exact: a}], maxAge: 1500ms}\n",
     8, 54, "maxAge must be whole seconds"},
    {"cors_max_age_under_a_second", "validation.go validateCORSPolicy: MaxAge.Nanos > 0", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar}}]\n    corsPolicy: {allowOrigins: [{exact: a}], maxAge: 500ms}\n",
     8, 54, "maxAge must be whole seconds"},
    {"cors_max_age_zero", "validation.go validateCORSPolicy -> agent.ValidateDuration(MaxAge)", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar}}]\n    corsPolicy: {allowOrigins: [{exact: a}], maxAge: 0s}\n",
     8, 54, "duration must be at least 1ms"},
    {"cors_empty_exact_origin", "validation.go validateCORSPolicy -> validateAllowOrigins: match == \"\"", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar}}]\n    corsPolicy: {allowOrigins: [{exact: \"\"}]}\n",
     8, 33, "an empty string is not a valid match for CORS allow origins"},
    {"cors_empty_regex_origin", "validation.go validateAllowOrigins: an empty regex too", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar}}]\n    corsPolicy: {allowOrigins: [{exact: a}, {regex: \"\"}]}\n",
     8, 45, "an empty string is not a valid match for CORS allow origins"},
    {"cors_allow_header_not_a_token", "validation.go validateCORSPolicy -> ValidateCORSHTTPHeaderName: validHeaderNameRegex", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar}}]\n    corsPolicy: {allowOrigins: [{exact: a}], allowHeaders: [x-a, \"bad header\"]}\n",
     8, 66, "header name \"bad header\" is not a valid header name"},
    {"cors_expose_header_empty", "validation.go ValidateCORSHTTPHeaderName: header name cannot be empty", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar}}]\n    corsPolicy: {allowOrigins: [{exact: a}], exposeHeaders: [\"\"]}\n",
     8, 62, "header name cannot be empty"},
    {"header_value_unescaped_percent", "virtualservice.go validateHTTPRoute -> ValidateHTTPHeaderValue: Invalid \"abc%123\"", kVS,
     "  hosts: [bar]\n  http:\n  - headers: {request: {set: {x-a: \"abc%123\"}}}\n    route: [{destination: {host: bar}}]\n",
     7, 36, "Un-terminated variable expression 'abc%123'"},
    {"response_header_value_trailing_percent", "virtualservice.go validateHTTPRoute -> ValidateHTTPHeaderValue (response add)", kVS,
     "  hosts: [bar]\n  http:\n  - headers: {response: {add: {x-a: \"100%\"}}}\n    route: [{destination: {host: bar}}]\n",
     7, 37, "Un-escaped %"},
    {"destination_header_value_after_variable", "validation.go validateHTTPRouteDestinations -> ValidateHTTPHeaderValue: Invalid \"%START_TIME%%\"", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar}, headers: {request: {add: {x-a: \"%START_TIME%%\"}}}}]\n",
     7, 71, "Un-escaped %"},
    {"header_value_control_character", "validation.go ValidateHTTPHeaderValue: httpHeaderValueRegexp", kVS,
     "  hosts: [bar]\n  http:\n  - headers: {request: {set: {x-a: \"a\\x01b\"}}}\n    route: [{destination: {host: bar}}]\n",
     7, 36, "is invalid (a control character)"},
    {"header_match_name_not_a_token", "virtualservice.go validateHTTPRouteMatchRequest -> ValidateHTTPHeaderNameOrJwtClaimRoute", kVS,
     "  hosts: [bar]\n  http:\n  - match: [{headers: {\"bad name\": {exact: a}}}]\n    route: [{destination: {host: bar}}]\n",
     7, 24, "header name \"bad name\" is not a valid header name"},
    {"without_header_name_empty", "virtualservice.go validateHTTPRouteMatchRequest: withoutHeaders names too", kVS,
     "  hosts: [bar]\n  http:\n  - match: [{withoutHeaders: {\"\": {exact: a}}}]\n    route: [{destination: {host: bar}}]\n",
     7, 31, "header name cannot be empty"},
    {"header_match_unknown_pseudo_header", "ValidateHTTPHeaderNameOrJwtClaimRoute: only :method :scheme :authority :path :status", kVS,
     "  hosts: [bar]\n  http:\n  - match: [{headers: {\":protocol\": {exact: a}}}]\n    route: [{destination: {host: bar}}]\n",
     7, 24, "header name \":protocol\" is not a valid header name"},
    {"header_match_empty_prefix", "virtualservice.go validateHTTPRouteMatchRequest -> validateStringMatch(headers)", kVS,
     "  hosts: [bar]\n  http:\n  - match: [{headers: {x-a: {prefix: \"\"}}}]\n    route: [{destination: {host: bar}}]\n",
     7, 38, "prefix string match should not be empty"},
    {"without_header_empty_regex", "validateStringMatch(withoutHeaders) -> validateStringMatchRegexp", kVS,
     "  hosts: [bar]\n  http:\n  - match: [{withoutHeaders: {x-a: {regex: \"\"}}}]\n    route: [{destination: {host: bar}}]\n",
     7, 44, "regex string match should not be empty"},
    {"uri_match_empty_regex", "virtualservice.go validateHTTPRouteMatchRequest -> validateStringMatchRegexp(uri)", kVS,
     "  hosts: [bar]\n  http:\n  - match: [{uri: {regex: \"\"}}]\n    route: [{destination: {host: bar}}]\n",
     7, 27, "regex string match should not be empty"},
    {"method_match_empty_prefix", "validateStringMatch(method): Envoy's StringMatcher prefix has min_len 1", kVS,
     "  hosts: [bar]\n  http:\n  - match: [{method: {prefix: \"\"}}]\n    route: [{destination: {host: bar}}]\n",
     7, 31, "prefix string match should not be empty"},
    {"query_param_empty_prefix", "validateStringMatch(queryParams)", kVS,
     "  hosts: [bar]\n  http:\n  - match: [{queryParams: {q: {prefix: \"\"}}}]\n    route: [{destination: {host: bar}}]\n",
     7, 40, "prefix string match should not be empty"},
    {"grpc_status_unknown_name", "validation.go validateHTTPFaultInjectionAbort -> validateGRPCStatus: grpc.SupportedGRPCStatus", kVS,
     "  hosts: [bar]\n  http:\n  - fault: {abort: {grpcStatus: NOPE, percentage: {value: 10}}}\n    route: [{destination: {host: bar}}]\n",
     7, 33, "gRPC status \"NOPE\" is not supported"},
    {"grpc_status_lower_case", "validateGRPCStatus: the map's keys are upper case", kVS,
     "  hosts: [bar]\n  http:\n  - fault: {abort: {grpcStatus: unavailable}}\n    route: [{destination: {host: bar}}]\n",
     7, 33, "did you mean \"UNAVAILABLE\"?"},
    {"dr_empty_traffic_policy", "validation.go validateTrafficPolicy: traffic policy must have at least one field", kDR,
     "  trafficPolicy: {}\n",
     6, 18, "traffic policy must have at least one field"},
    {"dr_subset_empty_traffic_policy", "validation.go validateSubset -> validateTrafficPolicy", kDR,
     "  subsets:\n  - {name: v1, labels: {version: v1}, trafficPolicy: {}}\n",
     7, 54, "traffic policy must have at least one field"},
    {"dr_empty_connection_pool", "validation.go validateConnectionPool: Http == nil && Tcp == nil", kDR,
     "  trafficPolicy: {connectionPool: {}}\n",
     6, 35, "connection pool must have at least one field"},
    {"dr_port_level_port_only", "validation.go validatePortTrafficPolicies: port traffic policy must have at least one field", kDR,
     "  trafficPolicy: {portLevelSettings: [{port: {number: 80}}]}\n",
     6, 39, "port traffic policy must have at least one field"},
    {"dr_local_origin_without_split", "validation.go validateOutlierDetection: ConsecutiveLocalOriginFailures without SplitExternalLocalOriginErrors", kDR,
     "  trafficPolicy: {outlierDetection: {consecutiveLocalOriginFailures: 3}}\n",
     6, 70, "outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false"},
    {"dr_local_origin_split_false", "validation.go validateOutlierDetection", kDR,
     "  trafficPolicy:\n    outlierDetection: {splitExternalLocalOriginErrors: false, consecutiveLocalOriginFailures: 1}\n",
     7, 95, "split external local origin errors is set to false"},
    {"dr_cookie_without_name", "validation.go validateLoadBalancer: name required for HttpCookie", kDR,
     "  trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {ttl: 10s}}}}\n",
     6, 63, "httpCookie.name is required"},
    {"dr_cookie_attribute_twice", "validation.go validateLoadBalancer: duplicate cookie attribute name", kDR,
     "  trafficPolicy:\n    loadBalancer:\n      consistentHash:\n        httpCookie: {name: s, attributes: [{name: SameSite, value: Lax}, {name: SameSite, value: Strict}]}\n",
     9, 81, "duplicate cookie attribute name: SameSite"},
    {"dr_cookie_attribute_without_name", "validation.go validateLoadBalancer: cookie attribute name cannot be empty", kDR,
     "  trafficPolicy:\n    loadBalancer:\n      consistentHash:\n        httpCookie: {name: s, attributes: [{value: Lax}]}\n",
     9, 44, "cookie attribute name cannot be empty"},
    {"dr_maglev_without_table_size", "validation.go validateLoadBalancer: tableSize must be set for maglev", kDR,
     "  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x, maglev: {}}}}\n",
     6, 78, "tableSize must be set for maglev"},
    {"dr_maglev_table_size_not_prime", "validation.go validateLoadBalancer: isPrime(ml.TableSize)", kDR,
     "  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x, maglev: {tableSize: 65536}}}}\n",
     6, 90, "tableSize must be a prime number for maglev"},
    {"dr_maglev_table_size_too_large", "validation.go validateLoadBalancer: tableSize >= 5000011", kDR,
     "  trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 5000011}}}}\n",
     6, 90, "tableSize must be less than 5000011 for maglev"},
    {"redirect_code_not_3xx", "validation.go validateHTTPRedirect: RedirectCode < 300 || > 399", kVS,
     "  hosts: [bar]\n  http:\n  - redirect: {uri: /x, redirectCode: 250}\n",
     7, 39, "250 is not a valid redirect code, must be 3xx"},
};

std::vector<Diagnostic> errors_of(const LoadResult& r) {
  std::vector<Diagnostic> out;
  for (const auto& d : r.diagnostics)
    if (d.severity == Severity::kError) out.push_back(d);
  return out;
}

class RefusedByIstioWebhook : public ::testing::TestWithParam<RefusedCase> {};

TEST_P(RefusedByIstioWebhook, IsOneErrorAtTheValue) {
  const RefusedCase& c = GetParam();
  SCOPED_TRACE(c.istio_source);
  auto errors = errors_of(load({{"test.yaml", std::string(c.head) + c.tail}}));
  ASSERT_EQ(errors.size(), 1u) << (errors.size() > 1 ? format_diagnostic(errors[1]) : "no error");
  EXPECT_EQ(errors[0].code, "MSH0001") << format_diagnostic(errors[0]);
  EXPECT_EQ(errors[0].pos.line, c.line) << format_diagnostic(errors[0]);
  EXPECT_EQ(errors[0].pos.column, c.column) << format_diagnostic(errors[0]);
  EXPECT_NE(errors[0].message.find(c.message_part), std::string::npos) << format_diagnostic(errors[0]);
}

INSTANTIATE_TEST_SUITE_P(Loader, RefusedByIstioWebhook, ::testing::ValuesIn(kRefused),
                         [](const auto& info) { return std::string(info.param.name); });

struct AcceptedCase {
  const char* name;
  const char* istio_source;
  const char* head;
  const char* tail;
};

// Next to each refusal, what the same Istio check lets through.
const AcceptedCase kAccepted[] = {
    {"gateway_wildcard_host", "validation.go ValidateVirtualService: * is refused only when bound to the mesh", kVS,
     "  hosts: [\"*\"]\n  gateways: [my-gateway]\n  http:\n  - route: [{destination: {host: bar}}]\n"},
    {"short_and_long_name_of_one_host", "validation.go ValidateVirtualService: host.Name.Matches compares the text",
     kVS, "  hosts: [bar, bar.default.svc.cluster.local]\n  http:\n  - route: [{destination: {host: bar}}]\n"},
    {"jwt_claim_route_at_gateway", "validation.go ValidateVirtualService: claims are checked only off gateways", kVS,
     "  hosts: [bar.example.com]\n  gateways: [my-gateway]\n  http:\n  - match:\n"
     "    - headers: {\"@request.auth.claims.group\": {exact: admin}}\n    route: [{destination: {host: bar}}]\n"},
    {"redirect_scheme_only", "validation.go validateHTTPRedirect: URI, authority, scheme, or port", kVS,
     "  hosts: [bar]\n  http:\n  - redirect: {scheme: https}\n"},
    {"redirect_port_only", "validation.go validateHTTPRedirect: RedirectPort", kVS,
     "  hosts: [bar]\n  http:\n  - redirect: {port: 8443}\n"},
    {"redirect_derive_port_only", "validation.go validateHTTPRedirect: RedirectPort is port or derivePort", kVS,
     "  hosts: [bar]\n  http:\n  - redirect: {derivePort: FROM_REQUEST_PORT}\n"},
    {"redirect_prefix_rewrite_prefix_match", "validation.go validateHTTPRedirect", kVS,
     "  hosts: [bar]\n  http:\n  - match: [{uri: {prefix: /a}}]\n    redirect: {prefixRewrite: /b}\n"},
    {"rewrite_authority_and_other_headers", "virtualservice.go validateAuthorityRewrite", kVS,
     "  hosts: [bar]\n  http:\n  - rewrite: {authority: a.com}\n    headers: {request: {set: {x-a: \"1\"}, remove: [x-b]}}\n"
     "    route: [{destination: {host: bar}}]\n"},
    {"request_set_host", "ValidateHTTPHeaderWithAuthorityOperationName: the authority is checked later", kVS,
     "  hosts: [bar]\n  http:\n  - headers: {request: {set: {host: b.com}}}\n    route: [{destination: {host: bar}}]\n"},
    {"durations_of_whole_milliseconds", "agent.ValidateDuration", kVS,
     "  hosts: [bar]\n  http:\n  - timeout: 1ms\n    retries: {attempts: 2, perTryTimeout: 1.5s, backoff: 25ms}\n"
     "    fault: {delay: {fixedDelay: 2s}}\n    route: [{destination: {host: bar, subset: V1-0}}]\n"},
    {"retries_disabled_alone", "validation.go validateHTTPRetry: attempts 0 with no policy", kVS,
     "  hosts: [bar]\n  http:\n  - retries: {attempts: 0}\n    route: [{destination: {host: bar}}]\n"},
    {"fault_with_route", "virtualservice.go validateHTTPRouteConflict", kVS,
     "  hosts: [bar]\n  http:\n  - fault: {abort: {httpStatus: 503}}\n    rewrite: {uri: /v2}\n"
     "    route: [{destination: {host: bar}}]\n"},
    {"se_protocols_in_any_case", "protocol.Parse lower-cases; port names may be upper case", kSE,
     "  hosts: [api.example.com]\n  ports:\n  - {number: 80, name: HTTP-Web, protocol: http}\n"
     "  - {number: 81, name: web, protocol: grpc-web}\n  - {number: 82, name: db, protocol: Mongo}\n  resolution: DNS\n"},
    {"se_wildcard_host_resolution_none", "validation.go ValidateServiceEntry: FQDN only for DNS without endpoints",
     kSE, "  hosts: [\"*.example.com\"]\n  ports: [{number: 443, name: tls, protocol: TLS}]\n  resolution: NONE\n"},
    {"se_dns_endpoints_by_name", "validation.go ValidateServiceEntry DNS: endpoints may be FQDNs", kSE,
     "  hosts: [\"*.example.com\"]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DNS\n"
     "  endpoints: [{address: lb.example.com}, {address: 10.0.0.1}]\n"},
    {"se_multiple_hosts_http_tls_dns", "validation.go ValidateServiceEntry: HTTP and TLS tell hosts apart", kSE,
     "  hosts: [a.example.com, b.example.com]\n  ports:\n  - {number: 80, name: http, protocol: HTTP}\n"
     "  - {number: 443, name: https, protocol: HTTPS}\n  resolution: DNS\n"},
    {"se_multiple_hosts_tcp_none", "validation.go ValidateServiceEntry: NONE ignores the hosts", kSE,
     "  hosts: [a.example.com, b.example.com]\n  addresses: [10.0.0.0/24, \"2001:db8::/32\"]\n"
     "  ports: [{number: 5432, name: tcp, protocol: TCP}]\n  resolution: NONE\n"},
    {"se_static_ip_endpoints", "validateWorkloadEntry: IP addresses", kSE,
     "  hosts: [api.example.com]\n  addresses: [10.0.0.0/24]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n"
     "  resolution: STATIC\n  endpoints: [{address: 10.0.0.1}, {address: \"2001:db8::1\"}]\n"},
    {"se_endpoints_ipv6_zone_declared_port_round_robin", "netip.ParseAddr takes an IPv6 zone; declared port names; DNS_ROUND_ROBIN with 1 endpoint",
     kSE, "  hosts: [api.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: STATIC\n"
     "  endpoints: [{address: \"fe80::1%eth0\", ports: {http: 8080}}]\n---\n"
     "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: rr}\nspec:\n"
     "  hosts: [rr.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DNS_ROUND_ROBIN\n"
     "  endpoints: [{address: lb.example.com, ports: {http: 8080}}]\n"},
    {"se_dynamic_dns_wildcard", "validation.go ValidateServiceEntry DYNAMIC_DNS (Istio 1.31): wildcard hosts, HTTP/TLS ports",
     kSE, "  hosts: [\"*.example.com\", \"*.example.org\"]\n"
     "  ports: [{number: 80, name: http, protocol: HTTP}, {number: 443, name: tls, protocol: TLS}]\n"
     "  resolution: DYNAMIC_DNS\n  location: MESH_EXTERNAL\n"},
    {"pa_port_level_with_selector", "validation.go ValidatePeerAuthentication", kPA,
     "  selector: {matchLabels: {app: bar}}\n  mtls: {mode: STRICT}\n  portLevelMtls: {8080: {mode: PERMISSIVE}}\n"},
    // validatePortTrafficPolicies does not compare ports, and the CRD has no rule for it.
    {"dr_same_port_twice", "validation.go validatePortTrafficPolicies", kDR,
     "  trafficPolicy:\n    portLevelSettings:\n    - {port: {number: 80}, loadBalancer: {simple: RANDOM}}\n"
     "    - {port: {number: 80}, loadBalancer: {simple: LEAST_REQUEST}}\n"},
    {"dr_tcp_idle_timeout_off", "validation.go validateConnectionPool: tcp idleTimeout 0s turns it off", kDR,
     "  trafficPolicy: {connectionPool: {tcp: {idleTimeout: 0s, connectTimeout: 10ms}}}\n"
     "  subsets: [{name: V1, labels: {version: v1}}, {name: v-2, labels: {version: v2}}]\n"},
    {"dr_tcp_idle_timeout_under_a_millisecond",
     "validation.go validateConnectionPool: tcp.IdleTimeout.AsDuration().Milliseconds() truncates 500us and 999us to 0: not checked",
     kDR, "  trafficPolicy: {connectionPool: {tcp: {idleTimeout: 500us}}}\n"
     "  subsets: [{name: v1, trafficPolicy: {connectionPool: {tcp: {idleTimeout: 999us}}}}]\n"},
    {"dr_tcp_idle_timeout_whole_ms", "validation.go validateConnectionPool -> agent.ValidateDuration", kDR,
     "  trafficPolicy: {connectionPool: {tcp: {idleTimeout: 1h}, http: {idleTimeout: 1ms}}}\n"},
    {"cors_policy_istio_accepts", "validation.go validateCORSPolicy: methods, \"*\", token header names, whole seconds", kVS,
     "  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar}}]\n    corsPolicy:\n      allowOrigins: [{exact: \"https://a.com\"}, {prefix: \"https://\"}, {regex: \"https://.*[.]example[.]com\"}]\n      allowMethods: [GET, POST, PATCH, \"*\"]\n      allowHeaders: [\"*\", X-Custom_1, \"x~y\"]\n      exposeHeaders: [x-a]\n      maxAge: 24h\n"},
    {"header_values_envoy_takes", "validation.go ValidateHTTPHeaderValue: Valid \"foo\", \"%HOSTNAME%\", \"100%%\", \"prefix %HOSTNAME% suffix\"", kVS,
     "  hosts: [bar]\n  http:\n  - headers:\n      request: {set: {x-a: foo, x-b: \"%HOSTNAME%\", x-c: \"100%%\"}, add: {x-d: \"prefix %HOSTNAME% suffix\"}}\n      response: {set: {x-e: \"%REQ(x-a)%\", x-f: \"%PER_REQUEST_STATE([\\\"a\\\", \\\"b\\\"])%\", x-g: \"a\\tb\"}}\n    route: [{destination: {host: bar}, headers: {request: {set: {x-h: \"50%% off\"}}}}]\n"},
    {"header_match_names_istio_accepts", "ValidateHTTPHeaderNameOrJwtClaimRoute: tokens and pseudo-headers; operation names are not token-checked", kVS,
     "  hosts: [bar]\n  http:\n  - match: [{headers: {\":authority\": {exact: a}, X-Upper_Case: {prefix: a}, \"x.y~z\": {}}, withoutHeaders: {\":path\": {exact: /}}}]\n    headers: {request: {set: {\"x a\": b}}}\n    route: [{destination: {host: bar}}]\n"},
    {"empty_uri_prefix_and_exact_matches", "virtualservice.go validateHTTPRouteMatchRequest: uri allows an empty prefix; an empty exact is never checked", kVS,
     "  hosts: [bar]\n  http:\n  - match: [{uri: {prefix: \"\"}, headers: {x-a: {exact: \"\"}}, queryParams: {q: {exact: \"\"}}}]\n    route: [{destination: {host: bar}}]\n"},
    {"grpc_status_names", "validateGRPCStatus: SupportedGRPCStatus", kVS,
     "  hosts: [bar]\n  http:\n  - fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 10}}}\n    route: [{destination: {host: bar}}]\n  - fault: {abort: {grpcStatus: DATA_LOSS}}\n    route: [{destination: {host: bar}}]\n"},
    {"dr_one_field_policies", "validation.go validateTrafficPolicy, validateConnectionPool: one field is enough", kDR,
     "  trafficPolicy: {connectionPool: {tcp: {}}}\n  subsets:\n  - {name: v1, trafficPolicy: {portLevelSettings: [{port: {number: 80}, connectionPool: {http: {}}}]}}\n  - {name: v2, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}\n"},
    {"dr_local_origin_split", "validation.go validateOutlierDetection: with the split, or 0 failures", kDR,
     "  trafficPolicy: {outlierDetection: {splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 3}}\n  subsets: [{name: v1, trafficPolicy: {outlierDetection: {consecutiveLocalOriginFailures: 0}}}]\n"},
    {"dr_cookie_named", "validation.go validateLoadBalancer", kDR,
     "  trafficPolicy:\n    loadBalancer:\n      consistentHash:\n        httpCookie: {name: s, ttl: 0s, attributes: [{name: SameSite, value: Lax}, {name: Secure}]}\n"},
    {"dr_maglev_prime_table_size", "validation.go validateLoadBalancer, isPrime (Envoy's: 3 is prime)", kDR,
     "  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x, maglev: {tableSize: 65537}}}}\n  subsets: [{name: v1, trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 3}}}}}]\n"},
    {"redirect_code_zero_is_unset", "validation.go validateHTTPRedirect: RedirectCode != 0 is checked; route.go ApplyRedirect: case 0, 301", kVS,
     "  hosts: [bar]\n  http:\n  - redirect: {uri: /x, redirectCode: 0}\n"},
};

TEST(Loader, WhatIstiosWebhookAcceptsStillLoads) {
  for (const AcceptedCase& c : kAccepted) {
    SCOPED_TRACE(std::string(c.name) + ": " + c.istio_source);
    for (const auto& d : errors_of(load({{"test.yaml", std::string(c.head) + c.tail}})))
      ADD_FAILURE() << format_diagnostic(d);
  }
}

}  // namespace
}  // namespace meshsim::config
