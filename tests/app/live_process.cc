#include "tests/app/live_process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <utility>  // Boost 1.74 asio/awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>

#include <gtest/gtest.h>

namespace meshsim::testing {

namespace net = boost::asio;
using net::ip::tcp;

std::string raw_exchange(uint16_t port, const std::string& bytes, std::chrono::seconds limit) {
  net::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({net::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return "";
  net::write(socket, net::buffer(bytes), ec);
  std::string got;
  std::array<char, 8192> buf{};
  auto deadline = std::chrono::steady_clock::now() + limit;
  socket.non_blocking(true);
  while (std::chrono::steady_clock::now() < deadline) {
    size_t n = socket.read_some(net::buffer(buf), ec);
    got.append(buf.data(), n);
    if (ec == net::error::would_block) {
      socket.wait(tcp::socket::wait_read, ec);
      continue;
    }
    if (ec) return got;  // closed by the server
  }
  return got + "<still open>";
}

HttpReply http(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
               const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpReply reply;
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) request += k + ": " + v + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string raw = raw_exchange(port, request);
  auto head_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || head_end == std::string::npos) return reply;
  reply.status = std::atoi(raw.substr(9, 3).c_str());
  std::istringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  while (std::getline(head, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (!value.empty() && value.back() == '\r') value.pop_back();
    reply.headers[name] = value;
  }
  reply.body = raw.substr(head_end + 4);
  return reply;
}

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A ThreadSanitizer report in a child's stderr. The child's exit code alone
// does not tell: many tests end their child with SIGKILL or never check how
// it exited. (ASan and UBSan abort the child on a report, which its test
// sees; their leak reports at exit are not looked for here, as before.)
bool has_sanitizer_report(const std::string& text) {
  return text.find("WARNING: ThreadSanitizer:") != std::string::npos ||
         text.find("SUMMARY: ThreadSanitizer:") != std::string::npos;
}

}  // namespace

LiveProcess::LiveProcess(const std::vector<std::string>& args)
    : LiveProcess(std::string(MESHSIM_BINARY_DIR) + "/app/meshsim", args) {}

LiveProcess::LiveProcess(const std::string& program, const std::vector<std::string>& args) {
  static int counter = 0;
  std::string base = "/tmp/meshsim-live-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  out_path_ = base + ".out";
  err_path_ = base + ".err";
  std::string binary = program;
  pid_ = fork();
  if (pid_ == 0) {
    int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = open("/dev/null", O_RDONLY);
    dup2(out, 1);
    dup2(err, 2);
    dup2(in, 0);
    std::vector<char*> argv;
    argv.push_back(binary.data());
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
}

LiveProcess::~LiveProcess() {
  if (pid_ > 0) stop(SIGKILL);
  // Under scripts/tsan.sh (or a sanitizer build) a child's report fails the test that started it.
  if (std::string err = read_file(err_path_); has_sanitizer_report(err)) ADD_FAILURE() << "sanitizer report in a child process:\n" << err;
  std::remove(out_path_.c_str());
  std::remove(err_path_.c_str());
}

std::optional<std::string> LiveProcess::wait_for_stderr(const std::string& marker) { return wait_for_text(err_path_, marker); }
std::optional<std::string> LiveProcess::wait_for_stdout(const std::string& marker) { return wait_for_text(out_path_, marker); }

std::optional<std::string> LiveProcess::wait_for_text(const std::string& path, const std::string& marker) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = read_file(path);
    if (text.find(marker) != std::string::npos) return text;
    int status = 0;
    if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return std::nullopt;  // exited before saying it
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a child's output, not timing a test
  }
  return std::nullopt;
}

uint16_t LiveProcess::port_after(const std::string& label) {
  std::string text = stderr_text();
  auto at = text.find(label);
  if (at == std::string::npos) return 0;
  const std::string prefix = "http://127.0.0.1:";
  auto p = text.find(prefix, at);
  if (p == std::string::npos) return 0;
  return static_cast<uint16_t>(std::atoi(text.c_str() + p + prefix.size()));
}

int LiveProcess::stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  return wait_exit(std::chrono::seconds(20));
}

int LiveProcess::wait_exit(std::chrono::seconds limit) {
  if (pid_ <= 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

bool LiveProcess::exited() {
  if (pid_ <= 0) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  pid_ = -1;
  return true;
}

std::string LiveProcess::stdout_text() const { return read_file(out_path_); }
std::string LiveProcess::stderr_text() const { return read_file(err_path_); }

}  // namespace meshsim::testing
