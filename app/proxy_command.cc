// `meshsim proxy --listen ADDR --upstream ADDR [-f RULES...] [--service NAME]`:
// the proxy core as a standalone sidecar in front of a real HTTP server.
// Every request runs through the same outbound path as in the simulated
// mesh (VirtualService routing, faults, retries, timeouts, header rules,
// telemetry) towards the service NAME, whose every endpoint is the upstream
// address, over a keep-alive connection pool; then the service's
// AuthorizationPolicies, as its own sidecar would check them. The admin API (127.0.0.1 only
// unless --admin-address says otherwise) serves metrics, traces and config.
//
// With `--endpoint WORKLOAD=HOST:PORT` (repeatable) the proxy fronts several
// real servers, one per Deployment of the rules, instead of one --upstream:
// each request goes to the service its Host names (unless --service is
// given), is routed over that service's endpoints, and reaches the chosen
// pod through the pod's own inbound sidecar (app/pod_inbound.h), which
// reports the destination side of Istio's metrics. `--pod NAME` makes the
// proxy that pod's sidecar (its identity, mTLS, source labels); without it
// the client has no sidecar (plain text, no source-side report). This is
// what `meshsim export local` runs (sim/export_local.h).
#include <algorithm>
#include <csignal>
#include <memory>
#include <random>

#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/admin_api.h"
#include "app/admin_options.h"
#include "app/admin_routes.h"
#include "app/commands.h"
#include "app/listen_address.h"
#include "app/listener_options.h"
#include "app/live_config.h"
#include "app/pod_inbound.h"
#include "config/loader.h"
#include "proxy_core/hosts.h"
#include "proxy_core/asio/asio_adapter.h"
#include "reports/mesh_telemetry.h"
#include "sim/random.h"

namespace meshsim::app {

namespace net = boost::asio;
using net::ip::tcp;

namespace {

// The upstream as a mesh service, unless the rules already define it.
void add_upstream_service(proxy::Resources& resources, const std::string& name, bool http2) {
  for (const auto& s : resources.services)
    if (s.header.meta.name == name && s.header.meta.ns == "default") return;
  proxy::Deployment deployment;
  deployment.header.api_version = "apps/v1";
  deployment.header.kind = "Deployment";
  deployment.header.meta.name = name;
  deployment.header.meta.ns = "default";
  deployment.selector = {{"app", name}};
  deployment.pod_labels = {{"app", name}};
  deployment.ports = {{"http", 80}};
  deployment.header.fields.set("", {"<--upstream>", 0, 0});
  proxy::Service service;
  service.header.api_version = "v1";
  service.header.kind = "Service";
  service.header.meta = deployment.header.meta;
  service.header.fields = deployment.header.fields;
  service.selector = {{"app", name}};
  // Named as Istio reads it (conversion.go): an h2c upstream is an HTTP/2
  // hop for the sidecar too, so a DestinationRule's HTTP/2 pool settings apply.
  service.ports = {{http2 ? "http2" : "http", 80, uint32_t{80}, "TCP", ""}};
  resources.deployments.push_back(deployment);
  resources.services.push_back(service);
}

// Every port of every endpoint of `service` is the upstream's address.
void map_upstream(proxy::asio::AsioTransport& transport, const proxy::RouteTable& table, const std::string& service,
                  tcp::endpoint upstream) {
  const proxy::ServiceInfo* info = table.service(service + ".default.svc.cluster.local");
  if (!info) return;
  for (size_t index : info->endpoints) {
    const proxy::Endpoint& e = table.endpoints()[index];
    for (const auto& p : e.ports) transport.map(e.ip, p.container_port, upstream);
    for (const auto& p : info->spec->ports) {
      transport.map(e.ip, p.port, upstream);
      if (const auto* number = std::get_if<uint32_t>(&p.target_port); number && *number) transport.map(e.ip, *number, upstream);
    }
  }
}

// The upstream's own sidecar, inbound side: where a mesh would check the
// AuthorizationPolicies of the workload, after the client side's rules
// (faults, routes) and before the server. Requests arrive over plaintext
// here, so principal-based rules see no identity, as Istio's PERMISSIVE
// mode does for a client without a sidecar.
class InboundPolicyTransport final : public proxy::Transport {
 public:
  InboundPolicyTransport(proxy::asio::AsioTransport& next, const proxy::SnapshotHolder& snapshot, bool http2_upstream)
      : next_(next), snapshot_(snapshot), http2_upstream_(http2_upstream) {}

