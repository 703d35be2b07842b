#include "proxy_core/ext_authz.h"

#include <algorithm>

#include "proxy_core/authz.h"

namespace meshsim::proxy {

HttpRequest ext_authz_check_request(const ExtensionProvider& provider, const HttpRequest& request) {
  HttpRequest check;
  check.protocol = WireProtocol::kHttp1;
  check.method = request.method;
  check.target = provider.path_prefix + request.target;
  check.authority = request.authority;
  for (size_t i = 0; i < request.headers.size(); ++i) {
    Header h = request.headers.field(i);
    if (iequals(h.name, "content-length")) continue;  // the check's own is 0
    // meshsim's own in-process markers (sim/world.cc x-meshsim-call) are no request header.
    if (h.name.size() > 10 && iequals(h.name.substr(0, 10), "x-meshsim-")) continue;
    if (!iequals(h.name, "authorization") && !ext_authz_header_listed(provider.include_request_headers, h.name)) continue;
    if (check.headers.has(h.name)) continue;  // joined below, at its first occurrence
    // The CheckRequest holds one value per name, repeats joined with ","
    // (check_request_utils.cc setHttpRequest), and the client sends that.
    check.headers.add(h.name, *request.headers.get_joined(h.name));
  }
  // Router::HeaderParser with OVERWRITE_IF_EXISTS_OR_ADD.
  for (const auto& [name, value] : provider.include_additional_headers) check.headers.set(name, value);
  return check;
}

ExtAuthzOutcome ext_authz_outcome(const ExtensionProvider& provider, const std::optional<HttpResponse>& answer,
                                  std::string_view failure, HttpRequest& request) {
  ExtAuthzOutcome out;
  const std::string asked = "ext_authz provider " + provider.name;
  if (!answer || answer->status >= 500) {
    out.status = ExtAuthzOutcome::Status::kError;
    std::string what = answer ? asked + " answered " + std::to_string(answer->status)
                              : "the check to " + asked + " got no response" + (failure.empty() ? "" : " (" + std::string(failure) + ")");
    if (provider.fail_open) {
      out.why = what + "; failOpen lets the request through";
      return out;
    }
    // The filter's onComplete: sendLocalReply(status_on_error, EMPTY_STRING).
    HttpResponse reply;
    reply.status = provider.status_on_error;
    out.reply = std::move(reply);
    out.why = what + ": statusOnError " + std::to_string(provider.status_on_error);
    return out;
  }
  if (answer->status == 200) {
    out.status = ExtAuthzOutcome::Status::kOk;
    for (Header h : answer->headers.all()) {
      if (ext_authz_header_listed(provider.headers_to_upstream_on_allow, h.name)) request.headers.set(h.name, h.value);
      if (ext_authz_header_listed(provider.headers_to_downstream_on_allow, h.name))
        out.to_client_on_allow.emplace_back(std::string(h.name), std::string(h.value));
    }
    out.why = asked + " allowed";
    return out;
  }
  out.status = ExtAuthzOutcome::Status::kDenied;
  HttpResponse reply;
  reply.status = answer->status;
  reply.body = answer->body;
  static const std::vector<std::string> kAlwaysToClient = {"location", "www-authenticate"};
  // The denial's local reply takes each listed header with all its values
  // (the filter's onComplete removes the name once, then adds every value).
  std::vector<std::string> taken;
  for (Header h : answer->headers.all()) {
    if (iequals(h.name, "content-length")) continue;  // the codec frames the body
    bool listed = provider.headers_to_downstream_on_deny.empty()
                      ? !iequals(h.name, "host")
                      : ext_authz_header_listed(provider.headers_to_downstream_on_deny, h.name) ||
                            ext_authz_header_listed(kAlwaysToClient, h.name);
    if (!listed) continue;
    std::string name = to_lower(h.name);
    if (std::find(taken.begin(), taken.end(), name) == taken.end()) {
      reply.headers.remove(name);
      taken.push_back(name);
    }
    reply.headers.add(name, h.value);
  }
  // prepareLocalReply: text/plain when the body has no type of its own; an
  // empty body carries no type.
  if (reply.body.empty()) reply.headers.remove("content-type");
  else if (!reply.headers.has("content-type")) reply.headers.set("content-type", "text/plain");
  out.reply = std::move(reply);
  out.why = asked + " denied with " + std::to_string(answer->status);
  return out;
}

}  // namespace meshsim::proxy
