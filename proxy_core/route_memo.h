// What decide_route works out from where a client connects, before it looks
// at the request, kept between requests. For one client (its namespace and
// labels) under one snapshot the answers depend only on host:port: the
// client's Sidecar scope, the pod or Service at that address, the
// VirtualService or GAMMA routes for the host, and the cluster of each route
// destination (or of the Service, when no rule routes the host). Envoy has
// them compiled into its listeners and route configuration; working them out
// per request looked up another Service's entries in a dozen hash maps, each
// a cold cache line in a mesh of 1,000 services, and scanned every Sidecar
// resource (issue 20).
// A client sidecar owns one; `follow` empties it when the snapshot changes.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy_core/route_table.h"

namespace meshsim::proxy {

// The virtual host a request's :authority picks among those the client sees.
struct VirtualHostChoice {
  std::string fqdn;             // the authority as the client's resolver completes it
  std::string host_as_written;  // the authority without its port, lowered when it has capitals
  const CompiledVirtualService* virtual_service = nullptr;
  // A VirtualService with the host from which this client builds no route
  // (RouteTable::virtual_service_for), passed over; null when none was.
  const CompiledVirtualService* passed_over = nullptr;
  const ServiceInfo* named = nullptr;  // the Service of that name, when the client sees it
  // Whether `virtual_service` has this host's virtual host in the listener
  // port's route configuration (router.cc virtual_service_on_port).
  bool on_port = true;
};

// decide_route's answers for a connection to host:port.
struct HostRoute {
  std::string url_host;
  uint32_t port = 0;
  bool unresolvable = false;  // no address: curl's "Could not resolve host"
  ClientScope scope;          // the Sidecar egress listener that caught the connection
  ClientScope cluster_scope;  // what any of its egress listeners imports (the clusters)
  const Endpoint* pod = nullptr;        // the host is a pod IP
  const ServiceInfo* connected = nullptr;  // the host is a Service (or a unique short name)
  const Endpoint* external = nullptr;   // the host is outside the cluster
  bool connected_visible = false;
  // The host is a Service's address on a port the Service does not declare:
  // no route of its own there. With no HTTP listener on the port either,
  // the connection is the virtual outbound listener's, a tcp_proxy
  // (`tcp_catch_all`): no HTTP routing at all.
  bool undeclared_port = false;
  bool tcp_catch_all = false;
  std::vector<const CompiledGwMatch*> gateway_matches;  // GAMMA routes of the connected Service
  // The virtual host of a request whose :authority names the host connected
  // to, as most do; another authority picks its own per request.
  VirtualHostChoice same_host;
};

class RouteMemo {
 public:
  // A client calling more hosts than this starts over: the memo stays a
  // short scan, and a client sweeping hosts does not grow it without bound.
  static constexpr size_t kMaxEntries = 64;

  // Keeps the answers when `table` is the snapshot they were worked out
  // with (owner-equal: a freed snapshot's address may be reused), else
  // forgets them and says so.
  bool follow(const std::shared_ptr<const RouteTable>& table) {
    if (!table_.owner_before(table) && !table.owner_before(table_)) return false;
    clear();
    table_ = table;
    return true;
  }

  // Few per client: the hosts it calls, the destinations of their routes.
  // The keys are scanned, not the entries, so a miss reads one array.
  const HostRoute* host(std::string_view url_host, uint32_t port) const {
    size_t hash = std::hash<std::string_view>{}(url_host);
    for (size_t i = 0; i < host_keys_.size(); ++i)
      if (host_keys_[i].hash == hash && host_keys_[i].port == port && hosts_[i].url_host == url_host) return &hosts_[i];
    return nullptr;
  }
  // The reference stays valid until the next add_host: decide_route holds
  // it for one request only.
  const HostRoute& add_host(HostRoute route) {
    if (hosts_.size() >= kMaxEntries) clear();
    host_keys_.push_back({std::hash<std::string_view>{}(route.url_host), route.port});
    return hosts_.emplace_back(std::move(route));
  }

  // The precompiled cluster of a VirtualService route destination reached
  // on listener port `port`, or null when not yet known.
  const Cluster* destination(const HTTPRouteDestination* destination, uint32_t port) const {
    return destinations_.find(destination, port);
  }
  void add_destination(const HTTPRouteDestination* destination, uint32_t port, const Cluster* cluster) {
    destinations_.add(destination, port, cluster);
  }
  // The same for a host no rule routes: the precompiled cluster of Service
  // `target` on port `port`.
  const Cluster* service_cluster(const ServiceInfo* target, uint32_t port) const {
    return service_clusters_.find(target, port);
  }
  void add_service_cluster(const ServiceInfo* target, uint32_t port, const Cluster* cluster) {
    service_clusters_.add(target, port, cluster);
  }

 private:
  void clear() {
    hosts_.clear();
    host_keys_.clear();
    destinations_.clear();
    service_clusters_.clear();
  }
  struct HostKey {
    size_t hash;
    uint32_t port;
  };
  // Clusters already worked out, by what routed to them (a pointer into
  // the snapshot) and the listener port: a short scan, emptied when full.
  template <typename Key>
  class ClusterMemo {
   public:
    const Cluster* find(const Key* key, uint32_t port) const {
      for (const Entry& e : entries_)
        if (e.key == key && e.port == port) return e.cluster;
      return nullptr;
    }
    void add(const Key* key, uint32_t port, const Cluster* cluster) {
      if (entries_.size() >= kMaxEntries) entries_.clear();
      entries_.push_back({key, port, cluster});
    }
    void clear() { entries_.clear(); }

   private:
    struct Entry {
      const Key* key;
      uint32_t port;
      const Cluster* cluster;
    };
    std::vector<Entry> entries_;
  };
  std::weak_ptr<const RouteTable> table_;
  std::vector<HostRoute> hosts_;  // empty until used: a sidecar that never calls out allocates nothing
  std::vector<HostKey> host_keys_;  // hosts_'s, in the same order
  ClusterMemo<HTTPRouteDestination> destinations_;
  ClusterMemo<ServiceInfo> service_clusters_;
};

}  // namespace meshsim::proxy