  void send(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from, std::string request_bytes,
            std::function<void(proxy::TransportResult&&)> done) override {
    // The denial travels decoded, as the pool's responses do: no bytes to write and parse again.
    if (auto denied = check(to, port, from, request_bytes)) return done({.connected = true, .decoded = std::move(*denied)});
    next_.send(to, port, from, std::move(request_bytes), std::move(done));
  }
  void send_mirror(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from, std::string request_bytes) override {
    if (!check(to, port, from, request_bytes)) next_.send_mirror(to, port, from, std::move(request_bytes));
  }
  // With no policy on the upstream, an h2c upstream gets the sidecar's
  // decoded request as a stream straight away: encoding it as HTTP/1.1 for
  // the transport to parse again was the largest avoidable cost per request
  // (perf, bench/README.md). `reset` is not carried: the upstream is a real server.
  void send_message(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from, const proxy::HttpRequest& request,
                    std::function<void(proxy::TransportResult&&)> done,
                    const std::shared_ptr<proxy::StreamReset>& /*reset*/) override {
    const proxy::RouteTable& table = snapshot_.current();
    if (http2_upstream_ && table.authorization_policies_for(to).empty() && table.jwt_providers_for(to).empty())
      return next_.send_http2(to, port, request, std::move(done));
    send(to, port, from, proxy::serialize(request), std::move(done));
  }

 private:
  // The upstream's inbound filters: jwt_authn (RequestAuthentication), then
  // RBAC. A verified request goes on re-encoded: without its token (unless
  // forwarded) and with any claim headers.
  std::optional<proxy::HttpResponse> check(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from,
                                           std::string& request_bytes) const {
    const proxy::RouteTable& table = snapshot_.current();
    const auto& providers = table.jwt_providers_for(to);
    if (table.authorization_policies_for(to).empty() && providers.empty()) return std::nullopt;  // no second parse
    proxy::HttpRequest request;
    if (!proxy::parse_request(request_bytes, request)) return std::nullopt;
    std::optional<proxy::RequestAuth> auth;
    if (!providers.empty()) {
      // A real client and server: token lifetimes are read against the wall clock.
      int64_t now_s =
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      proxy::JwtAuthnResult authn = proxy::authenticate_jwt(providers, request, now_s);
      if (authn.status != proxy::JwtStatus::kOk) return proxy::jwt_failure_reply(authn.status, request);
      auth = std::move(authn.auth);
      request_bytes = proxy::serialize(request);
    }
    proxy::PeerInfo plaintext;  // the real client had no sidecar: no mTLS identity
    plaintext.ns = from.ns;
    plaintext.ip = from.ip;
    return proxy::inbound_rbac(table, to, plaintext, port, request, auth ? &*auth : nullptr);
  }

