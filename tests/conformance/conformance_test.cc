// The conformance corpus in ../shared/conformance (requests from Istio's
// integration tests, samples and task pages and from the Gateway API mesh
// conformance suite; each case names its source): every file of cases/ and
// the cases-next/ files listed in supported_cases_next.h. Read at test time,
// never copied. Prints a per-file pass count; every request must pass.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/conformance/corpus_files.h"
#include "tests/conformance/runner.h"
#include "tests/test_data.h"

namespace meshsim::conformance {
namespace {

namespace fs = std::filesystem;

class Conformance : public ::testing::TestWithParam<std::string> {};

TEST_P(Conformance, EveryRequestPasses) {
  ASSERT_TRUE(fs::is_regular_file(GetParam())) << GetParam() << " is missing (listed in supported_cases_next.h?)";
  std::ifstream in(GetParam());
  nlohmann::json cases = nlohmann::json::parse(in);
  auto left_out = left_out_cases(GetParam());
  int core = 0, core_passed = 0, extended = 0, extended_passed = 0, skipped = 0;
  for (const auto& c : cases) {
    if (auto it = left_out.find(c.at("id").get<std::string>()); it != left_out.end()) {
      EXPECT_EQ(c.value("tier", "core"), "extended") << it->first << " is core: a core case cannot be left out";
      skipped += static_cast<int>(c.at("requests").size());
      left_out.erase(it);
      continue;
    }
    for (const RequestOutcome& o : run_case(c)) {
      bool is_core = o.tier == "core";
      (is_core ? core : extended)++;
      if (o.passed) (is_core ? core_passed : extended_passed)++;
      else
        ADD_FAILURE() << o.case_id << " request " << o.request_index << " (" << o.tier << "): "
                      << fmt::format("{}", fmt::join(o.failures, "; "));
    }
  }
  std::string name = fs::path(GetParam()).filename().string();
  for (const auto& [id, why] : left_out) ADD_FAILURE() << "left-out case " << id << " is not in " << name;
  fmt::print("conformance {}: core {}/{}, extended {}/{}", name, core_passed, core, extended_passed, extended);
  if (skipped) fmt::print(" ({} extended requests left out)", skipped);
  fmt::print("\n");
}

INSTANTIATE_TEST_SUITE_P(Corpus, Conformance, ::testing::ValuesIn(corpus_files()),
                         [](const auto& info) { return corpus_test_name(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Conformance);

// Says so (as a skipped test) when the corpus is not next to the checkout,
// so a run without it cannot pass for one that checked it.
TEST(ConformanceCorpus, IsPresent) {
  if (testing::conformance_dir().empty())
    GTEST_SKIP() << "no conformance corpus: put ../shared/conformance (with cases/) beside the checkout "
                    "or set MESHSIM_CONFORMANCE_DIR";
  EXPECT_FALSE(corpus_files().empty()) << testing::conformance_dir() << "/cases holds no .json file";
}

}  // namespace
}  // namespace meshsim::conformance
