// What a live world (`serve`, `demo`) shows the outside: the ingress
// handler, where real requests enter the mesh through the ingress gateway
// towards the target service, and the admin API (config, telemetry, graph,
// topology, say, step, the dashboard). The listeners belong to the command.
#pragma once

#include "app/admin_api.h"
#include "app/live_config.h"
#include "app/live_world.h"
#include "proxy_core/asio/asio_adapter.h"
#include "sim/world.h"

namespace meshsim::app {

class LiveFrontDoor {
 public:
  LiveFrontDoor(LiveWorld& live, sim::ParsedUrl target);
  LiveFrontDoor(const LiveFrontDoor&) = delete;
  LiveFrontDoor& operator=(const LiveFrontDoor&) = delete;

  proxy::asio::HttpListener::Handler ingress();
  proxy::asio::HttpListener::Handler admin();
  AdminApi& admin_api() { return api_; }

 private:
  void add_routes();

  LiveWorld& live_;
  sim::ParsedUrl target_;
  LiveConfig config_;
  AdminApi api_;
};

}  // namespace meshsim::app
