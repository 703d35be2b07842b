// Where the checkout and its build folder are, for tests that read the
// project's own files (scenarios, fixtures) or start the built program.
//
// The paths are compiled into one file (test_data.cc), not into every test:
// a test object then has the same compile line in every checkout, so ccache
// (base_dir) shares it between worktrees instead of rebuilding each test.
// Every test program gets this header with -include (tests/CMakeLists.txt).
#pragma once

// Global names: a `meshsim::testing` here would hide ::testing (GoogleTest)
// inside every test in namespace meshsim.
const char* meshsim_test_source_dir();  // the checkout, absolute
const char* meshsim_test_binary_dir();  // the CMake build folder, absolute

#define MESHSIM_SOURCE_DIR ::meshsim_test_source_dir()
#define MESHSIM_BINARY_DIR ::meshsim_test_binary_dir()
