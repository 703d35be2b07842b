// `meshsim say` understands how people phrase things (issue 17): every row
// is a sentence written by us, against the talk's mesh (frontend, bar v1/v2
// with a DestinationRule, foo v1 without one, curl), and the key fields of
// the YAML it must produce, read back with yaml-cpp. Each row names the
// Istio page whose resource shape it follows. Every produced YAML must also
// load without a diagnostic. Refusals are in say_refusals_test.cc.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "config/loader.h"
#include "config/say.h"
#include "tests/config/say_table.h"
#include "tests/fixtures/fixture.h"

namespace meshsim::config {
namespace {

// Where each row's expected resource shape comes from.
constexpr const char* kTalk = "the talk: ../shared/seed/hightower-istio-talk-transcript.txt";
constexpr const char* kRouting = "istio.io/latest/docs/tasks/traffic-management/request-routing";
constexpr const char* kShifting = "istio.io/latest/docs/tasks/traffic-management/traffic-shifting";
constexpr const char* kFaults = "istio.io/latest/docs/tasks/traffic-management/fault-injection";
constexpr const char* kTimeouts = "istio.io/latest/docs/tasks/traffic-management/request-timeouts";
constexpr const char* kRetries = "istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry";
constexpr const char* kMirroring = "istio.io/latest/docs/tasks/traffic-management/mirroring";
constexpr const char* kMatch = "istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPMatchRequest";
constexpr const char* kDeny = "istio.io/latest/docs/tasks/security/authorization/authz-deny";
constexpr const char* kDelete = "meshsim: allow/reset delete what deny and the route sentences created";

// Route checks used by many rows (paths under spec).
#define ALL_TO(v) "http.size=1; http.0.route.size=1; http.0.route.0.destination.host=bar; http.0.route.0.destination.subset=" v
#define SPLIT(a, wa, b, wb)                                                                                                 \
  "http.size=1; http.0.route.0.destination.subset=" a "; http.0.route.0.weight=" wa "; http.0.route.1.destination.subset=" b \
  "; http.0.route.1.weight=" wb
#define AGENT_V2(re) "http.0.match.0.headers.user-agent.regex=" re "; http.0.route.0.destination.subset=v2; http.1.route.0.destination.subset=v1"
#define JASON_V2 "http.0.match.0.headers.end-user.exact=jason; http.0.route.0.destination.subset=v2; http.1.route.0.destination.subset=v1"
#define DENY_FROM(c) "action=DENY; selector.matchLabels.app=bar; rules.0.from.0.source.principals.0=cluster.local/ns/default/sa/" c
#define DELAY(d, p) "http.size=1; http.0.fault.delay.fixedDelay=" d "; http.0.fault.delay.percentage.value=" p
#define ABORT(s, p) "http.size=1; http.0.fault.abort.httpStatus=" s "; http.0.fault.abort.percentage.value=" p

const SayRow kPhrasings[] = {
    // route: everything to one version
    {"route all traffic to bar v1", "VirtualService/bar", ALL_TO("v1"), kRouting},
    {"send all bar traffic to v1", "VirtualService/bar", ALL_TO("v1"), kRouting},
    {"send everything for bar to version 1", "VirtualService/bar", ALL_TO("v1"), kRouting},
    {"move bar to v2", "VirtualService/bar", ALL_TO("v2"), kRouting},
    {"switch bar over to version two", "VirtualService/bar", ALL_TO("v2"), kRouting},
    {"pin bar to v1", "VirtualService/bar", ALL_TO("v1"), kRouting},
    {"point bar at v2", "VirtualService/bar", ALL_TO("v2"), kRouting},
    {"all bar requests should go to v1", "VirtualService/bar", ALL_TO("v1"), kRouting},
    {"bar v1 only please", "VirtualService/bar", ALL_TO("v1"), kRouting},
    {"please route all traffic to bar v1", "VirtualService/bar", ALL_TO("v1"), kRouting},
    {"ROUTE ALL TRAFFIC TO BAR V1", "VirtualService/bar", ALL_TO("v1"), kRouting},
    {"Route all traffic to the bar service, version 2.", "VirtualService/bar", ALL_TO("v2"), kRouting},
    {"migrate 100% of bar traffic to v2", "VirtualService/bar", ALL_TO("v2"), kShifting},
    {"direct bar's traffic to v2", "VirtualService/bar", ALL_TO("v2"), kRouting},
    {"route foo to v1", "DestinationRule/foo", "host=foo; subsets.size=1; subsets.0.name=v1; subsets.0.labels.version=v1", kRouting},
    {"send all foo traffic to foo v1", "VirtualService/foo", "http.0.route.0.destination.host=foo; http.0.route.0.destination.subset=v1", kRouting},
    {"route all traffic to bar v1", "reply", "All traffic to the bar service will go to version v1", kRouting},
    // route: shares
    {"shift 20% of bar traffic to v2", "VirtualService/bar", SPLIT("v1", "80", "v2", "20"), kShifting},
    {"shift 20 percent of bar traffic to v2", "VirtualService/bar", SPLIT("v1", "80", "v2", "20"), kShifting},
    {"shift twenty percent of bar traffic to v2", "VirtualService/bar", SPLIT("v1", "80", "v2", "20"), kShifting},
    {"send a tenth of bar traffic to v2", "VirtualService/bar", SPLIT("v1", "90", "v2", "10"), kShifting},
    {"send half of bar's traffic to v2", "VirtualService/bar", SPLIT("v1", "50", "v2", "50"), kShifting},
    {"move a quarter of the bar traffic to v2", "VirtualService/bar", SPLIT("v1", "75", "v2", "25"), kShifting},
    {"send three quarters of bar traffic to v2", "VirtualService/bar", SPLIT("v1", "25", "v2", "75"), kShifting},
    {"canary bar v2 at 10%", "VirtualService/bar", SPLIT("v1", "90", "v2", "10"), kShifting},
    {"canary bar v2 with 5 percent of traffic", "VirtualService/bar", SPLIT("v1", "95", "v2", "5"), kShifting},
    {"split bar traffic 80/20 between v1 and v2", "VirtualService/bar", SPLIT("v1", "80", "v2", "20"), kShifting},
    {"split bar 50-50 between v1 and v2", "VirtualService/bar", SPLIT("v1", "50", "v2", "50"), kShifting},
    {"split bar 90:10 across v1 and v2", "VirtualService/bar", SPLIT("v1", "90", "v2", "10"), kShifting},
    {"split bar traffic evenly between v1 and v2", "VirtualService/bar", SPLIT("v1", "50", "v2", "50"), kShifting},
    {"balance bar equally across v1 and v2", "VirtualService/bar", SPLIT("v1", "50", "v2", "50"), kShifting},
    {"send 90% of bar traffic to v1 and 10% to v2", "VirtualService/bar", SPLIT("v1", "90", "v2", "10"), kShifting},
    {"route 70% of bar to v1 and 30% to v2", "VirtualService/bar", SPLIT("v1", "70", "v2", "30"), kShifting},
    {"v1 gets 60% and v2 gets 40% of bar", "VirtualService/bar", SPLIT("v1", "60", "v2", "40"), kShifting},
    {"bar: v2 25%, v1 75%", "VirtualService/bar", SPLIT("v2", "25", "v1", "75"), kShifting},
    {"shift 30% of bar from v1 to v2", "VirtualService/bar", SPLIT("v1", "70", "v2", "30"), kShifting},
    {"move 40 percent of bar off v2 onto v1", "VirtualService/bar", SPLIT("v2", "60", "v1", "40"), kShifting},
    {"send 10% of bar to v2 and keep the rest on v1", "VirtualService/bar", SPLIT("v1", "90", "v2", "10"), kShifting},
    {"route one in ten bar requests to v2", "VirtualService/bar", SPLIT("v1", "90", "v2", "10"), kShifting},
    {"send 1 out of 4 bar requests to v2", "VirtualService/bar", SPLIT("v1", "75", "v2", "25"), kShifting},
    {"roll out bar v2 to 25% of traffic", "VirtualService/bar", SPLIT("v1", "75", "v2", "25"), kShifting},
    {"send 10% to v2", "VirtualService/bar", SPLIT("v1", "90", "v2", "10"), kShifting},
    {"i want half of the traffic to bar to hit v2", "VirtualService/bar", SPLIT("v1", "50", "v2", "50"), kShifting},
    {"canary v2 for bar at 1 percent", "VirtualService/bar", SPLIT("v1", "99", "v2", "1"), kShifting},
    {"shift 100% of bar to v1", "VirtualService/bar", ALL_TO("v1"), kShifting},
    {"shift 0% of bar traffic to v2", "VirtualService/bar", SPLIT("v1", "100", "v2", "0"), kShifting},
    {"shift 50 per cent of bar traffic to v2", "VirtualService/bar", SPLIT("v1", "50", "v2", "50"), kShifting},
    {"shift 20% of bar traffic to v2", "reply", "20% of the bar service's traffic will go to version v2", kShifting},
    {"route all traffic to bar v3", "reply", "Note: the mesh runs no bar version v3 yet (it has v1, v2)", kShifting},
    {"route all traffic to bar v3", "DestinationRule/bar", "subsets.size=3; subsets.2.name=v3; subsets.2.labels.version=v3", kShifting},
    {"split foo traffic 50/50 between v1 and v2", "DestinationRule/foo", "subsets.size=2; subsets.0.name=v1; subsets.1.name=v2", kShifting},
    // route: by user agent (the talk's mobile rule and its everyday variants)
    {"route mobile traffic to bar v2", "VirtualService/bar", AGENT_V2(".*[Mm]obile.*"), kTalk},
    {"route mobile traffic to bar v2", "reply", "Traffic from mobile clients will be routed to bar version v2", kTalk},
    {"Route mobile traffic to bar v2.", "VirtualService/bar", AGENT_V2(".*[Mm]obile.*"), kTalk},
    {"route mobile users to bar v2", "VirtualService/bar", AGENT_V2(".*[Mm]obile.*"), kTalk},
    {"send mobile clients to bar version 2", "VirtualService/bar", AGENT_V2(".*[Mm]obile.*"), kTalk},
    {"mobile devices should get bar v2", "VirtualService/bar", AGENT_V2(".*[Mm]obile.*"), kTalk},
    {"show the new bar v2 only to mobile phones", "VirtualService/bar", AGENT_V2(".*[Mm]obile.*"), kTalk},
    {"let mobile users see bar v2", "VirtualService/bar", AGENT_V2(".*[Mm]obile.*"), kTalk},
    {"route mobile traffic to v2", "VirtualService/bar", AGENT_V2(".*[Mm]obile.*"), kTalk},
    {"route browser traffic to bar v2", "VirtualService/bar", AGENT_V2(".*(Mozilla|Chrome|Safari|Firefox).*"), kRouting},
    {"send desktop users to bar v2", "VirtualService/bar", AGENT_V2(".*(Mozilla|Chrome|Safari|Firefox).*"), kRouting},
    {"send Chrome users to bar v2", "VirtualService/bar", AGENT_V2(".*Chrome.*"), kRouting},
    {"route Firefox traffic to bar v2", "VirtualService/bar", AGENT_V2(".*Firefox.*"), kRouting},
    {"route Safari users to bar v2", "VirtualService/bar", AGENT_V2(".*Safari.*"), kRouting},
    {"send iPhone users to bar v2", "VirtualService/bar", AGENT_V2(".*iPhone.*"), kRouting},
    {"route iphones to bar v2", "VirtualService/bar", AGENT_V2(".*iPhone.*"), kRouting},
    {"send iPads to bar v2", "VirtualService/bar", AGENT_V2(".*iPad.*"), kRouting},
    {"route android devices to bar v2", "VirtualService/bar", AGENT_V2(".*Android.*"), kRouting},
    {"route requests with user agent curl to bar v2", "VirtualService/bar", AGENT_V2(".*curl.*"), kRouting},
    {"route requests whose user-agent contains okhttp to bar v2", "VirtualService/bar", AGENT_V2(".*okhttp.*"), kRouting},
    {"send user agent chrome to bar v2", "VirtualService/bar", AGENT_V2(".*Chrome.*"), kRouting},
    {"send Chrome users to bar v2", "reply", "Traffic from Chrome browsers will be routed to bar version v2", kRouting},
    // route: by header (bookinfo's end-user jason and others)
    {"route traffic with header end-user jason to bar v2", "VirtualService/bar", JASON_V2, kRouting},
    {"send end-user jason to bar v2", "VirtualService/bar", JASON_V2, kRouting},
    {"route user jason to bar v2", "VirtualService/bar", JASON_V2, kRouting},
    {"send users named jason to bar v2", "VirtualService/bar", JASON_V2, kRouting},
    {"route traffic for users logged in as jason to bar v2", "VirtualService/bar", JASON_V2, kRouting},
    {"route requests with end-user: jason to bar v2", "VirtualService/bar", JASON_V2, kRouting},
    {"route requests with end-user=jason to bar v2", "VirtualService/bar", JASON_V2, kRouting},
    {"route jason's requests to bar v2", "VirtualService/bar", JASON_V2, kRouting},
    {"when the end user is jason, send bar traffic to v2", "VirtualService/bar", JASON_V2, kRouting},
    {"route traffic with header x-canary true to bar v2", "VirtualService/bar", "http.0.match.0.headers.x-canary.exact=true; http.0.route.0.destination.subset=v2", kMatch},
    {"send requests where the x-canary header is true to bar v2", "VirtualService/bar", "http.0.match.0.headers.x-canary.exact=true; http.0.route.0.destination.subset=v2", kMatch},
    {"route traffic with x-env=staging to bar v2", "VirtualService/bar", "http.0.match.0.headers.x-env.exact=staging; http.1.route.0.destination.subset=v1", kMatch},
    {"route requests whose header x-group starts with beta to bar v2", "VirtualService/bar", "http.0.match.0.headers.x-group.prefix=beta", kMatch},
    {"route requests with a cookie header containing tester to bar v2", "VirtualService/bar", "http.0.match.0.headers.cookie.regex=.*tester.*", kMatch},
    {"route traffic with header end-user jason to bar v2", "reply", "Traffic with end-user jason will be routed to bar version v2", kRouting},
    {"send 10% of mobile traffic to bar v2", "VirtualService/bar", "http.0.match.0.headers.user-agent.regex=.*[Mm]obile.*; http.0.route.0.weight=90; http.0.route.1.weight=10; http.1.route.0.destination.subset=v1", kShifting},
    // route: by caller (sourceLabels)
    {"route traffic from frontend to bar v2", "VirtualService/bar", "http.0.match.0.sourceLabels.app=frontend; http.0.route.0.destination.subset=v2; http.1.route.0.destination.subset=v1", kMatch},
    {"when frontend calls bar, route it to v2", "VirtualService/bar", "http.0.match.0.sourceLabels.app=frontend; http.0.route.0.destination.subset=v2", kMatch},
    {"send frontend's calls to bar to v2", "VirtualService/bar", "http.0.match.0.sourceLabels.app=frontend; http.0.route.0.destination.subset=v2", kMatch},
    {"route mobile traffic from frontend to bar v2", "VirtualService/bar", "http.0.match.0.headers.user-agent.regex=.*[Mm]obile.*; http.0.match.0.sourceLabels.app=frontend", kMatch},
    {"route calls from curl to bar v1", "VirtualService/bar", "http.0.match.0.sourceLabels.app=curl; http.0.route.0.destination.subset=v1; http.1.route.0.destination.subset=-", kMatch},
    // deny
    {"deny access to the bar service", "AuthorizationPolicy/deny-all-to-bar", "action=DENY; selector.matchLabels.app=bar; rules.size=1; rules.0.from=-", kTalk},
    {"Deny access to the bar service.", "AuthorizationPolicy/deny-all-to-bar", "action=DENY", kTalk},
    {"deny access to the bar service from the frontend service", "AuthorizationPolicy/deny-frontend-to-bar", DENY_FROM("frontend"), kTalk},
    {"Please deny access to the bar service from the frontend service!", "AuthorizationPolicy/deny-frontend-to-bar", DENY_FROM("frontend"), kTalk},
    {"deny access to the bar service from the frontend service", "reply", "Access to the bar service is prohibited from the frontend service", kTalk},
    {"block frontend from calling bar", "AuthorizationPolicy/deny-frontend-to-bar", DENY_FROM("frontend"), kDeny},
    {"block bar", "AuthorizationPolicy/deny-all-to-bar", "rules.0.from=-", kDeny},
    {"block all traffic to bar", "AuthorizationPolicy/deny-all-to-bar", "action=DENY", kDeny},
    {"forbid frontend from accessing bar", "AuthorizationPolicy/deny-frontend-to-bar", DENY_FROM("frontend"), kDeny},
    {"reject calls from frontend to bar", "AuthorizationPolicy/deny-frontend-to-bar", DENY_FROM("frontend"), kDeny},
    {"stop frontend calling bar", "AuthorizationPolicy/deny-frontend-to-bar", DENY_FROM("frontend"), kDeny},
    {"stop frontend from talking to bar", "AuthorizationPolicy/deny-frontend-to-bar", DENY_FROM("frontend"), kDeny},
    {"prevent frontend from reaching bar", "AuthorizationPolicy/deny-frontend-to-bar", DENY_FROM("frontend"), kDeny},
    {"disallow frontend to bar", "AuthorizationPolicy/deny-frontend-to-bar", DENY_FROM("frontend"), kDeny},
    {"deny frontend access to bar", "AuthorizationPolicy/deny-frontend-to-bar", DENY_FROM("frontend"), kDeny},
    {"when frontend calls bar, deny it", "AuthorizationPolicy/deny-frontend-to-bar", DENY_FROM("frontend"), kDeny},
    {"frontend should not be able to call bar: block it", "AuthorizationPolicy/deny-frontend-to-bar", DENY_FROM("frontend"), kDeny},
    {"cut off bar", "AuthorizationPolicy/deny-all-to-bar", "action=DENY", kDeny},
    {"ok google, talk to istio: deny access to the bar service", "AuthorizationPolicy/deny-all-to-bar", "action=DENY", kTalk},
    {"stop sending traffic to bar", "AuthorizationPolicy/deny-all-to-bar", "rules.0.from=-", kDeny},
    {"deny bar from calling foo", "AuthorizationPolicy/deny-bar-to-foo", "selector.matchLabels.app=foo; rules.0.from.0.source.principals.0=cluster.local/ns/default/sa/bar", kDeny},
    {"ban curl from calling frontend", "AuthorizationPolicy/deny-curl-to-frontend", "selector.matchLabels.app=frontend; rules.0.from.0.source.principals.0=cluster.local/ns/default/sa/curl", kDeny},
    {"block frontend and curl from calling bar", "AuthorizationPolicy/deny-frontend-curl-to-bar", DENY_FROM("frontend") "; rules.0.from.0.source.principals.1=cluster.local/ns/default/sa/curl", kDeny},
    {"block the front end from calling bar", "AuthorizationPolicy/deny-frontend-to-bar", DENY_FROM("frontend"), kTalk},
    // allow: removes what deny created
    {"allow access to the bar service", "delete", "AuthorizationPolicy/default/deny-all-to-bar", kTalk},
    {"allow access to the bar service from frontend", "delete", "AuthorizationPolicy/default/deny-frontend-to-bar", kTalk},
    {"allow access to the bar service from frontend", "reply", "Access to the bar service is permitted from the frontend service", kTalk},
    {"allow frontend to call bar", "delete", "AuthorizationPolicy/default/deny-frontend-to-bar", kDelete},
    {"let frontend call bar", "delete", "AuthorizationPolicy/default/deny-frontend-to-bar", kDelete},
    {"permit frontend to access bar", "delete", "AuthorizationPolicy/default/deny-frontend-to-bar", kDelete},
    {"unblock bar", "delete", "AuthorizationPolicy/default/deny-all-to-bar", kDelete},
    {"unblock frontend from calling bar", "delete", "AuthorizationPolicy/default/deny-frontend-to-bar", kDelete},
    {"restore access to bar", "delete", "AuthorizationPolicy/default/deny-all-to-bar", kDelete},
    {"remove the block on bar", "delete", "AuthorizationPolicy/default/deny-all-to-bar", kDelete},
    {"undo the deny policy on bar", "delete", "AuthorizationPolicy/default/deny-all-to-bar", kDelete},
    {"grant frontend access to bar again", "delete", "AuthorizationPolicy/default/deny-frontend-to-bar", kDelete},
    {"let bar call foo again", "delete", "AuthorizationPolicy/default/deny-bar-to-foo", kDelete},
    // delay
    {"add a 500ms delay to foo", "VirtualService/foo", DELAY("500ms", "100") "; http.0.route.0.destination.host=foo", kFaults},
    {"add a 500ms delay to foo", "reply", "Requests to the foo service will be delayed by 500ms (100% of them)", kFaults},
    {"inject a 2s delay into bar", "VirtualService/bar", DELAY("2s", "100"), kFaults},
    {"inject a 2s delay into bar for 10%", "VirtualService/bar", DELAY("2s", "10"), kFaults},
    {"delay foo by 2 seconds", "VirtualService/foo", DELAY("2s", "100"), kFaults},
    {"delay bar requests by 1.5 seconds", "VirtualService/bar", DELAY("1500ms", "100"), kFaults},
    {"slow down bar by half a second", "VirtualService/bar", DELAY("500ms", "100"), kFaults},
    {"slow down half of bar requests by 2s", "VirtualService/bar", DELAY("2s", "50"), kFaults},
    {"add 3 seconds of latency to bar", "VirtualService/bar", DELAY("3s", "100"), kFaults},
    {"add latency of 200 ms to foo", "VirtualService/foo", DELAY("200ms", "100"), kFaults},
    {"make bar slower by a second", "VirtualService/bar", DELAY("1s", "100"), kFaults},
    {"delay 10 percent of foo calls by 5s", "VirtualService/foo", DELAY("5s", "10"), kFaults},
    {"introduce a 100ms lag on bar", "VirtualService/bar", DELAY("100ms", "100"), kFaults},
    {"delay a tenth of bar traffic by 1s", "VirtualService/bar", DELAY("1s", "10"), kFaults},
    {"add a 1 minute delay to foo", "VirtualService/foo", DELAY("60s", "100"), kFaults},
    {"delay bar by 250 milliseconds for 0.5% of requests", "VirtualService/bar", DELAY("250ms", "0.5"), kFaults},
    {"make a quarter of foo requests 2 seconds slower", "VirtualService/foo", DELAY("2s", "25"), kFaults},
    {"inject a 2s delay fault into bar", "VirtualService/bar", DELAY("2s", "100"), kFaults},
    {"add a 2s delay to bar for frontend", "VirtualService/bar", "http.size=2; http.0.match.0.sourceLabels.app=frontend; http.0.fault.delay.fixedDelay=2s; http.1.fault=-", kFaults},
    {"delay jason's requests to bar by 2s", "VirtualService/bar", "http.0.match.0.headers.end-user.exact=jason; http.0.fault.delay.fixedDelay=2s; http.1.route.0.destination.host=bar", kFaults},
    {"delay mobile requests to bar by 3s", "VirtualService/bar", "http.0.match.0.headers.user-agent.regex=.*[Mm]obile.*; http.0.fault.delay.fixedDelay=3s", kFaults},
    {"delay bar 2s", "VirtualService/bar", DELAY("2s", "100"), kFaults},
    {"slow down frontend's calls to bar by 1s", "VirtualService/bar", "http.0.match.0.sourceLabels.app=frontend; http.0.fault.delay.fixedDelay=1s", kFaults},
    // abort
    {"inject a 503 abort into bar for 10%", "VirtualService/bar", ABORT("503", "10"), kFaults},
    {"abort 50% of bar requests with 503", "VirtualService/bar", ABORT("503", "50") "; http.0.route.0.destination.host=bar", kFaults},
    {"abort 50% of bar requests with 503", "reply", "50% of requests to the bar service will fail with 503", kFaults},
    {"abort half of bar requests with a 500", "VirtualService/bar", ABORT("500", "50"), kFaults},
    {"fail 10% of foo requests with 503", "VirtualService/foo", ABORT("503", "10"), kFaults},
    {"make bar fail with 500", "VirtualService/bar", ABORT("500", "100"), kFaults},
    {"make half of bar requests fail with 503", "VirtualService/bar", ABORT("503", "50"), kFaults},
    {"return 503 for 10% of foo requests", "VirtualService/foo", ABORT("503", "10"), kFaults},
    {"return errors for bar with status 502", "VirtualService/bar", ABORT("502", "100"), kFaults},
    {"bar should return 503s for a quarter of requests", "VirtualService/bar", ABORT("503", "25"), kFaults},
    {"make foo unavailable for 20% of requests", "VirtualService/foo", ABORT("503", "20"), kFaults},
    {"inject a 404 fault into bar", "VirtualService/bar", ABORT("404", "100"), kFaults},
    {"break bar with 500 errors", "VirtualService/bar", ABORT("500", "100"), kFaults},
    {"abort all bar requests with 503", "VirtualService/bar", ABORT("503", "100"), kFaults},
    {"abort 1 in 4 requests to bar with 503", "VirtualService/bar", ABORT("503", "25"), kFaults},
    {"abort bar requests with 429 for 5 percent", "VirtualService/bar", ABORT("429", "5"), kFaults},
    {"make bar answer 500 to half the requests", "VirtualService/bar", ABORT("500", "50"), kFaults},
    {"fail bar with internal server errors", "VirtualService/bar", ABORT("500", "100"), kFaults},
    {"return errors for bar: bad gateway", "VirtualService/bar", ABORT("502", "100"), kFaults},
    {"return 503 to mobile users of bar", "VirtualService/bar", "http.0.match.0.headers.user-agent.regex=.*[Mm]obile.*; http.0.fault.abort.httpStatus=503; http.1.fault=-", kFaults},
    {"abort bar 503", "VirtualService/bar", ABORT("503", "100"), kFaults},
    {"abort bar for mobile users with 503", "VirtualService/bar", "http.0.match.0.headers.user-agent.regex=.*[Mm]obile.*; http.0.fault.abort.httpStatus=503; http.1.route.0.destination.host=bar", kFaults},
    {"fail frontend's calls to bar with 503", "VirtualService/bar", "http.0.match.0.sourceLabels.app=frontend; http.0.fault.abort.httpStatus=503", kFaults},
    // retry
    {"retry bar requests 3 times", "VirtualService/bar", "http.0.retries.attempts=3; http.0.retries.perTryTimeout=-; http.0.route.0.destination.host=bar", kRetries},
    // Istio's default retryOn retries no status the app answers (retry.go defaultRetryOn, 1.24+): the reply says so.
    {"retry bar requests 3 times", "reply", "will be retried up to 3 times when connecting fails or the stream is refused", kRetries},
    {"retry bar 3 times on 5xx", "reply", "Failed requests to the bar service will be retried up to 3 times on 5xx", kRetries},
    {"retry bar 3 times", "VirtualService/bar", "http.0.retries.attempts=3", kRetries},
    {"retry failed calls to bar up to 5 times", "VirtualService/bar", "http.0.retries.attempts=5", kRetries},
    {"give bar 2 retries", "VirtualService/bar", "http.0.retries.attempts=2", kRetries},
    {"retry bar twice", "VirtualService/bar", "http.0.retries.attempts=2", kRetries},
    {"retry bar once", "VirtualService/bar", "http.0.retries.attempts=1", kRetries},
    {"retry foo three times", "VirtualService/foo", "http.0.retries.attempts=3", kRetries},
    {"retry bar 3 times with a 1s per-try timeout", "VirtualService/bar", "http.0.retries.attempts=3; http.0.retries.perTryTimeout=1s; http.0.timeout=-", kRetries},
    {"retry bar 4 times, 500ms per try", "VirtualService/bar", "http.0.retries.attempts=4; http.0.retries.perTryTimeout=500ms", kRetries},
    {"retry bar on 503 3 times", "VirtualService/bar", "http.0.retries.attempts=3; http.0.retries.retryOn=503", kRetries},
    {"retry bar 3 times on 5xx", "VirtualService/bar", "http.0.retries.retryOn=5xx", kRetries},
    {"retry bar on gateway errors twice", "VirtualService/bar", "http.0.retries.attempts=2; http.0.retries.retryOn=gateway-error", kRetries},
    {"retry bar on connection failures up to 4 times", "VirtualService/bar", "http.0.retries.attempts=4; http.0.retries.retryOn=connect-failure", kRetries},
    {"retry bar 3 times with a 2s timeout", "VirtualService/bar", "http.0.retries.attempts=3; http.0.timeout=2s; http.0.retries.perTryTimeout=-", kRetries},
    {"retry bar requests from frontend 2 times", "VirtualService/bar", "http.0.match.0.sourceLabels.app=frontend; http.0.retries.attempts=2; http.1.retries=-", kRetries},
    {"retry calls to bar 3 times if they fail with 503", "VirtualService/bar", "http.0.retries.attempts=3; http.0.retries.retryOn=503", kRetries},
    {"give bar requests a timeout of 2 seconds and retry twice", "VirtualService/bar", "http.0.timeout=2s; http.0.retries.attempts=2", kRetries},
    {"try again 3 times when bar fails", "VirtualService/bar", "http.0.retries.attempts=3", kRetries},
    // timeout
    {"set a 2s timeout on bar", "VirtualService/bar", "http.size=1; http.0.timeout=2s; http.0.route.0.destination.host=bar", kTimeouts},
    {"set a 2s timeout on bar", "reply", "Requests to the bar service will time out after 2s", kTimeouts},
    {"time out bar requests after 1.5 seconds", "VirtualService/bar", "http.0.timeout=1500ms", kTimeouts},
    {"bar requests should time out after 500ms", "VirtualService/bar", "http.0.timeout=500ms", kTimeouts},
    {"set bar's timeout to 3s", "VirtualService/bar", "http.0.timeout=3s", kTimeouts},
    {"give up on bar after 2 seconds", "VirtualService/bar", "http.0.timeout=2s", kTimeouts},
    {"timeout of 1 second for foo", "VirtualService/foo", "http.0.timeout=1s", kTimeouts},
    {"add a 10s timeout to foo", "VirtualService/foo", "http.0.timeout=10s", kTimeouts},
    {"timeout bar after half a second", "VirtualService/bar", "http.0.timeout=500ms", kTimeouts},
    {"time out frontend's calls to bar after 1s", "VirtualService/bar", "http.0.match.0.sourceLabels.app=frontend; http.0.timeout=1s; http.1.timeout=-", kTimeouts},
    {"set a 500 ms timeout for requests from frontend to bar", "VirtualService/bar", "http.0.match.0.sourceLabels.app=frontend; http.0.timeout=500ms", kTimeouts},
    {"bar gets a deadline of 3 seconds", "VirtualService/bar", "http.0.timeout=3s", kTimeouts},
    // mirror
    {"mirror bar traffic to v2", "VirtualService/bar", "http.0.route.0.destination.subset=v1; http.0.mirror.host=bar; http.0.mirror.subset=v2; http.0.mirrorPercentage.value=100", kMirroring},
    {"mirror 10% of bar traffic to v2", "VirtualService/bar", "http.0.route.0.destination.subset=v1; http.0.mirror.subset=v2; http.0.mirrorPercentage.value=10", kMirroring},
    {"shadow bar traffic to v2", "VirtualService/bar", "http.0.mirror.subset=v2", kMirroring},
    {"copy bar requests to v2", "VirtualService/bar", "http.0.mirror.subset=v2", kMirroring},
    {"mirror bar v1 traffic to v2", "VirtualService/bar", "http.0.route.0.destination.subset=v1; http.0.mirror.subset=v2", kMirroring},
    {"mirror bar v2 traffic to v1", "VirtualService/bar", "http.0.route.0.destination.subset=v2; http.0.mirror.subset=v1", kMirroring},
    {"shadow half of bar traffic to version 2", "VirtualService/bar", "http.0.mirror.subset=v2; http.0.mirrorPercentage.value=50", kMirroring},
    {"send a copy of bar traffic to v2", "VirtualService/bar", "http.0.mirror.subset=v2", kMirroring},
    {"mirror traffic from bar to v2", "VirtualService/bar", "http.0.mirror.subset=v2", kMirroring},
    {"mirror mobile traffic of bar to v2", "VirtualService/bar", "http.0.match.0.headers.user-agent.regex=.*[Mm]obile.*; http.0.mirror.subset=v2; http.1.mirror=-", kMirroring},
    {"mirror bar traffic to v2", "reply", "100% of the bar service's traffic will be mirrored to version v2 (answered by v1)", kMirroring},
    {"duplicate a tenth of bar traffic to v2", "VirtualService/bar", "http.0.mirror.subset=v2; http.0.mirrorPercentage.value=10", kMirroring},
    // remove / restore / undo
    {"reset the bar service", "delete", "VirtualService/default/bar", kDelete},
    {"reset bar", "delete", "VirtualService/default/bar", kDelete},
    {"restore bar", "delete", "VirtualService/default/bar", kDelete},
    {"undo everything on bar", "delete", "VirtualService/default/bar", kDelete},
    {"roll back bar", "delete", "VirtualService/default/bar", kDelete},
    {"clear bar's rules", "delete", "VirtualService/default/bar", kDelete},
    {"remove the delay from bar", "delete", "VirtualService/default/bar", kDelete},
    {"remove the fault from foo", "delete", "VirtualService/default/foo", kDelete},
    {"stop delaying bar", "delete", "VirtualService/default/bar", kDelete},
    {"stop mirroring bar traffic", "delete", "VirtualService/default/bar", kDelete},
    {"remove bar's retries", "delete", "VirtualService/default/bar", kDelete},
    {"undo the canary on bar", "delete", "VirtualService/default/bar", kDelete},
    {"delete bar's route", "delete", "VirtualService/default/bar", kDelete},
    {"take the timeout off foo", "delete", "VirtualService/default/foo", kDelete},
    {"remove the delay from bar", "reply", "The bar service's route rules have been removed", kDelete},
    // queries (answers only)
    {"get the frontend topology", "reply", "The frontend service runs v1", kTalk},
    {"get the front end topology", "reply", "The frontend service runs v1", kTalk},
    {"show me the topology of bar", "reply", "The bar service runs v1 and v2", kTalk},
    {"what is bar's topology", "reply", "The bar service runs v1 and v2", kTalk},
    {"who calls bar", "reply", "The bar service runs v1 and v2", kTalk},
    {"what does frontend depend on", "reply", "The frontend service runs v1", kTalk},
    {"get the bar route", "reply", "The bar service has no route rule", kTalk},
    {"show the routes for bar", "reply", "The bar service has no route rule", kTalk},
    {"how is bar routed", "reply", "The bar service has no route rule", kTalk},
    {"what is bar's route?", "reply", "The bar service has no route rule", kTalk},
};

class SayPhrasings : public testing::Test {
 protected:
  static const LoadResult& mesh() {
    static const LoadResult loaded = load({fixtures::source("talk-mesh.yaml")});
    return loaded;
  }
};

TEST_F(SayPhrasings, EachBecomesItsYaml) {
  ASSERT_TRUE(mesh().diagnostics.empty() || !has_errors(mesh().diagnostics));
  size_t checked = 0;
  for (const SayRow& row : kPhrasings) {
    SCOPED_TRACE(std::string(row.sentence) + " (" + row.source + ")");
    SayResult r = interpret_say(row.sentence, mesh().resources, mesh().behaviors);
    if (!r.understood) {
      ADD_FAILURE() << r.reply;
      continue;
    }
    expect_say_row(row, r);
    if (!r.yaml.empty()) {
      auto loaded = load({{"say.yaml", r.yaml}}, {}, mesh().resources);
      for (const auto& d : loaded.diagnostics)
        if (d.severity == Severity::kError) ADD_FAILURE() << format_diagnostic(d) << "\n" << r.yaml;
    }
    ++checked;
  }
  EXPECT_GE(checked, 150u);
}

}  // namespace
}  // namespace meshsim::config
