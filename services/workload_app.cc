#include "services/workload_app.h"

#include <nlohmann/json.hpp>

#include "proxy_core/grpc.h"

namespace meshsim::services {

namespace {

// What a sidecar adds to a message an app hands it, reserved with the
// message: without it the sidecar's first edit moves the whole map.
constexpr size_t kSidecarAddedFields = 8, kSidecarAddedBytes = 256;

// An app's reply: content-type, x-meshsim-version and the configured
// headers at once, with room for the server sidecar's (date, server,
// upstream service time).
void reserve_reply_headers(proxy::HeaderMap& headers, const Behavior& behavior) {
  headers.reserve_more(2 + behavior.response_headers.size() + kSidecarAddedFields, 128 + kSidecarAddedBytes);
}

struct CallOutcome {
  std::optional<proxy::HttpResponse> response;
  std::string version;  // x-meshsim-version of the answering app, if any
};

// Whether finish() reads the calls' outcomes: {{calls.NAME.*}} in the template.
bool body_reads_calls(std::string_view body_template) { return body_template.find("{{calls.") != std::string_view::npos; }

// A gRPC call fails on a grpc-status other than OK (in headers or trailers) as well.
bool failed(const CallOutcome& c, bool grpc) {
  return !c.response || c.response->status >= 400 || (grpc && proxy::grpc_status_of(*c.response) != 0);
}

}  // namespace

struct WorkloadApp::Execution {
  proxy::HttpRequest request;
  std::function<void(proxy::HttpResponse&&)> respond;
  std::map<std::string, CallOutcome, std::less<>> calls;  // by call name
  std::optional<int> failure_status;  // set when a call failed and on_call_error says so
  int attempt = 0;  // of this x-request-id at this app (counted when a behaviour fails first attempts)
  // What the calls made so far overcounted (HttpResponse::overcount): this
  // execution's own clock reads the simulated clock minus this.
  Duration overcount{0};
  // The request's content-type is gRPC's, read when it arrives: by the time
  // the execution finishes, its calls have touched much else (issue 20).
  bool grpc = false;
  bool injected_error = false;  // Behavior::error_before_calls drew an error on arrival
  std::string nested_id;        // its x-request-id, counted in nested_ (WorkloadApp::kTrackNestingAbove)
};

// The calls of one script step run in parallel; the step ends when the last
// answers, at the latest of their ends on the execution's own clock.
struct WorkloadApp::StepJoin {
  size_t remaining = 0;
  proxy::TimePoint latest_end = proxy::TimePoint::min();
};

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
    if (headers.contains(name)) headers[name] = headers[name].get<std::string>() + "," + std::string(h.value);
    else headers[name] = std::string(h.value);
  }
  body["headers"] = headers;
  proxy::HttpResponse r;
  r.status = 200;
  reserve_reply_headers(r.headers, behavior_);
  r.headers.set("content-type", "application/json");
  r.body = body.dump();
  return r;
}

void WorkloadApp::refuse_runaway(std::string_view why, std::function<void(proxy::HttpResponse&&)>& respond) {
  if (auto runaway = std::move(runaway_)) {
    runaway_ = nullptr;
    runaway(std::string(why));
  }
  proxy::HttpResponse refused;
  refused.status = 503;
  refused.headers.set("content-type", "text/plain");
  refused.body = "meshsim: " + std::string(why);
  respond(std::move(refused));
}

