// libFuzzer target: bytes as they would reach the admin port of `meshsim
// serve` or `meshsim proxy` (issue 19): decoded by the HTTP/1.1 codec, then
// routed by the admin API with its guard (token, body size, change rate)
// to the config and telemetry routes: GET /config, POST /config (a YAML
// push, loaded and compiled as `validate` does, rejected whole on error),
// DELETE /config/KIND/NAMESPACE/NAME, GET /metrics, /help. State carries over
// between requests of one input (up to 8 pipelined), never between inputs.
// Any crash or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "app/admin_api.h"
#include "app/admin_routes.h"
#include "app/live_config.h"
#include "config/loader.h"
#include "proxy_core/codec.h"
#include "proxy_core/route_table.h"
#include "reports/mesh_telemetry.h"
#include "tests/fixtures/fixture.h"

namespace {

using namespace meshsim;

const proxy::Resources& base_mesh() {
  static const proxy::Resources mesh = config::load({fixtures::source("bar-v1.yaml")}).resources;
  return mesh;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  proxy::Resources serving = base_mesh();
  auto install = [&serving](const proxy::Resources& next, std::vector<std::string>* errors) {
    if (!proxy::RouteTable::create(proxy::Resources(next), errors)) return false;
    serving = next;
    return true;
  };
  app::LiveConfig config([&serving]() -> const proxy::Resources& { return serving; }, install);
  reports::MeshTelemetry telemetry(reports::TelemetryOptions{});
  app::AdminApi api;
  // A token, so both the refused and (with the right header) the accepted
  // change paths are reachable; the dictionary holds it.
  api.guard(app::AdminGuard{"fuzz-token", 64 * 1024, 1000});
  app::add_config_routes(api, config);
  app::add_telemetry_routes(api, telemetry);

  std::string_view view(reinterpret_cast<const char*>(data), size);
  proxy::CodecLimits limits;
  limits.header_bytes_max = 8 * 1024;
  limits.body_bytes_max = 64 * 1024;
  proxy::RequestDecoder decoder(limits);
  for (int i = 0; i < 8 && !view.empty(); ++i) {  // bounded: at most 8 pipelined requests
    proxy::DecodeOutcome outcome = decoder.feed(view);
    if (outcome.kind != proxy::DecodeOutcome::Kind::kMessage) break;
    proxy::HttpResponse response = api.handle(decoder.take());
    if (response.status < 200 || response.status > 599) __builtin_trap();  // the API answers every request
  }
  return 0;
}
