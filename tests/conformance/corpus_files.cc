#include "tests/conformance/corpus_files.h"

#include <algorithm>

#include "tests/conformance/supported_cases_next.h"
#include "tests/test_data.h"

namespace meshsim::conformance {

namespace fs = std::filesystem;

std::vector<std::string> corpus_files() {
  std::vector<std::string> files;
  std::string dir = testing::conformance_dir();
  if (dir.empty()) return files;
  for (const auto& e : fs::directory_iterator(dir + "/cases"))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  for (const SupportedFile& f : supported_cases_next()) files.push_back(dir + "/cases-next/" + std::string(f.name));
  return files;
}

std::map<std::string_view, std::string_view> left_out_cases(const fs::path& file) {
  if (file.parent_path().filename() != "cases-next") return {};
  for (const SupportedFile& f : supported_cases_next())
    if (f.name == file.filename().string()) return f.left_out_extended_cases;
  return {};
}

std::string corpus_test_name(const std::string& path) {
  fs::path p(path);
  std::string name = (p.parent_path().filename() == "cases-next" ? "next_" : "") + p.stem().string();
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

}  // namespace meshsim::conformance