void WorkloadApp::handle(proxy::HttpRequest&& request, std::function<void(proxy::HttpResponse&&)> respond) {
  if (in_flight_ >= kMaxRequestsInFlight)
    return refuse_runaway(endpoint_.pod + " holds " + std::to_string(kMaxRequestsInFlight) +
                              " requests at once, meshsim's bound on one app (a call cycle among requests without x-request-id?)",
                          respond);
  std::string nested_id;
  if (in_flight_ >= kTrackNestingAbove) {
    nested_id = request.headers.get("x-request-id").value_or("");
    if (!nested_id.empty() && nested_[nested_id] >= kMaxNestedArrivals)
      return refuse_runaway("request " + nested_id + " reached " + endpoint_.pod + " " + std::to_string(kMaxNestedArrivals) +
                                " times, each inside the last: the Behaviors' calls lead back to it (a call cycle)",
                            respond);
    if (!nested_id.empty()) ++nested_[nested_id];
  }
  ++in_flight_;
  auto ex = std::make_shared<Execution>();
  ex->nested_id = std::move(nested_id);
  ex->request = std::move(request);
  ex->respond = std::move(respond);
  ex->grpc = proxy::is_grpc(ex->request.headers);
  if (behavior_.fail_first_n > 0 || (behavior_.grpc && behavior_.grpc->fail_first_n > 0)) {
    std::string id(ex->request.headers.get("x-request-id").value_or(""));
    auto [it, inserted] = attempts_.emplace(id, 0);
    if (inserted) {
      attempt_order_.push_back(id);
      if (attempt_order_.size() > kAttemptMemory) {
        attempts_.erase(attempt_order_.front());
        attempt_order_.erase(attempt_order_.begin());
      }
    }
    ex->attempt = ++it->second;
    if (ex->attempt <= behavior_.fail_first_n) ex->failure_status = behavior_.fail_status;
  }
  if (behavior_.error_before_calls && behavior_.error_per_million > 0 && random_.next() % 1'000'000 < behavior_.error_per_million) {
    ex->injected_error = true;  // answered at once: no latency, no script
    finish(ex);
    return;
  }
  Duration wait = behavior_.latency ? behavior_.latency->sample(random_) : behavior_.response_delay;
  if (wait.count() > 0) {
    timers_.schedule(wait, [this, ex = std::move(ex)] { run_step(ex, 0); });
    return;
  }
  run_step(ex, 0);
}

void WorkloadApp::run_step(const std::shared_ptr<Execution>& ex, size_t step) {
  if (step >= behavior_.script.size() || !caller_ || ex->failure_status) {
    finish(ex);
    return;
  }
  const ScriptStep& s = behavior_.script[step];
  if (s.calls.empty()) {
    timers_.schedule(s.sleep, [this, ex, step] { run_step(ex, step + 1); });
    return;
  }
  auto join = std::make_shared<StepJoin>();
  join->remaining = s.calls.size();
  for (const CallSpec& call : s.calls) attempt_call(ex, step, join, call, 0);
}

proxy::HttpRequest WorkloadApp::call_request(const Execution& ex, const CallSpec& call) const {
  proxy::HttpRequest out;
  out.method = call.method;
  out.target = call.path;
  out.authority = call.port == 80 ? call.service : call.service + ":" + std::to_string(call.port);
  // With room for what the client's sidecar adds in place (its trace and
  // attempt headers: sidecar.cc add_trace_headers), so they do not move the
  // map a second time on every call (issue 20).
  out.headers.reserve_more(always_propagated_headers().size() + behavior_.propagate_headers.size() + call.headers.size() +
                               kSidecarAddedFields,
                           512 + kSidecarAddedBytes);
  // The trace headers, the first value of each, in one pass over the
  // request (`out` starts empty: add, no search; the fields are checked already).
  uint32_t copied = 0;  // bit i: always_propagated_headers()[i] is in `out`
  for (const proxy::Header h : ex.request.headers.all()) {
    int i = always_propagated_index(h.name);
    if (i < 0 || (copied >> i) & 1u) continue;
    copied |= 1u << i;
    out.headers.add_checked(h.name, h.value);
  }
  for (const auto& name : behavior_.propagate_headers)
    if (auto v = ex.request.headers.get(name)) out.headers.set(name, *v);
  for (const auto& [k, v] : call.headers) out.headers.set(k, v);
  if (call.request_bytes > 0) out.body.assign(call.request_bytes, 'x');
  if (call.grpc) {  // as the scenario's gRPC traffic sources send it (scenario_runner.cc)
    out.protocol = proxy::WireProtocol::kHttp2;
    out.method = "POST";
    out.headers.set("content-type", "application/grpc");
    out.headers.set("te", "trailers");
    out.body = proxy::grpc_frame(out.body);
  }
  return out;
}

