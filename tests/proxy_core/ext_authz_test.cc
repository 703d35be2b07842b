// The ext_authz HTTP client's check request and what the filter makes of the
// answer, row by row. Sources: Envoy
// source/extensions/filters/common/ext_authz/ext_authz_http_impl.cc
// (ClientConfig::toRequestMatchers, toClientMatchers, RawHttpClientImpl::check,
// toResponse); Istio pilot/pkg/security/authz/builder/extauthz.go
// (generateHTTPConfig, generateHeaders).
#include "proxy_core/ext_authz.h"

#include <gtest/gtest.h>

#include "proxy_core/authz.h"

namespace meshsim::proxy {
namespace {

HttpRequest request_with(std::vector<std::pair<std::string, std::string>> headers) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/api/items?page=2";
  r.authority = "web:8000";
  for (const auto& [n, v] : headers) r.headers.add(n, v);
  r.body = "payload";
  return r;
}

TEST(ExtAuthzCheckRequest, CarriesMethodPathHostAuthorizationAndTheListedHeaders) {
  ExtensionProvider p;
  p.name = "checker";
  p.include_request_headers = {"x-ext-authz", "X-Team-*", "*-tenant"};
  HttpRequest r = request_with({{"authorization", "Bearer t"},
                                {"x-ext-authz", "allow"},
                                {"x-team-id", "7"},
                                {"x-acme-tenant", "a"},
                                {"cookie", "s=1"},
                                {"content-length", "7"}});
  HttpRequest check = ext_authz_check_request(p, r);
  EXPECT_EQ(check.method, "POST");             // the request's :method (toRequestMatchers)
  EXPECT_EQ(check.target, "/api/items?page=2");  // its :path, query included
  EXPECT_EQ(check.authority, "web:8000");      // its :authority
  EXPECT_EQ(check.headers.get("authorization"), "Bearer t");  // always sent
  EXPECT_EQ(check.headers.get("x-ext-authz"), "allow");       // exact, case-insensitive (generateHeaders IgnoreCase)
  EXPECT_EQ(check.headers.get("x-team-id"), "7");             // "X-Team-*": a prefix
  EXPECT_EQ(check.headers.get("x-acme-tenant"), "a");         // "*-tenant": a suffix
  EXPECT_FALSE(check.headers.has("cookie"));                  // not listed
  EXPECT_FALSE(check.headers.has("content-length"));          // the check's own is 0 (lengthZeroHeader)
  EXPECT_TRUE(check.body.empty());                            // no includeRequestBodyInCheck
}

// check_request_utils.cc setHttpRequest keeps one value per name, repeats
// joined with ","; meshsim's in-process call marker is no request header.
TEST(ExtAuthzCheckRequest, RepeatsJoinedAndMeshsimMarkersLeftOut) {
  ExtensionProvider p;
  p.include_request_headers = {"x-*"};
  HttpRequest check = ext_authz_check_request(
      p, request_with({{"x-ext-authz", "allow"}, {"x-meshsim-call", "7"}, {"x-ext-authz", "allow"}}));
  EXPECT_EQ(check.headers.get_joined("x-ext-authz"), "allow,allow");
  EXPECT_EQ(check.headers.size(), 1u);
}

TEST(ExtAuthzCheckRequest, PathPrefixAndAdditionalHeaders) {
  ExtensionProvider p;
  p.path_prefix = "/check";  // RawHttpClientImpl::check: StrCat(path_prefix, :path)
  p.include_request_headers = {"x-user"};
  p.include_additional_headers = {{"x-from", "mesh"}, {"x-user", "overwritten"}};  // OVERWRITE_IF_EXISTS_OR_ADD
  HttpRequest check = ext_authz_check_request(p, request_with({{"x-user", "alice"}}));
  EXPECT_EQ(check.target, "/check/api/items?page=2");
  EXPECT_EQ(check.headers.get("x-from"), "mesh");
  EXPECT_EQ(check.headers.get("x-user"), "overwritten");
}

HttpResponse answer(int status, std::vector<std::pair<std::string, std::string>> headers, std::string body = "") {
  HttpResponse r;
  r.status = status;
  for (const auto& [n, v] : headers) r.headers.add(n, v);
  r.body = std::move(body);
  return r;
}

TEST(ExtAuthzOutcome, TableOfAnswers) {
  struct Row {
    const char* name;  // and its source
    std::optional<HttpResponse> answer;
    bool fail_open;
    int status_on_error;
    ExtAuthzOutcome::Status status;
    std::optional<int> reply_status;  // none: the request goes on
    const char* reply_body;
  };
  const Row rows[] = {
      {"200 allows (toResponse: Code::OK)", answer(200, {}), false, 403, ExtAuthzOutcome::Status::kOk, std::nullopt, ""},
      {"403 denies with its body", answer(403, {}, "no"), false, 403, ExtAuthzOutcome::Status::kDenied, 403, "no"},
      {"401 denies with 401 (any non-200 below 500)", answer(401, {}, "who?"), false, 403, ExtAuthzOutcome::Status::kDenied,
       401, "who?"},
      {"302 denies too: only 200 allows", answer(302, {{"location", "/login"}}), false, 403, ExtAuthzOutcome::Status::kDenied,
       302, ""},
      {"5xx is an error: status_on_error, no body (is5xx -> errorResponse)", answer(503, {}, "down"), false, 403,
       ExtAuthzOutcome::Status::kError, 403, ""},
      {"no answer is an error (onFailure)", std::nullopt, false, 401, ExtAuthzOutcome::Status::kError, 401, ""},
      {"failure_mode_allow lets an error through", answer(500, {}), true, 403, ExtAuthzOutcome::Status::kError,
       std::nullopt, ""},
      {"failure_mode_allow does not rescue a denial", answer(403, {}), true, 403, ExtAuthzOutcome::Status::kDenied, 403, ""},
  };
  for (const Row& row : rows) {
    ExtensionProvider p;
    p.name = "checker";
    p.fail_open = row.fail_open;
    p.status_on_error = row.status_on_error;
    HttpRequest request;
    ExtAuthzOutcome o = ext_authz_outcome(p, row.answer, "", request);
    EXPECT_EQ(o.status, row.status) << row.name;
    EXPECT_EQ(o.reply.has_value(), row.reply_status.has_value()) << row.name;
    if (o.reply && row.reply_status) {
      EXPECT_EQ(o.reply->status, *row.reply_status) << row.name;
      EXPECT_EQ(o.reply->body, row.reply_body) << row.name;
    }
  }
}

TEST(ExtAuthzOutcome, DenialHeadersFollowToClientMatchers) {
  HttpResponse denial = answer(403, {{"x-result", "denied"}, {"x-other", "1"}, {"location", "/l"}, {"host", "authz"},
                                     {"content-type", "application/json"}},
                               "{}");
  ExtensionProvider all;  // no headersToDownstreamOnDeny: every header but Host
  HttpRequest request;
  ExtAuthzOutcome o = ext_authz_outcome(all, denial, "", request);
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->headers.get("x-result"), "denied");
  EXPECT_EQ(o.reply->headers.get("x-other"), "1");
  EXPECT_FALSE(o.reply->headers.has("host"));
  EXPECT_EQ(o.reply->headers.get("content-type"), "application/json");  // the answer's own type is kept

