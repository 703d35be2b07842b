// The simulated mesh: one instance (app + optional sidecar) per endpoint of
// the current snapshot, an in-memory network that carries serialized HTTP
// bytes between them, and the virtual clock. Config pushes swap the routing
// snapshot atomically; a push that does not compile is rejected and the old
// snapshot keeps serving. Single-threaded; owned by a command or a test.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "proxy_core/route_table.h"
#include "proxy_core/sidecar.h"
#include "services/workload_app.h"
#include "sim/random.h"
#include "sim/scheduler.h"

namespace meshsim::sim {

// What a node's kube-proxy does with a connection to a Service's cluster IP
// on a port the Service does not declare. iptables mode, kube-proxy's
// default, has no rule that matches it and the SYN is dropped: the client
// waits for its connect timeout. nftables mode rejects it at once.
enum class KubeProxyMode { kIptables, kNftables };

struct WorldOptions {
  uint64_t seed = 1;
  proxy::Duration link_latency{0};  // one way, per hop
  int64_t unix_epoch_us = proxy::kDefaultUnixEpochUs;  // virtual time zero in Unix time (Date headers)
  double trace_sampling_percent = 1.0;  // Istio's meshConfig.defaultConfig.tracing.sampling
  double wall_per_sim = 1.0;  // Unix time per virtual time (SidecarEnv::wall_per_clock): 1/--speed live
  KubeProxyMode kube_proxy_mode = KubeProxyMode::kIptables;
};

// One request as the caller saw it plus what the serving app received.
struct CallResult {
  proxy::OutboundResult outbound;
  std::optional<services::ReceivedRequest> upstream;  // last attempt that reached an app
  int upstream_attempts = 0;                         // attempts that reached an app
  std::vector<const proxy::Endpoint*> mirrored_to;   // apps that received a mirrored copy
};

class World : private proxy::Transport {
 public:
  // What one hop carries, whatever its protocol: an HTTP/1.1 request as the
  // bytes its codec wrote (parsed again where it arrives, so the codec and
  // its limits run on every hop), an HTTP/2 one as the decoded message,
  // headers, body and trailers (a live network encodes it with the HTTP/2
  // codec). The reply comes back the same way: bytes, or `decoded`.
  struct HopRequest {
    std::string bytes;                          // HTTP/1.1
    std::optional<proxy::HttpRequest> message;  // HTTP/2 (`bytes` empty)
    // By the request's protocol (already translated for the hop).
    static HopRequest of(const proxy::HttpRequest& request);
    static HopRequest http1(std::string bytes) { return {std::move(bytes), std::nullopt}; }
  };

  // How requests travel between instances: in memory with the link
  // latency by default; a live command may carry them over real sockets and
  // hand them back through arrive().
  class Network {
   public:
    virtual ~Network() = default;
    virtual void carry(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from, HopRequest request,
                       bool mirrored, std::function<void(proxy::TransportResult&&)> done) = 0;
  };

  explicit World(WorldOptions options = {});
  ~World() override;

  // Compiles and swaps in `resources`. On failure returns false, fills
  // `errors`, and leaves the previous snapshot serving. With `rebuild`
  // false the caller calls configure() next, which rebuilds the instances
  // once for both.
  bool apply(proxy::Resources resources, std::vector<std::string>* errors, bool rebuild = true);
  // The same for resources the caller keeps: the snapshot shares them.
  bool apply(std::shared_ptr<const proxy::Resources> resources, std::vector<std::string>* errors, bool rebuild = true);
  const proxy::RouteTable& table() const { return *snapshot_.get(); }
  // The current snapshot, shared: it outlives a push while anyone holds it.
  std::shared_ptr<const proxy::RouteTable> snapshot() const { return snapshot_.get(); }
  // Pod instances a push replaced (a pod that changed, or whose Behavior or
  // sidecar did); they stay until the world ends. Pushes that change rules
  // only replace none.
  size_t replaced_instances() const { return retired_instances_.size(); }

  void set_behavior(const std::string& ns, const std::string& workload, services::Behavior behavior);
  void set_sidecar(const std::string& ns, const std::string& workload, bool injected);
  // Both for many workloads at once, rebuilding the instances once.
  struct WorkloadSetting {
    std::string ns, workload;
    bool sidecar = true;
    services::Behavior behavior;
  };
  void configure(std::vector<WorkloadSetting> settings);
  void set_telemetry(proxy::TelemetrySink* sink) { telemetry_ = sink; }
  // Sees every request an app receives (not mirrored copies), as the app
  // gets it: for expectations on what the upstream app received.
  using AppObserver = std::function<void(const proxy::Endpoint& app, const proxy::HttpRequest&, const proxy::PeerInfo& from)>;
  void set_app_observer(AppObserver observer) { app_observer_ = std::move(observer); }