void WorkloadApp::attempt_call(const std::shared_ptr<Execution>& ex, size_t step, const std::shared_ptr<StepJoin>& join,
                               const CallSpec& call, int attempt) {
  // One attempt ends once: by its answer or by the app's own timeout,
  // whichever comes first; a late answer to an abandoned attempt is dropped.
  struct AttemptState {
    bool settled = false;
    std::optional<proxy::Timers::TimerId> timer;
  };
  auto state = std::make_shared<AttemptState>();
  auto end_attempt = [this, ex, step, join, &call, attempt, state](std::optional<proxy::HttpResponse>&& response) {
    if (state->settled) return;
    state->settled = true;
    if (clock_ != nullptr) {
      Duration call_overcount = response ? response->overcount : Duration(0);
      join->latest_end = std::max(join->latest_end, clock_->now() - ex->overcount - call_overcount);
    }
    CallOutcome outcome;
    // Only a body template that names calls reads their outcomes; otherwise
    // nothing is kept (below), so the version is not copied out either.
    const bool kept = body_reads_calls(behavior_.body_template);
    if (response && kept) outcome.version = std::string(response->headers.get("x-meshsim-version").value_or(""));
    outcome.response = std::move(response);
    bool call_failed = failed(outcome, call.grpc);
    if (call_failed && attempt < call.retries) {
      attempt_call(ex, step, join, call, attempt + 1);
      return;
    }
    if (call_failed && !ex->failure_status) {
      if (behavior_.on_call_error == Behavior::OnCallError::kFail) ex->failure_status = behavior_.call_error_status;
      else if (behavior_.on_call_error == Behavior::OnCallError::kPropagate)
        // A gRPC failure arrives as HTTP 200: it goes on as 503 (UNAVAILABLE to a gRPC caller).
        ex->failure_status = outcome.response && outcome.response->status >= 400 ? outcome.response->status : 503;
    }
    // A deep tree has every execution of a request in flight at once: each
    // kept its children's whole responses until its step ended, a working
    // set that grew with the mesh (issue 20).
    if (kept) ex->calls[call.name.empty() ? call.service : call.name] = std::move(outcome);
    if (--join->remaining > 0) return;
    if (clock_ != nullptr) ex->overcount = clock_->now() - join->latest_end;
    run_step(ex, step + 1);
  };
  if (call.timeout) state->timer = timers_.schedule(*call.timeout, [end_attempt] { end_attempt(std::nullopt); });
  caller_(call_request(*ex, call), call.service, call.port,
          [this, end_attempt, state](std::optional<proxy::HttpResponse>&& response) {
            if (state->settled) return;
            if (state->timer) timers_.cancel(*state->timer);
            end_attempt(std::move(response));
          });
}

