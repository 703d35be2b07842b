// networking.istio.io Gateway, after istio/api networking/v1alpha3/gateway.proto
// and the checks of Istio's validation (pkg/config/validation/validation.go
// validateServer, validateServerPort): at least one server, each with a
// port (number, name, protocol Istio knows) and at least one host; TLS
// settings only on HTTPS/TLS servers, except httpsRedirect on HTTP ones.
#include "config/istio_names.h"
#include "config/parse.h"
#include "proxy_core/gateway_routes.h"

namespace meshsim::config {
namespace {

// protocol.Instance.IsTLS (pkg/config/protocol/instance.go), on the
// upper-cased name parse_gateway stores.
bool is_tls(std::string_view protocol) { return protocol == "HTTPS" || protocol == "TLS"; }

// ValidateNamespaceSlashWildcardHostname: "[ns/]host", ns "." "*" or a name;
// the host may start with "*" (a wildcard) but hold no other "*".
void check_host(YamlReader& r, const yaml::Node& node, const std::string& path, const std::string& host) {
  std::string_view h = host;
  if (auto slash = h.find('/'); slash != std::string_view::npos) {
    std::string_view ns = h.substr(0, slash);
    if (ns.empty()) r.error(node, path, "namespace before \"/\" is empty in \"" + host + "\"");
    h = h.substr(slash + 1);
  }
  if (h.empty()) {
    r.error(node, path, "host is empty in \"" + host + "\"");
    return;
  }
  if (h.find('*', 1) != std::string_view::npos || (h.front() == '*' && h.size() > 1 && h[1] != '.'))
    r.error(node, path, "invalid wildcard host \"" + host + "\": only a leading \"*\" or \"*.\" is allowed");
}

}  // namespace

void parse_gateway(YamlReader& r, const yaml::Node& spec, proxy::Gateway& out) {
  if (!r.fields(spec, "spec", {"selector", "servers"})) return;
  out.selector = r.str_map(spec["selector"], "spec.selector");
  if (!spec["servers"] || spec["servers"].IsNull() || (spec["servers"].IsSequence() && spec["servers"].size() == 0))
    r.error(spec, "spec", "gateway must have at least one server");
  r.list(spec["servers"], "spec.servers", [&](const yaml::Node& n, const std::string& p) {
    if (!r.fields(n, p, {"port", "bind", "hosts", "tls", "defaultEndpoint", "name"})) return;
    proxy::GatewayServer server;
    server.path = p;
    server.name = r.str(n["name"], child(p, "name")).value_or("");
    const yaml::Node port = n["port"];
    const std::string pp = child(p, "port");
    if (!port || port.IsNull()) {
      r.error(n, p, "port is required");
    } else if (r.fields(port, pp, {"number", "protocol", "name", "targetPort"})) {
      server.port.number = r.port(port["number"], child(pp, "number")).value_or(0);
      if (!port["number"]) r.error(port, pp, "port number is required");
      server.port.name = r.str(port["name"], child(pp, "name")).value_or("");
      if (server.port.name.empty()) r.error(port, pp, "port name must be set");
      // validateServerPort: protocol.Parse(name) == Unsupported is refused,
      // "" included (no sniffing on a gateway server). The name is stored
      // upper-cased, one spelling for whoever reads it (is_tls below,
      // proxy::is_http_protocol, the probe planner).
      std::string protocol = r.str(port["protocol"], child(pp, "protocol")).value_or("");
      if (protocol.empty() || !is_known_protocol(protocol))
        r.error(port["protocol"] ? port["protocol"] : port, child(pp, "protocol"),
                "invalid protocol \"" + protocol + "\", supported protocols are " + known_protocols());
      for (char& c : protocol) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      server.port.protocol = protocol;
      if (port["targetPort"]) r.error(port["targetPort"], child(pp, "targetPort"), "targetPort has no impact on Gateways");
    }
    server.hosts = r.str_list(n["hosts"], child(p, "hosts"));
    if (server.hosts.empty()) r.error(n, p, "server config must contain at least one host");
    for (size_t i = 0; i < server.hosts.size(); ++i)
      check_host(r, n["hosts"][i], child(p, "hosts") + "[" + std::to_string(i) + "]", server.hosts[i]);
    if (const yaml::Node tls = n["tls"]; tls && !tls.IsNull()) {
      const std::string tp = child(p, "tls");
      if (r.fields(tls, tp, {"httpsRedirect", "mode", "serverCertificate", "privateKey", "caCertificates", "caCrl",
                             "credentialName", "credentialNames", "tlsCertificates", "subjectAltNames",
                             "verifyCertificateSpki", "verifyCertificateHash", "minProtocolVersion",
                             "maxProtocolVersion", "cipherSuites"})) {
        proxy::ServerTLSSettings settings;
        settings.https_redirect = r.boolean(tls["httpsRedirect"], child(tp, "httpsRedirect")).value_or(false);
        settings.mode = r.enumeration(tls["mode"], child(tp, "mode"),
                                      {"PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL",
                                       "OPTIONAL_MUTUAL"})
                            .value_or("");
        bool certificates = tls["serverCertificate"] || tls["privateKey"] || tls["caCertificates"];
        if (!server.port.protocol.empty() && !is_tls(server.port.protocol)) {
          if (!proxy::is_http_protocol(server.port.protocol))
            r.error(tls, tp, "server cannot have TLS settings for non HTTPS/TLS ports");
          else if (certificates)
            r.error(tls, tp, "server cannot have TLS settings for plain text HTTP ports");
        }
        server.tls = settings;
      }
    } else if (is_tls(server.port.protocol)) {
      r.error(n, p, "server must have TLS settings for HTTPS/TLS protocols");
    }
    out.servers.push_back(std::move(server));
  });
}

}  // namespace meshsim::config