  // What a call reports beyond the outbound result: what reached the apps
  // (CallResult's upstream, upstream_attempts, mirrored_to), or nothing, for
  // callers that only count outcomes and spare each call the bookkeeping.
  enum class Observe { kUpstream, kResponseOnly };
  // Sends `request` from the workload `from` (a Deployment name in `ns`) to
  // url_host:port; `done` runs when the caller has its answer.
  // Whether the workload's pods run a sidecar now (false: no such workload).
  bool has_sidecar(const std::string& ns, const std::string& workload);
  bool send(const std::string& ns, const std::string& from, proxy::HttpRequest&& request, const std::string& url_host,
            uint32_t port, std::function<void(CallResult&&)> done, Observe observe = Observe::kUpstream);
  // Sends and runs virtual time until the answer is in.
  std::optional<CallResult> call(const std::string& ns, const std::string& from, proxy::HttpRequest request,
                                 const std::string& url_host, uint32_t port);

  // A client outside the cluster (a browser, curl on a laptop): no sidecar,
  // no identity. `url_host` names a Service as <name>.<namespace> (or its
  // FQDN), standing for that Service's external address (a LoadBalancer);
  // `port` is a Service port, reaching its targetPort on one of the pods.
  // Fills the outcome's flags from the gateway proxy that answered, if any,
  // and served_by from the app the request reached. `client_ip`: the
  // client's address, which a gateway sees as its downstream peer; empty:
  // the one default outside client's.
  void send_outside(proxy::HttpRequest&& request, const std::string& url_host, uint32_t port,
                    std::function<void(CallResult&&)> done, const std::string& client_ip = "");
  CallResult call_outside(proxy::HttpRequest request, const std::string& url_host, uint32_t port,
                          const std::string& client_ip = "");

  // Carries traffic over `network` from now on (null: in memory again).
  void set_network(Network* network) { network_ = network; }
  // What a Network carried to the instance `to` (its sidecar's inbound side, or its app).
  void arrive(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from, HopRequest request, bool mirrored,
              std::function<void(proxy::TransportResult&&)> done);

  Scheduler& scheduler() { return scheduler_; }
  const Scheduler& const_scheduler() const { return scheduler_; }
  // What an app's runaway guard refused (a call cycle), or empty.
  const std::string& runaway() const { return runaway_; }

 private:
  struct Instance;
  Instance* instance_for(const proxy::Endpoint& e);
  void rebuild_instances();
  // The one path of every hop, whatever the protocol: over the network, or
  // in memory with the link latency each way. In memory, a `client_reset`
  // reaches the server's sidecar one link latency after it fires (a
  // Network does not carry it).
  void deliver(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from, HopRequest request, bool mirrored,
               std::function<void(proxy::TransportResult&&)> done,
               const std::shared_ptr<proxy::StreamReset>& client_reset = nullptr);
  // The receiving side: a gateway's listener, a sidecar's inbound side, or
  // an app without a sidecar (codecs at the edge, then one path).
  void run_inbound(Instance& inst, uint32_t port, const proxy::PeerInfo& from, HopRequest request, bool mirrored,
                   std::function<void(proxy::TransportResult&&)> reply,
                   const std::shared_ptr<proxy::StreamReset>& client_reset = nullptr);
  // proxy::Transport
  void send(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from, std::string request_bytes,
            std::function<void(proxy::TransportResult&&)> done) override;
  void send_mirror(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from,
                   std::string request_bytes) override;
  // A hop of the request's protocol (HopRequest::of).
  void send_message(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from,
                    const proxy::HttpRequest& request, std::function<void(proxy::TransportResult&&)> done,
                    const std::shared_ptr<proxy::StreamReset>& reset) override;
  void send_mirror_message(const proxy::Endpoint& to, uint32_t port, const proxy::PeerInfo& from,
                           const proxy::HttpRequest& request) override;
  void connect_unforwarded(std::function<void(proxy::TransportResult&&)> done) override;
  proxy::AppHandler app_handler_for(Instance& pod, bool mirrored);
  void hand_to_app(Instance& pod, bool mirrored, proxy::HttpRequest&& request, const proxy::PeerInfo& peer,
                   std::function<void(proxy::HttpResponse&&)> respond);
  void send_from(Instance& client, proxy::HttpRequest&& request, const std::string& url_host, uint32_t port,
                 std::function<void(proxy::OutboundResult&&)> done);
  void plain_kubernetes_call(Instance& client, proxy::HttpRequest&& request, const std::string& url_host, uint32_t port,
                             std::function<void(proxy::OutboundResult&&)> done);

