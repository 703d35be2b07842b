#include "proxy_core/ext_authz.h"

#include "proxy_core/authz.h"

namespace meshsim::proxy {

HttpRequest ext_authz_check_request(const ExtensionProvider& provider, const HttpRequest& request) {
  HttpRequest check;
  check.protocol = WireProtocol::kHttp1;
  check.method = request.method;
  check.target = provider.path_prefix + request.target;
  check.authority = request.authority;
  for (Header h : request.headers.all()) {
    if (iequals(h.name, "content-length")) continue;  // the check's own is 0
    if (iequals(h.name, "authorization") || ext_authz_header_listed(provider.include_request_headers, h.name))
      check.headers.add(h.name, h.value);
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
  for (Header h : answer->headers.all()) {
    if (iequals(h.name, "content-length")) continue;  // the codec frames the body
    bool listed = provider.headers_to_downstream_on_deny.empty()
                      ? !iequals(h.name, "host")
                      : ext_authz_header_listed(provider.headers_to_downstream_on_deny, h.name) ||
                            ext_authz_header_listed(kAlwaysToClient, h.name);
    if (listed) reply.headers.set(h.name, h.value);
  }
  // prepareLocalReply: text/plain when the body has no type of its own.
  if (!reply.body.empty() && !reply.headers.has("content-type")) reply.headers.set("content-type", "text/plain");
  out.reply = std::move(reply);
  out.why = asked + " denied with " + std::to_string(answer->status);
  return out;
}

}  // namespace meshsim::proxy
