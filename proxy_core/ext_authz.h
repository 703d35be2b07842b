// Envoy's ext_authz HTTP filter with an HTTP authorization service, as
// istiod configures it for an envoyExtAuthzHttp extension provider named by
// a CUSTOM AuthorizationPolicy (pilot extauthz.go generateHTTPConfig): the
// check request it sends and what it makes of the answer. The sidecar sends
// the check through its cluster and waits (sidecar.cc).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proxy_core/http.h"
#include "proxy_core/resources.h"

namespace meshsim::proxy {

// The check (ext_authz_http_impl.cc RawHttpClientImpl::check): the request's
// method, pathPrefix + its path, its Host, Authorization and the headers
// includeRequestHeadersInCheck names (ClientConfig::toRequestMatchers), then
// includeAdditionalHeadersInCheck set over them; no body (Content-Length: 0).
HttpRequest ext_authz_check_request(const ExtensionProvider& provider, const HttpRequest& request);

struct ExtAuthzOutcome {
  enum class Status { kOk, kDenied, kError };
  Status status = Status::kError;
  // The local reply the client gets: the authorizer's denial, or
  // statusOnError with no body after an error without failOpen. None: the
  // request goes on.
  std::optional<HttpResponse> reply;
  // headersToDownstreamOnAllow: added to the app's response to the client.
  std::vector<std::pair<std::string, std::string>> to_client_on_allow;
  std::string why;  // in words, for explanations
};

// What the filter does with the authorization server's answer (`answer`
// none: the check got no response) (ext_authz_http_impl.cc toResponse; the
// filter's onComplete). A 200 allows, copying headersToUpstreamOnAllow onto
// `request`; a 5xx, like no answer, is an error: statusOnError unless
// failOpen; any other status denies with the server's status, body and
// headers (all but Host, or those headersToDownstreamOnDeny lists plus
// Location and WWW-Authenticate: ClientConfig::toClientMatchers).
ExtAuthzOutcome ext_authz_outcome(const ExtensionProvider& provider, const std::optional<HttpResponse>& answer,
                                  std::string_view failure, HttpRequest& request);

}  // namespace meshsim::proxy