void WorkloadApp::finish(const std::shared_ptr<Execution>& ex) {
  proxy::HttpResponse response;
  bool scripted = !behavior_.body_template.empty() || behavior_.latency || !behavior_.script.empty() ||
                  behavior_.error_per_million > 0;
  if (behavior_.ext_authz) {
    answer_ext_authz(ex->request, response);
    if (!behavior_.error_before_calls && behavior_.error_per_million > 0 &&
        random_.next() % 1'000'000 < behavior_.error_per_million) {
      response.status = behavior_.error_status;  // the authorizer fails: an error to the checking proxy when 5xx
      response.body = "simulated error";
      response.headers.set("content-type", "text/plain");
    }
  } else if (!scripted) {
    response = echo(ex->request);
  } else {
    reserve_reply_headers(response.headers, behavior_);
    // {{workload}}, {{version}}, {{app}}, {{calls.NAME.body|status|version}}.
    std::string out;
    std::string_view t = behavior_.body_template;
    for (size_t i = 0; i < t.size();) {
      size_t open = t.find("{{", i);
      out.append(t.substr(i, open - i));  // the text up to the next placeholder, at once
      if (open == std::string_view::npos) break;
      i = open;
      size_t end = t.find("}}", i);
      if (end == std::string_view::npos) {
        out.append(t.substr(i));
        break;
      }
      std::string_view key = t.substr(i + 2, end - i - 2);
      i = end + 2;
      if (key == "workload") out += endpoint_.workload;
      else if (key == "version") out += endpoint_.version();
      else if (key == "app") out += endpoint_.app.empty() ? endpoint_.workload : endpoint_.app;
      else if (key.starts_with("calls.")) {
        auto dot = key.rfind('.');
        auto it = ex->calls.find(key.substr(6, dot - 6));
        std::string_view field = key.substr(dot + 1);
        if (it == ex->calls.end()) continue;
        const CallOutcome& c = it->second;
        if (field == "status") out += c.response ? std::to_string(c.response->status) : "error";
        else if (field == "version") out += c.version;
        else if (field == "body" && c.response) {
          std::string_view b = c.response->body;
          while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.remove_suffix(1);
          out.append(b);
        }
      }
    }
    response.status = 200;
    response.headers.set("content-type", "text/plain");
    response.body = std::move(out);
    if (behavior_.response_bytes > response.body.size()) response.body.resize(behavior_.response_bytes, ' ');
    if (!behavior_.error_before_calls && behavior_.error_per_million > 0 &&
        random_.next() % 1'000'000 < behavior_.error_per_million) {
      response.status = behavior_.error_status;
      response.body = "simulated error";
    }
  }
  if (ex->injected_error) {
    // isotope's handler.go answers "simulated failure" before its script.
    response.status = behavior_.error_status;
    response.body = "simulated failure";
    response.headers.set("content-type", "text/plain");
  }
  if (ex->failure_status) {
    response.status = *ex->failure_status;
    response.body = behavior_.fail_first_n > 0 && !scripted ? "simulated failure" : "upstream call failed";
    response.headers.set("content-type", "text/plain");
  }
  if (ex->grpc) answer_grpc(*ex, response);
  response.headers.set("x-meshsim-version", endpoint_.version());
  for (const auto& [name, value] : behavior_.response_headers) response.headers.add(name, value);
  response.overcount = ex->overcount;
  --in_flight_;
  if (!ex->nested_id.empty())
    if (auto it = nested_.find(ex->nested_id); it != nested_.end() && --it->second == 0) nested_.erase(it);
  ex->respond(std::move(response));
}

// samples/extauthz/cmd/extauthz/main.go ServeHTTP (its HTTP port): the
// check header's value decides; the override header is echoed either way.
void WorkloadApp::answer_ext_authz(const proxy::HttpRequest& request, proxy::HttpResponse& response) const {
  const ExtAuthzServer& server = *behavior_.ext_authz;
  bool allowed = request.headers.get(server.header) == std::optional<std::string_view>(server.value);
  response.headers.set("x-ext-authz-check-result", allowed ? "allowed" : "denied");
  constexpr std::string_view kOverride = "x-ext-authz-additional-header-override";
  response.headers.set(kOverride, request.headers.get(kOverride).value_or(""));
  if (allowed) {
    response.status = 200;
    return;
  }
  response.status = 403;
  response.headers.set("content-type", "text/plain; charset=utf-8");  // Go's http.DetectContentType of the text
  response.body = "denied by ext_authz for not found header `" + server.header + ": " + server.value + "` in the request";
}

void WorkloadApp::answer_grpc(const Execution& ex, proxy::HttpResponse& response) const {
  int code = 0;
  std::string message;
  bool trailers_only = behavior_.grpc ? behavior_.grpc->trailers_only : true;
  if (response.status >= 400) {  // an injected error or a failed call, as the gRPC server reports it
    code = behavior_.grpc ? behavior_.grpc->error_status : proxy::http_to_grpc_status(response.status);
    message = response.body;
  } else if (const auto& g = behavior_.grpc; g && g->status != 0 && (g->fail_first_n == 0 || ex.attempt <= g->fail_first_n)) {
    code = g->status;
    message = g->message;
  }
  response.status = 200;
  response.headers.set("content-type", "application/grpc");
  response.body.clear();
  response.trailers = proxy::HeaderMap();
  proxy::HeaderMap& status_fields = code != 0 && trailers_only ? response.headers : response.trailers;
  if (code == 0 || !trailers_only) response.body = proxy::grpc_frame("");  // one empty message
  status_fields.set("grpc-status", std::to_string(code));
  if (!message.empty()) status_fields.set("grpc-message", proxy::grpc_percent_encode(message));
}

}  // namespace meshsim::services
