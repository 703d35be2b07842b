// Where the tests find the public data they read at run time: files other
// projects publish (Istio samples, Gateway API manifests, schemas, the
// conformance corpus). They are never copied into the repository; they live
// in ../shared next to the checkout, or wherever the environment says.
#pragma once

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace meshsim::testing {

// The public test data folder: $MESHSIM_TESTDATA_DIR when set, else
// <source>/../shared/testdata. Empty when that folder does not exist; a
// variable that is set but names no folder also means "absent" (no fallback).
std::string testdata_dir();

// <testdata>/<relative> when it exists, else empty.
std::string testdata_path(std::string_view relative);

// The conformance corpus folder (holding cases/ and cases-next/):
// $MESHSIM_CONFORMANCE_DIR when set, else <source>/../shared/conformance.
// Empty when it has no cases/ folder.
std::string conformance_dir();

// The one line a skipped test prints: what is missing and where it was looked for.
std::string testdata_missing(std::string_view relative);

}  // namespace meshsim::testing

// Declares `std::string var` = the path of `relative` in the public test
// data, or skips the test with one line when it is not there.
#define MESHSIM_TESTDATA_OR_SKIP(var, relative)                             \
  const std::string var = ::meshsim::testing::testdata_path(relative);      \
  if (var.empty()) GTEST_SKIP() << ::meshsim::testing::testdata_missing(relative)
