// Names and addresses as Istio's admission webhook reads them
// (pkg/config/validation, pkg/config/labels, pkg/config/host,
// pkg/config/protocol): the parsers refuse what the webhook refuses, at the
// value's position, so a rehearsal never runs a configuration a cluster
// would not take.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace meshsim::config {

// labels.IsDNS1123Label: at most 63 letters, digits and '-', starting and
// ending with a letter or digit. Istio allows upper case here.
bool is_dns1123_label(std::string_view name);
// What is_dns1123_label asks for, in words, for messages.
inline constexpr const char* kDns1123LabelRule =
    "letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";

// agent.ValidateFQDN: dot-separated DNS-1123 labels (a trailing dot is
// allowed), at most 255 characters, the last label not all digits. A
// wildcard ("*.example.com") is not an FQDN.
bool is_fqdn(std::string_view name);

// 4 or 6 for an IPv4 or IPv6 address, 0 otherwise. inet_pton refuses
// leading zeros in IPv4 octets, as Go's netip.ParseAddr does.
int ip_family(const std::string& text);

// An IP address as Go's netip.ParseAddr takes it (Istio's
// netutil.IsValidIPAddress): a zone ("%eth0") only on an IPv6 address.
bool is_ip_address(const std::string& text);

// An address (an IPv6 one may carry a %zone), or a CIDR range when the
// value has a '/': security.go ValidateIPs and agent.ValidateIPSubnet.
// nullopt when accepted, else why not.
std::optional<std::string> ip_or_cidr(const std::string& value);

// protocol.Parse(name) != Unsupported: the port protocols Istio knows, in
// any letter case. "" (protocol sniffing) is accepted by the callers.
bool is_known_protocol(std::string_view name);
// The same list for messages: "HTTP, HTTPS, HTTP2, ...".
std::string known_protocols();
// protocol.Parse(name).IsHTTP() || IsTLS(): a port on which a proxy can tell
// several hosts apart (by authority or SNI).
bool protocol_tells_hosts_apart(std::string_view name);
// The protocols a DYNAMIC_DNS ServiceEntry may serve: protocol.Parse(name) is
// HTTP, TLS, GRPC or HTTP2 (validation.go; "" parses as Unsupported).
bool dynamic_dns_protocol(std::string_view name);

// jwt.ToRoutingClaim(name).Match: a header match key such as
// "@request.auth.claims.group" or "@request.auth.claims[group]".
bool is_jwt_claim_route(std::string_view header);

// host.Name.Matches: equal, or one a wildcard ("*.foo.com") covering the other.
bool hosts_overlap(std::string_view a, std::string_view b);

}  // namespace meshsim::config
