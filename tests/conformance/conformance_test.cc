// The conformance corpus in ../shared/conformance/cases (requests from Istio's
// integration tests, samples and task pages and from the Gateway API mesh
// conformance suite; each case names its source). Read at test time, never
// copied. Prints a per-file pass count; every request must pass.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/conformance/runner.h"

namespace meshsim::conformance {
namespace {

std::vector<std::string> corpus_files() {
  std::vector<std::string> files;
  std::string dir = find_corpus_dir(MESHSIM_SOURCE_DIR);
  if (dir.empty()) return files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

class Conformance : public ::testing::TestWithParam<std::string> {};

TEST_P(Conformance, EveryRequestPasses) {
  std::ifstream in(GetParam());
  nlohmann::json cases = nlohmann::json::parse(in);
  int core = 0, core_passed = 0, extended = 0, extended_passed = 0;
  for (const auto& c : cases) {
    for (const RequestOutcome& o : run_case(c)) {
      bool is_core = o.tier == "core";
      (is_core ? core : extended)++;
      if (o.passed) (is_core ? core_passed : extended_passed)++;
      else
        ADD_FAILURE() << o.case_id << " request " << o.request_index << " (" << o.tier << "): "
                      << fmt::format("{}", fmt::join(o.failures, "; "));
    }
  }
  std::string name = std::filesystem::path(GetParam()).filename().string();
  fmt::print("conformance {}: core {}/{}, extended {}/{}\n", name, core_passed, core, extended_passed, extended);
}

INSTANTIATE_TEST_SUITE_P(Corpus, Conformance, ::testing::ValuesIn(corpus_files()), [](const auto& info) {
  std::string name = std::filesystem::path(info.param).stem().string();
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
});
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Conformance);

// Says so (as a skipped test) when the corpus is not next to the checkout,
// so a run without it cannot pass for one that checked it.
TEST(ConformanceCorpus, IsPresent) {
  if (corpus_files().empty())
    GTEST_SKIP() << "no conformance corpus: put it at ../shared/conformance/cases or set MESHSIM_CONFORMANCE_DIR";
  EXPECT_EQ(corpus_files().size(), 13u);
}

}  // namespace
}  // namespace meshsim::conformance
