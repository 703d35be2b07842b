// Runs the built `meshsim` program with a shell argument string and
// collects its exit code and output: what the command-line tests share.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace meshsim::testing {

struct Run {
  int exit_code = -1;
  std::string out;
};

// stdout, and stderr too unless `with_stderr` is false.
inline Run meshsim(const std::string& args, bool with_stderr = true) {
  std::string cmd = std::string(MESHSIM_BINARY_DIR) + "/app/meshsim " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  Run r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace meshsim::testing
