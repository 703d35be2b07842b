#include "app/http_caller.h"

#include <algorithm>

#include <fmt/format.h>

#include "app/listen_address.h"
#include "proxy_core/codec.h"

namespace meshsim::app {

namespace net = boost::asio;
using net::ip::tcp;

namespace {

// Requests waiting for one name's DNS answer: beyond this they fail at once.
constexpr size_t kWaitingForDnsMax = 10'000;

}  // namespace

bool parse_resolve_entry(const std::string& entry, std::map<std::string, tcp::endpoint>& into, std::string* error) {
  auto eq = entry.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size()) {
    *error = fmt::format("--resolve \"{}\": want NAME=HOST:PORT or NAME:PORT=HOST:PORT", entry);
    return false;
  }
  std::string address_error;
  auto address = parse_address(entry.substr(eq + 1), &address_error);
  if (!address) {
    *error = fmt::format("--resolve \"{}\": {}", entry, address_error);
    return false;
  }
  into[entry.substr(0, eq)] = *address;
  return true;
}

bool parse_resolve_entries(const std::vector<std::string>& flags, const char* env_value,
                           std::map<std::string, tcp::endpoint>& into, std::string* error) {
  for (const auto& f : flags)
    if (!parse_resolve_entry(f, into, error)) return false;
  std::string env = env_value ? env_value : "";
  for (size_t start = 0; start < env.size();) {
    size_t comma = env.find(',', start);
    std::string entry = env.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!entry.empty() && !parse_resolve_entry(entry, into, error)) {
      *error = "MESHSIM_RESOLVE: " + *error;
      return false;
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return true;
}

HttpCaller::HttpCaller(net::io_context& io, Options options)
    : io_(io), options_(std::move(options)), transport_(io, options_.idle_connections_per_address_max), resolver_(io),
      sweep_timer_(io) {}

HttpCaller::~HttpCaller() { *alive_ = false; }

services::Caller HttpCaller::caller() {
  return [this](proxy::HttpRequest&& request, std::string host, uint32_t port, Done done) {
    send(std::move(request), host, port, std::move(done));
  };
}

void HttpCaller::send(proxy::HttpRequest request, const std::string& host, uint32_t port, Done done) {
  std::string key = fmt::format("{}:{}", host, port);
  auto [it, inserted] = targets_.try_emplace(key);
  Target& target = it->second;
  if (inserted) {
    target.endpoint.ip = key;
    target.endpoint.pod = host;
    auto fixed = options_.resolve.find(key);
    if (fixed == options_.resolve.end()) fixed = options_.resolve.find(host);
    if (fixed != options_.resolve.end()) {
      transport_.map(key, port, fixed->second);
      target.resolved = true;
    }
  }
  if (target.resolved) return dispatch(target, port, std::move(request), std::move(done));
  if (target.waiting.size() >= kWaitingForDnsMax) {
    net::post(io_, [done = std::move(done)] { done(std::nullopt); });
    return;
  }
  target.waiting.emplace_back(std::move(request), std::move(done));
  if (target.resolving) return;
  target.resolving = true;
  // A failed lookup is not remembered: the next call asks again (the Service may appear).
  resolver_.async_resolve(host, std::to_string(port),
                          [this, alive = alive_, key, port](const boost::system::error_code& ec, tcp::resolver::results_type results) {
                            if (!*alive) return;
                            Target& t = targets_[key];
                            t.resolving = false;
                            auto waiting = std::move(t.waiting);
                            t.waiting.clear();
                            if (!ec && !results.empty()) {
                              transport_.map(key, port, results.begin()->endpoint());
                              t.resolved = true;
                            }
                            for (auto& w : waiting) {
                              if (t.resolved) dispatch(t, port, std::move(w.first), std::move(w.second));
                              else w.second(std::nullopt);
                            }
                          });
}

void HttpCaller::dispatch(Target& target, uint32_t port, proxy::HttpRequest request, Done done) {
  uint64_t id = next_id_++;
  pending_[id] = {std::chrono::steady_clock::now() + options_.timeout, std::move(done)};
  arm_sweep();
  auto answered = [this, alive = alive_, id](proxy::TransportResult&& result) {
    if (!*alive) return;
    std::optional<proxy::HttpResponse> response;
    if (result.connected) {
      proxy::HttpResponse r;
      if (proxy::take_response(result, r)) response = std::move(r);
    }
    finish(id, std::move(response));
  };
  // An HTTP/2 request (a gRPC call) goes as an h2c stream with prior
  // knowledge, as a gRPC client speaks; anything else as HTTP/1.1.
  if (request.protocol == proxy::WireProtocol::kHttp2) {
    transport_.send_http2(target.endpoint, port, std::move(request), std::move(answered));
    return;
  }
  transport_.send(target.endpoint, port, {}, proxy::serialize(request), std::move(answered));
}

void HttpCaller::finish(uint64_t id, std::optional<proxy::HttpResponse>&& response) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;  // given up already (timeout)
  Done done = std::move(it->second.done);
  pending_.erase(it);
  done(std::move(response));
}

// One timer for all requests in flight, not one each: a sweep every tenth
// of the timeout (at least 10 ms) fails those past their deadline.
void HttpCaller::arm_sweep() {
  if (sweep_armed_) return;
  sweep_armed_ = true;
  auto period = std::max(std::chrono::milliseconds(10), options_.timeout / 10);
  sweep_timer_.expires_after(period);
  sweep_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec) return;
    sweep_armed_ = false;
    sweep();
  });
}

void HttpCaller::sweep() {
  auto now = std::chrono::steady_clock::now();
  std::vector<uint64_t> expired;
  for (const auto& [id, p] : pending_)
    if (p.deadline <= now) expired.push_back(id);
  for (uint64_t id : expired) finish(id, std::nullopt);
  if (!pending_.empty()) arm_sweep();
}

}  // namespace meshsim::app