  ExtensionProvider listed;
  listed.headers_to_downstream_on_deny = {"x-result"};  // the list, plus Location and WWW-Authenticate
  o = ext_authz_outcome(listed, denial, "", request);
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->headers.get("x-result"), "denied");
  EXPECT_FALSE(o.reply->headers.has("x-other"));
  EXPECT_EQ(o.reply->headers.get("location"), "/l");
  EXPECT_EQ(o.reply->headers.get("content-type"), "text/plain");  // prepareLocalReply's default for a body
}

// The filter's onComplete (Denied): each header name removed once, then every
// value added; prepareLocalReply gives an empty body no content type.
TEST(ExtAuthzOutcome, DenialKeepsRepeatedHeadersAndAnEmptyBodyHasNoType) {
  ExtensionProvider p;
  HttpRequest request;
  ExtAuthzOutcome o = ext_authz_outcome(
      p, answer(401, {{"set-cookie", "a=1"}, {"set-cookie", "b=2"}, {"content-type", "text/html"}}), "", request);
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->headers.get_joined("set-cookie"), "a=1,b=2");
  EXPECT_FALSE(o.reply->headers.has("content-type"));
}

TEST(ExtAuthzOutcome, AnAllowingAnswerSetsTheListedHeadersOnTheRequest) {
  ExtensionProvider p;
  p.headers_to_upstream_on_allow = {"x-user-*"};
  p.headers_to_downstream_on_allow = {"x-trace-note"};
  HttpRequest request;
  request.headers.add("x-user-id", "spoofed");
  ExtAuthzOutcome o =
      ext_authz_outcome(p, answer(200, {{"x-user-id", "alice"}, {"x-trace-note", "n"}, {"x-secret", "s"}}), "", request);
  EXPECT_EQ(request.headers.get("x-user-id"), "alice");  // set over what the client sent
  EXPECT_FALSE(request.headers.has("x-secret"));
  ASSERT_EQ(o.to_client_on_allow.size(), 1u);
  EXPECT_EQ(o.to_client_on_allow[0].first, "x-trace-note");
}

}  // namespace
}  // namespace meshsim::proxy
