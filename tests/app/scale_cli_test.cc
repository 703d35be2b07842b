// `meshsim generate`, `import isotope`, `run --seeds` and `merge` as users
// and CI call them: exit codes, files, and the merged verdict.
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/app/live_process.h"
#include "tests/app/meshsim_run.h"

namespace {

using meshsim::testing::meshsim;
using meshsim::testing::Run;

std::string src(const std::string& p) { return std::string(MESHSIM_SOURCE_DIR) + "/" + p; }

class ScaleCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("meshsim-scale-" + std::to_string(getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(ScaleCli, GeneratedScenarioValidatesAndRuns) {
  std::string file = path("tree.yaml");
  auto g = meshsim("generate tree --services 13 --versions 2 --rules split --rate 20 --duration 5s -o " + file);
  ASSERT_EQ(g.exit_code, 0) << g.out;
  // Deterministic: the same command writes the same bytes.
  auto again = meshsim("generate tree --services 13 --versions 2 --rules split --rate 20 --duration 5s");
  std::ifstream f(file);
  std::string written((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(again.out, written);
  auto v = meshsim("validate " + file);
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_EQ(v.out.find("Error"), std::string::npos) << v.out;
  auto r = meshsim("run -q " + file);
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST_F(ScaleCli, GenerateRejectsBadArguments) {
  EXPECT_EQ(meshsim("generate star --services 3").exit_code, 2);
  EXPECT_EQ(meshsim("generate tree --services 0").exit_code, 2);
  EXPECT_EQ(meshsim("generate tree --versions 3").exit_code, 2);
  auto r = meshsim("generate tree --rules weighted");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("valid: split, header, none"), std::string::npos) << r.out;
}

// What `run` would refuse is refused when written, and options a shape has
// no use for are said to be ignored rather than dropped silently.
TEST_F(ScaleCli, GenerateAndImportSayWhatTheyCannotUse) {
  auto big = meshsim("generate tree --rate 1000000 --duration 60s");
  EXPECT_EQ(big.exit_code, 2);
  EXPECT_NE(big.out.find("a run sends at most 1e+07"), std::string::npos) << big.out;
  auto chain = meshsim("generate chain --services 3 --fanout 2 --rules split");
  EXPECT_EQ(chain.exit_code, 0);
  EXPECT_NE(chain.out.find("--fanout applies to tree and random; ignored"), std::string::npos);
  EXPECT_NE(chain.out.find("--rules applies with --versions 2; ignored"), std::string::npos);
  // The scenario is named after the file, as a DNS label.
  std::filesystem::copy_file(src("tests/fixtures/isotope/shop.yaml"), path("__My__Graph!.yaml"));
  auto named = meshsim("import isotope '" + path("__My__Graph!.yaml") + "'", false);
  EXPECT_NE(named.out.find("metadata: {name: my-graph}"), std::string::npos) << named.out;
  auto dir = meshsim("import isotope " + dir_.string());
  EXPECT_EQ(dir.exit_code, 2);
  EXPECT_NE(dir.out.find("is a directory"), std::string::npos) << dir.out;
}

TEST_F(ScaleCli, ImportIsotopeRuns) {
  std::string file = path("shop.yaml");
  auto i = meshsim("import isotope " + src("tests/fixtures/isotope/shop.yaml") + " --duration 5s -o " + file);
  ASSERT_EQ(i.exit_code, 0) << i.out;
  auto r = meshsim("run -q " + file);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  auto bad = meshsim("import isotope " + src("tests/fixtures/isotope/missing.yaml"));
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(ScaleCli, SweepWritesAReportPerSeedAndMergesThem) {
  std::string file = path("chain.yaml");
  ASSERT_EQ(meshsim("generate chain --services 3 --versions 2 --rules header --rate 20 --duration 3s -o " + file).exit_code, 0);
  std::string out = path("sweep");
  auto r = meshsim("run " + file + " --seeds 5..7 --jobs 2 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("held in 3 of 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Wilson 95%"), std::string::npos) << r.out;
  std::vector<std::string> reports;
  for (int seed = 5; seed <= 7; ++seed) {
    std::string report = out + "/seed-" + std::to_string(seed) + "/report.json";
    ASSERT_TRUE(std::filesystem::exists(report)) << report;
    std::ifstream f(report);
    EXPECT_EQ(nlohmann::json::parse(f)["run"]["seed"], seed);  // each child ran its own seed
    reports.push_back(report);
  }
  std::ifstream merged(out + "/merged.json");
  auto j = nlohmann::json::parse(merged);
  EXPECT_EQ(j["runs"], 3);
  EXPECT_EQ(j["passed"], true);
  // The same verdict from the files alone (an Indexed Job's pods' reports).
  auto m = meshsim("merge " + reports[0] + " " + reports[1] + " " + reports[2]);
  EXPECT_EQ(m.exit_code, 0) << m.out;
  EXPECT_NE(m.out.find("held in 3 of 3"), std::string::npos) << m.out;
  EXPECT_EQ(meshsim("merge " + src("tests/fixtures/isotope/shop.yaml")).exit_code, 2);  // not JSON
  EXPECT_EQ(meshsim("run " + file + " --seeds 9..3").exit_code, 2);
}

// A failing expectation: the sweep fails unless --min-pass allows it.
TEST_F(ScaleCli, MinPassDecidesTheExitCode) {
  std::string file = path("fail.yaml");
  ASSERT_EQ(meshsim("generate chain --services 2 --rate 5 --duration 2s -o " + file).exit_code, 0);
  {
    std::ofstream f(file, std::ios::app);  // an expectation no run can meet
    f << "  - {name: impossible, source: load-svc-0, requests: {min: 1000000}}\n";
  }
  std::string out = path("sweep");
  auto r = meshsim("run " + file + " --seeds 1..2 --jobs 2 --out " + out);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("FAIL impossible: held in 0 of 2"), std::string::npos) << r.out;
}

// The last seed a range can name: the sweep runs it once and ends (the
// seed counter used to wrap to 0 and go on writing seed directories).
TEST_F(ScaleCli, ASweepEndingAtTheLargestSeedEnds) {
  std::string file = path("chain.yaml");
  ASSERT_EQ(meshsim("generate chain --services 2 --rate 5 --duration 1s -o " + file).exit_code, 0);
  std::string out = path("sweep");
  // In a process of its own, killed after 30 s: a sweep that does not end
  // writes seed directories until the disk is full.
  meshsim::testing::LiveProcess sweep({"run", file, "--seeds", "18446744073709551614..18446744073709551615", "--jobs", "1", "--out", out});
  ASSERT_EQ(sweep.wait_exit(std::chrono::seconds(30)), 0) << sweep.stderr_text();
  EXPECT_NE(sweep.stdout_text().find("2 runs"), std::string::npos) << sweep.stdout_text();
  size_t dirs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(out)) dirs += entry.is_directory();
  EXPECT_EQ(dirs, 2u);
  EXPECT_TRUE(std::filesystem::exists(out + "/seed-18446744073709551615/report.json"));
}

// SIGTERM to the sweep's own process (a CI job cancelled; `kill PID`): no
// seed starts after it, the running one is sent it too and writes its report
// marked interrupted, and the sweep exits 128+15 after the verdict of what
// ran, as `run` does (README, `run --seeds`).
TEST_F(ScaleCli, ASignalStopsTheSweep) {
  std::string file = path("chain.yaml");
  // A seed of ~120,000 requests: still running when the signal comes.
  ASSERT_EQ(meshsim("generate chain --services 3 --rate 2000 --duration 60s -o " + file).exit_code, 0);
  std::string out = path("sweep");
  meshsim::testing::LiveProcess sweep({"run", file, "--seeds", "1..100000", "--jobs", "1", "--out", out});
  // Until the first seed's process has opened its output (20 s at most).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!std::filesystem::exists(out + "/seed-1/run.txt") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(std::filesystem::exists(out + "/seed-1/run.txt"));
  EXPECT_EQ(sweep.stop(SIGTERM), 128 + SIGTERM) << sweep.stderr_text();
  size_t dirs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(out)) dirs += entry.is_directory();
  EXPECT_EQ(dirs, 1u);  // no seed after the signal
  std::ifstream report(out + "/seed-1/report.json");
  ASSERT_TRUE(report.good());
  EXPECT_EQ(nlohmann::json::parse(report)["run"]["interrupted_by"], "SIGTERM");  // the sweep sent it on
  EXPECT_NE(sweep.stderr_text().find("stopped by signal 15"), std::string::npos) << sweep.stderr_text();
  EXPECT_NE(sweep.stdout_text().find("seed 1 was interrupted by SIGTERM"), std::string::npos) << sweep.stdout_text();
}

}  // namespace