  proxy::asio::AsioTransport& next_;
  const proxy::SnapshotHolder& snapshot_;
  bool http2_upstream_;
};

}  // namespace

int proxy_command(int argc, char** argv) {
  cxxopts::Options options("meshsim proxy", "The proxy core as a standalone sidecar in front of a real HTTP server.");
  options.add_options()
      ("listen", "where clients connect: HOST:PORT", cxxopts::value<std::string>()->default_value("127.0.0.1:15001"))
      ("upstream", "the real server: HOST:PORT", cxxopts::value<std::string>())
      ("endpoint", "WORKLOAD=HOST:PORT: the endpoints of Deployment WORKLOAD (in the rules) are this server, reached through "
       "their own inbound sidecars; repeatable, instead of --upstream; POST /endpoints adds more",
       cxxopts::value<std::vector<std::string>>())
      ("pod", "with --endpoint: the pod (or Deployment) of the rules whose sidecar this is; without it the client has no sidecar",
       cxxopts::value<std::string>())
      ("f,file", "mesh rules (VirtualService, DestinationRule, ...) for the service", cxxopts::value<std::vector<std::string>>())
      ("service", "the mesh service the upstream is (rules name it in hosts)", cxxopts::value<std::string>()->default_value("upstream"))
      ("upstream-protocol",
       "what to speak to the upstream: http1, or http2 (h2c, prior knowledge), as Istio has Envoy speak HTTP/2 to a "
       "port named http2-*/grpc-* or with appProtocol http2, grpc or kubernetes.io/h2c (pilot cluster_builder.go "
       "setH2Options) whatever the client spoke. Clients may use HTTP/1.1 or h2c on --listen either way.",
       cxxopts::value<std::string>()->default_value("http1"))
      ("admin-port", "admin API port (0: any free port)", cxxopts::value<uint16_t>()->default_value("15000"))
      ("admin-address", "admin API address", cxxopts::value<std::string>()->default_value("127.0.0.1"))
      ("trace-sampling", "percent of requests traced (Istio's default is 1)", cxxopts::value<double>()->default_value("1"))
      ("h,help", "show this help");
  add_listener_options(options);
  add_admin_token_option(options);
  auto args = options.parse(argc, argv);
  if (args.count("help")) {
    fmt::print("{}", options.help());
    return kExitOk;
  }
  // Without --upstream the proxy fronts the rules' own workloads (--endpoint,
  // or POST /endpoints once their servers are up).
  const bool by_endpoint = !args.count("upstream");
  if (!by_endpoint && (args.count("endpoint") || args.count("pod"))) {
    fmt::print(stderr, "meshsim proxy: --endpoint and --pod replace --upstream; give one or the other\n{}", options.help());
    return kExitBadInput;
  }
  std::string error;
  std::map<std::string, tcp::endpoint> endpoints;
  if (args.count("endpoint") && !parse_endpoint_entries(args["endpoint"].as<std::vector<std::string>>(), endpoints, &error)) {
    fmt::print(stderr, "meshsim proxy: --{}\n", error);
    return kExitBadInput;
  }
  auto listen = parse_address(args["listen"].as<std::string>(), &error);
  auto upstream = !listen ? std::nullopt : by_endpoint ? listen : parse_address(args["upstream"].as<std::string>(), &error);
  auto admin_ip = upstream ? parse_address(args["admin-address"].as<std::string>() + ":0", &error) : std::nullopt;
  auto guard = admin_ip ? admin_guard(args, admin_ip->address(), &error) : std::nullopt;
  if (!guard) {
    fmt::print(stderr, "meshsim proxy: {}\n", error);
    return kExitBadInput;
  }
  const std::string service = args["service"].as<std::string>();
  const std::string upstream_protocol = args["upstream-protocol"].as<std::string>();
  if (upstream_protocol != "http1" && upstream_protocol != "http2") {
    fmt::print(stderr, "meshsim proxy: --upstream-protocol must be http1 or http2, not '{}'\n", upstream_protocol);
    return kExitBadInput;
  }
  if (by_endpoint && upstream_protocol == "http2") {  // the workloads' hops follow their Service ports
    fmt::print(stderr, "meshsim proxy: --upstream-protocol http2 goes with --upstream\n");
    return kExitBadInput;
  }

  proxy::Resources rules;
  if (args.count("file")) {
    std::vector<config::Diagnostic> diagnostics;
    auto loaded = config::load(config::read_sources(args["file"].as<std::vector<std::string>>(), diagnostics));
    diagnostics.insert(diagnostics.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
    if (config::has_errors(diagnostics)) {
      for (const auto& d : diagnostics)
        if (d.severity == config::Severity::kError) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
      return kExitBadInput;
    }
    rules = std::move(loaded.resources);
  }

  net::io_context io(proxy::asio::kOneThread);
  proxy::asio::AsioClock clock;
  proxy::asio::AsioTimers timers(io);
  proxy::asio::AsioTransport transport(io);
  if (upstream_protocol == "http2") transport.use_http2(*upstream);
  sim::SplitMix64 random(std::random_device{}());
  reports::TelemetryOptions telemetry_options;
  telemetry_options.epoch_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  reports::MeshTelemetry telemetry(telemetry_options);
  proxy::SnapshotHolder snapshot;
  // --endpoint: the destination pods' inbound sidecars, and --pod's endpoint
  // (a copy, refreshed with each snapshot, as the pods' own are).
  std::unique_ptr<PodInboundTransport> pods;
  Injection injection;  // which workloads' pods have sidecars (POST /injection)
  std::optional<proxy::Endpoint> self;
  const std::string pod_name = args.count("pod") ? args["pod"].as<std::string>() : "";

  auto install = [&](const proxy::Resources& next, std::vector<std::string>* errors) {
    proxy::Resources with_upstream = next;
    if (!by_endpoint) add_upstream_service(with_upstream, service, upstream_protocol == "http2");
    auto table = proxy::RouteTable::create(std::move(with_upstream), errors);
    if (!table) return false;
    if (by_endpoint) {
      map_workload_endpoints(transport, *table, endpoints);
      if (pods) pods->refresh(*table);
      for (const auto& e : table->endpoints())
        if (!pod_name.empty() && (e.pod == pod_name || e.workload == pod_name) && (!self || self->pod == e.pod)) {
          self = e;
          break;
        }
      if (!pod_name.empty() && !self) {
        errors->push_back(fmt::format("--pod {}: no such pod or Deployment in the rules", pod_name));
        return false;
      }
    } else {
      map_upstream(transport, *table, service, *upstream);
    }
    snapshot.set(std::move(table));
    rules = next;
    return true;
  };
  LiveConfig live([&]() -> const proxy::Resources& { return rules; }, install);
  std::vector<std::string> errors;
  if (!install(proxy::Resources(rules), &errors)) {
    for (const auto& e : errors) fmt::print(stderr, "meshsim proxy: {}\n", e);
    return kExitBadInput;
  }

  InboundPolicyTransport policed(transport, snapshot, upstream_protocol == "http2");
  // The clock counts from now: Date headers show the wall clock.
  proxy::SidecarEnv env{&clock, &timers, &random, &policed, &telemetry, &snapshot, telemetry_options.epoch_us,
                        std::clamp(args["trace-sampling"].as<double>(), 0.0, 100.0)};
  if (by_endpoint) {
    pods = std::make_unique<PodInboundTransport>(transport, env, self.has_value(), injection);
    env.transport = pods.get();
    // A client without a sidecar reports nothing of its own (no istio-proxy there).
    if (!self) env.telemetry = nullptr;
  }
  proxy::Sidecar sidecar(self ? &*self : nullptr, self ? self->ns : "default", self ? self->labels : proxy::Labels{}, env);
  const std::string service_host = service;
  const bool host_routed = by_endpoint && !args.count("service");
  // A client without a sidecar (no --pod, or its pod not injected) has what
  // kube-proxy gives a Service's ClusterIP: its endpoints in turn (as the
  // simulated mesh does), no routing rules, plain text, nothing reported.
  uint64_t next_endpoint = 0;
  auto kube_proxy = [&](proxy::HttpRequest&& request, const std::string& host, uint32_t port,
                        proxy::asio::HttpListener::Respond respond) {
    const proxy::RouteTable& table = snapshot.current();
    const std::string ns = self ? self->ns : "default";
    const proxy::ServiceInfo* info = table.service(proxy::client_fqdn(host, ns));
    if (!info || info->endpoints.empty() || !info->has_port(port)) {
      proxy::HttpResponse refused;  // curl's "connection refused", as an HTTP answer
      refused.status = 503;
      refused.body = fmt::format("no endpoints for {}:{}\n", host, port);
      return respond(std::move(refused));
    }
    const proxy::Endpoint& e = table.endpoints()[info->endpoints[next_endpoint++ % info->endpoints.size()]];
    proxy::PeerInfo plain;
    plain.ns = ns;
    plain.ip = self ? self->ip : "127.0.0.1";
    pods->send(e, info->target_port(port, e), plain, proxy::serialize(request),
               [respond = std::move(respond)](proxy::TransportResult&& tr) {
                 proxy::HttpResponse response;
                 if (!tr.connected || !proxy::take_response(tr, response)) {
                   response = {};
                   response.status = 503;
                   response.body = tr.failure.empty() ? "invalid response" : tr.failure;
                 }
                 respond(std::move(response));
               });
  };

  auto serve = [&](proxy::HttpRequest&& request, proxy::asio::HttpListener::Respond respond) {
    // Envoy picks the virtual host by Host, and rules name the service; as
    // nginx's proxy_pass does by default, the request carries the upstream's name.
    // A sidecar's outbound listener (--endpoint without --service) goes where Host says.
    std::string host = service_host;
    uint32_t port = 80;
    if (host_routed) {
      host = request.authority;
      if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']', colon) == std::string::npos) {
        port = static_cast<uint32_t>(std::strtoul(host.c_str() + colon + 1, nullptr, 10));
        host.resize(colon);
      }
      if (host.empty()) {
        proxy::HttpResponse bad;
        bad.status = 400;
        bad.body = "no Host header: the proxy routes by the service it names\n";
        return respond(std::move(bad));
      }
    } else {
      request.authority = service_host;
    }
    if (by_endpoint && (!self || !injection.injected(self->workload)))
      return kube_proxy(std::move(request), host, port ? port : 80, std::move(respond));
    sidecar.outbound(std::move(request), host, port ? port : 80, [respond = std::move(respond)](proxy::OutboundResult&& out) {
      if (out.response) return respond(std::move(*out.response));
      proxy::HttpResponse failed;  // what Envoy answers when no upstream answered
      failed.status = 503;
      failed.body = out.error;
      respond(std::move(failed));
    });
  };
  try {
    proxy::asio::HttpListener listener(io, *listen, serve, listener_limits(args));
    AdminApi api;
    api.guard(*guard);
    add_config_routes(api, live);
    add_telemetry_routes(api, telemetry);
    if (by_endpoint)
      api.on("POST", "/endpoints", "WORKLOAD=HOST:PORT lines: where each Deployment's pods are (adds to --endpoint)",
             [&](const proxy::HttpRequest& request) {
               std::string bad_entry;
               if (!parse_endpoint_entries(body_lines(request.body), endpoints, &bad_entry)) return respond(400, bad_entry + "\n");
               map_workload_endpoints(transport, snapshot.current(), endpoints);
               return respond(200, fmt::format("{} endpoint mappings\n", endpoints.size()));
             });
    if (by_endpoint)
      api.on("POST", "/injection", "WORKLOAD=on|off lines (* for all): which workloads' pods have sidecars",
             [&](const proxy::HttpRequest& request) {
               std::string bad_line;
               if (!parse_injection(request.body, injection, &bad_line)) return respond(400, bad_line + "\n");
               return respond(200, "injection updated\n");
             });
    api.on("GET", "/help", "this list", [&api](const proxy::HttpRequest&) { return respond(200, api.help()); });
    proxy::asio::HttpListener admin(
        io, tcp::endpoint(admin_ip->address(), args["admin-port"].as<uint16_t>()),
        [&api](proxy::HttpRequest&& request, proxy::asio::HttpListener::Respond respond) { respond(api.handle(request)); });
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    std::string to = by_endpoint ? fmt::format("{} workload endpoints{}", endpoints.size(), self ? ", sidecar of pod " + self->pod : "")
                                 : args["upstream"].as<std::string>();
    fmt::print(stderr, "meshsim proxy: listening on http://{}:{}/ (HTTP/1.1 and h2c) -> {} over {} (service {}); admin http://{}:{}/\n",
               listen->address().to_string(), listener.port(), to, upstream_protocol, host_routed ? "by Host" : service,
               admin_ip->address().to_string(), admin.port());
    io.run();
  } catch (const boost::system::system_error& e) {
    fmt::print(stderr, "meshsim proxy: {}\n", e.what());
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace meshsim::app
