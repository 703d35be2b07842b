#include "tests/test_data.h"
#include "tests/source_dir.h"

#include <cstdlib>
#include <filesystem>

const char* meshsim_test_source_dir() { return MESHSIM_SOURCE_DIR_LITERAL; }
const char* meshsim_test_binary_dir() { return MESHSIM_BINARY_DIR_LITERAL; }

namespace meshsim::testing {
namespace {

namespace fs = std::filesystem;

// $variable when set (even to a missing folder), else the default beside the checkout.
std::string configured(const char* variable, const char* default_under_shared) {
  if (const char* env = std::getenv(variable)) return env;
  return std::string(MESHSIM_SOURCE_DIR) + "/../shared/" + default_under_shared;
}

std::string existing_dir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) ? fs::weakly_canonical(path, ec).string() : "";
}

}  // namespace

std::string testdata_dir() { return existing_dir(configured("MESHSIM_TESTDATA_DIR", "testdata")); }

std::string testdata_path(std::string_view relative) {
  std::string dir = testdata_dir();
  if (dir.empty()) return "";
  std::string path = dir + "/" + std::string(relative);
  std::error_code ec;
  return fs::exists(path, ec) ? path : "";
}

std::string conformance_dir() {
  std::string dir = existing_dir(configured("MESHSIM_CONFORMANCE_DIR", "conformance"));
  std::error_code ec;
  return !dir.empty() && fs::is_directory(dir + "/cases", ec) ? dir : "";
}

std::string testdata_missing(std::string_view relative) {
  std::string where = configured("MESHSIM_TESTDATA_DIR", "testdata");
  return "public test data missing: " + std::string(relative) + " not in " + where +
         " (set MESHSIM_TESTDATA_DIR or put ../shared beside the checkout)";
}

}  // namespace meshsim::testing
