#include "services/workload_app.h"

#include <nlohmann/json.hpp>

namespace meshsim::services {

proxy::HttpResponse WorkloadApp::echo(const proxy::HttpRequest& request) const {
  nlohmann::ordered_json body;
  body["workload"] = endpoint_.workload;
  body["pod"] = endpoint_.pod;
  body["namespace"] = endpoint_.ns;
  body["version"] = endpoint_.version();
  body["method"] = request.method;
  body["path"] = request.target;
  body["host"] = request.authority;
  nlohmann::ordered_json headers = nlohmann::ordered_json::object();
  for (const auto& h : request.headers.all()) {
    std::string name = proxy::to_lower(h.name);
    if (headers.contains(name)) headers[name] = headers[name].get<std::string>() + "," + h.value;
    else headers[name] = h.value;
  }
  body["headers"] = headers;
  proxy::HttpResponse r;
  r.status = 200;
  r.headers.set("content-type", "application/json");
  r.body = body.dump();
  return r;
}

void WorkloadApp::handle(proxy::HttpRequest request, std::function<void(proxy::HttpResponse)> respond) {
  proxy::HttpResponse response = echo(request);
  if (behavior_.fail_first_n > 0) {
    std::string id(request.headers.get("x-request-id").value_or(""));
    auto [it, inserted] = attempts_.emplace(id, 0);
    if (inserted) {
      attempt_order_.push_back(id);
      if (attempt_order_.size() > kAttemptMemory) {
        attempts_.erase(attempt_order_.front());
        attempt_order_.erase(attempt_order_.begin());
      }
    }
    if (++it->second <= behavior_.fail_first_n) {
      response.status = behavior_.fail_status;
      response.body = "simulated failure";
      response.headers.set("content-type", "text/plain");
    }
  }
  for (const auto& [name, value] : behavior_.response_headers) response.headers.add(name, value);
  if (behavior_.response_delay.count() > 0) {
    timers_.schedule(behavior_.response_delay, [respond = std::move(respond), response = std::move(response)] {
      respond(response);
    });
    return;
  }
  respond(std::move(response));
}

}  // namespace meshsim::services