  WorldOptions options_;
  Scheduler scheduler_;
  SplitMix64 sidecar_random_;
  proxy::SnapshotHolder snapshot_;
  // Orders keys made of strings and finds them from views of their parts
  // (a tuple of std::string_view), so a per-hop lookup builds no key. Both
  // sides compare as views: clang rejects std::less<> across tuples of
  // string and string_view.
  struct ByViews {
    using is_transparent = void;
    template <typename Key>
    static auto view(const Key& key) {
      return std::apply([](const auto&... part) { return std::tuple<decltype(std::string_view(part))...>(part...); }, key);
    }
    bool operator()(const auto& a, const auto& b) const { return view(a) < view(b); }
  };
  // The same keys hashed: every hop finds its instance, and an ordered
  // lookup grew with the mesh (issue 20).
  struct HashViews {
    using is_transparent = void;
    size_t operator()(const auto& key) const {
      size_t h = 0;
      std::apply([&h](const auto&... part) { ((h = h * 31 + std::hash<std::string_view>{}(part)), ...); }, ByViews::view(key));
      return h;
    }
  };
  struct EqualViews {
    using is_transparent = void;
    bool operator()(const auto& a, const auto& b) const { return ByViews::view(a) == ByViews::view(b); }
  };
  // Instances by (namespace, pod); never iterated in an order that shows.
  using Instances = std::unordered_map<std::tuple<std::string, std::string>, std::unique_ptr<Instance>, HashViews, EqualViews>;
  Instance* current_instance(std::string_view ns, std::string_view pod) const;
  Instance* current_instance_of(Instance& inst) const;  // the same as by its pod's name
  Instances instances_;
  // Instances by the index of their endpoint in `indexed_table_` (the
  // current snapshot), filled as hops find them: every hop finds its
  // destination's instance, and the lookup by (namespace, pod) read a cold
  // bucket, node and key strings in a large mesh (issue 20). Emptied when
  // the instances are rebuilt.
  std::shared_ptr<const proxy::RouteTable> indexed_table_;
  std::vector<Instance*> instance_by_index_;
  void index_current_snapshot();
  std::vector<std::unique_ptr<Instance>> retired_instances_;
  // What a client outside the cluster presents (send_outside): no identity.
  proxy::PeerInfo outside_identity_;
  // Outside clients at other addresses (send_outside's client_ip), made on
  // first use and kept: a hop in flight points at its sender's identity
  // (deliver). One per address a caller names, so bounded by the caller.
  std::map<std::string, proxy::PeerInfo, std::less<>> outside_identities_;
  std::map<std::string, services::Behavior> behaviors_;          // by "ns/workload"
  std::map<std::string, std::unique_ptr<SplitMix64>> app_random_;  // by "ns/pod", kept across rebuilds
  std::map<std::string, bool> sidecars_;                         // by "ns/workload"; default injected
  proxy::TelemetrySink* telemetry_ = nullptr;
  AppObserver app_observer_;
  Network* network_ = nullptr;
  // Per call: what apps received, keyed by x-request-id.
  struct Observed {
    std::optional<services::ReceivedRequest> last;
    int attempts = 0;
    std::vector<const proxy::Endpoint*> mirrored_to;
  };
  std::map<std::string, Observed> observed_;  // by call marker
  std::string runaway_;
  uint64_t call_counter_ = 0;
  // kube-proxy's round robin, by (client namespace, client pod, service FQDN).
  std::map<std::tuple<std::string, std::string, std::string>, size_t, ByViews> kube_round_robin_;
};

// "http://host:port/path?q" -> host, port (80 default), target ("/path?q").
struct ParsedUrl {
  std::string host;
  uint32_t port = 80;
  std::string target = "/";
  bool explicit_port = false;
};
std::optional<ParsedUrl> parse_url(const std::string& url, std::string* error);

}  // namespace meshsim::sim
