// Helpers for tests of the live commands (`serve`, `proxy`, `demo`): start
// meshsim as a child process, learn its ports from its banner, talk HTTP to
// it over 127.0.0.1, stop it with a signal. Every wait has a deadline.
#pragma once

#include <chrono>
#include <csignal>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meshsim::testing {

// Whether this build runs under a sanitizer (the meshsim it starts is built
// alike): the mesh then runs several times slower, and live tests that race
// the wall clock replay more slowly. gcc defines __SANITIZE_ADDRESS__ /
// __SANITIZE_THREAD__; clang 14 (CI's deep ASan build) defines neither and
// answers __has_feature instead.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizedBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif
#else
inline constexpr bool kSanitizedBuild = false;
#endif

struct HttpReply {
  int status = 0;  // 0: no answer
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// One request on a fresh connection (Connection: close), 10 s at most.
HttpReply http(uint16_t port, const std::string& method, const std::string& target, const std::string& body = "",
               const std::vector<std::pair<std::string, std::string>>& headers = {});

// Sends `bytes` on a new connection and returns what came back until the
// server closed it, or that plus "<still open>" after `limit`.
std::string raw_exchange(uint16_t port, const std::string& bytes, std::chrono::seconds limit = std::chrono::seconds(10));

class LiveProcess {
 public:
  // Runs build/app/meshsim with `args`; stdout and stderr go to files.
  explicit LiveProcess(const std::vector<std::string>& args);
  // Runs another program (Prometheus, promtool) the same way.
  LiveProcess(const std::string& binary, const std::vector<std::string>& args);
  ~LiveProcess();
  // Waits until stderr contains `marker` (10 s at most); returns stderr so far.
  std::optional<std::string> wait_for_stderr(const std::string& marker);
  // The same for stdout.
  std::optional<std::string> wait_for_stdout(const std::string& marker);
  // The port after "http://127.0.0.1:" following `label` in stderr.
  uint16_t port_after(const std::string& label);
  // Sends `signal` and waits (20 s at most) for the exit code; -1 if it had to be killed.
  int stop(int signal = SIGTERM);
  // Waits for the process to exit by itself; its exit code, or -1 (killed) after `limit`.
  int wait_exit(std::chrono::seconds limit);
  // Whether it has exited already (never waits).
  bool exited();
  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  std::optional<std::string> wait_for_text(const std::string& path, const std::string& marker);
  int pid_ = -1;
  std::string out_path_, err_path_;
};

}  // namespace meshsim::testing
