// Which files of the public conformance corpus the suites run: every file of
// cases/ and the cases-next/ files listed in supported_cases_next.h.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace meshsim::conformance {

// cases/*.json sorted, then the supported cases-next files in list order;
// empty when the corpus is absent. How many there are is not checked: the
// corpus grows.
std::vector<std::string> corpus_files();

// The extended cases a supported cases-next file leaves out (none for cases/).
std::map<std::string_view, std::string_view> left_out_cases(const std::filesystem::path& file);

// A test name for a corpus file: next_<stem> for cases-next, '-' as '_'.
std::string corpus_test_name(const std::string& path);

}  // namespace meshsim::conformance
