// Live ≡ virtual (issue 19): every request of the public conformance corpus
// (the files conformance_test runs) is sent twice, once through the
// simulated network and once with every hop between instances on real
// sockets — the LoopbackNetwork `meshsim serve` uses, each pod a listener on
// 127.0.0.1, the request written and parsed again by the HTTP/1.1 or HTTP/2
// codec (runner_live.h). Both runs must see the same thing per sample:
// status or error, response flags, route, cluster, serving workload,
// attempts, and the request as the app received it, ids and times aside.
// Any difference is a bug in one of the two paths.
//
// Requests sent concurrently are compared by the case's aggregate checks
// only (see below). The client's own first hop (client app -> its sidecar) and an outside
// client's hop to the gateway stay in process in both runs, as in `serve`,
// where outside requests enter through the ingress listener.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/conformance/corpus_files.h"
#include "tests/conformance/runner.h"
#include "tests/conformance/runner_live.h"
#include "tests/test_data.h"

namespace meshsim::conformance {
namespace {

namespace fs = std::filesystem;

class LiveVirtual : public ::testing::TestWithParam<std::string> {};

TEST_P(LiveVirtual, SocketsSeeWhatTheSimulatedNetworkSees) {
  std::ifstream in(GetParam());
  nlohmann::json cases = nlohmann::json::parse(in);
  auto left_out = left_out_cases(GetParam());
  int requests = 0, same = 0;
  for (const auto& c : cases) {
    if (left_out.count(c.at("id").get<std::string>())) continue;
    auto in_memory = run_case(c);
    SocketHops sockets;
    auto live = run_case(c, 1, &sockets);
    EXPECT_FALSE(sockets.stuck()) << c.at("id") << ": a hop never came back over the socket";
    ASSERT_EQ(in_memory.size(), live.size()) << c.at("id");
    for (size_t i = 0; i < live.size(); ++i) {
      ++requests;
      RequestOutcome& v = in_memory[i];
      RequestOutcome& l = live[i];
      // Requests in flight together (a Fortio-like load, circuit breaking)
      // race for the connection pool, and who wins depends on when bytes
      // arrive, on sockets as in a real mesh (Istio's circuit-breaking task
      // shows a varying share of 503s): both runs must pass the case's own
      // aggregate checks; per sample they may differ.
      bool concurrent = c.at("requests").at(i).value("concurrency", 1) > 1;
      if (concurrent) v.seen = l.seen = {};
      bool agree = v.seen == l.seen && v.passed == l.passed && (!concurrent || l.passed);
      same += agree;
      if (!agree)
        ADD_FAILURE() << v.case_id << " request " << i << ":\n  simulated: " << fmt::format("{}", fmt::join(v.seen, "\n             "))
                      << (v.passed ? "" : "  (fails its case: " + fmt::format("{}", fmt::join(v.failures, "; ")) + ")")
                      << "\n  sockets:   " << fmt::format("{}", fmt::join(l.seen, "\n             "))
                      << (l.passed ? "" : "  (fails its case: " + fmt::format("{}", fmt::join(l.failures, "; ")) + ")");
    }
  }
  fmt::print("live = virtual {}: {}/{} requests\n", fs::path(GetParam()).filename().string(), same, requests);
}

INSTANTIATE_TEST_SUITE_P(Corpus, LiveVirtual, ::testing::ValuesIn(corpus_files()),
                         [](const auto& info) { return corpus_test_name(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LiveVirtual);

TEST(LiveVirtualCorpus, IsPresent) {
  if (testing::conformance_dir().empty())
    GTEST_SKIP() << "no conformance corpus: put ../shared/conformance (with cases/) beside the checkout "
                    "or set MESHSIM_CONFORMANCE_DIR";
  EXPECT_FALSE(corpus_files().empty());
}

}  // namespace
}  // namespace meshsim::conformance
