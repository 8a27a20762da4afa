// FaxLineProcess: starts tools/fax-line as a child process for a test, waits
// for its modem pty to appear, and stops it (SIGTERM, then SIGKILL) on
// destruction. Calls() reads the line's per-call records (calls.jsonl).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace lifeline::testing {

class FaxLineProcess {
 public:
  // dir: a fresh directory for the pty link, the received TIFFs and logs.
  explicit FaxLineProcess(std::string dir) : dir_(std::move(dir)) {}
  ~FaxLineProcess() { Stop(); }

  std::string modem() const { return dir_ + "/modem"; }
  std::string rx_dir() const { return dir_ + "/rx"; }

  // Returns false if the line did not come up within 10 s.
  bool Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {kBinary, "--link=" + modem(), "--rx-dir=" + rx_dir()};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      std::string log = dir_ + "/fax-line.log";
      freopen(log.c_str(), "w", stderr);
      freopen("/dev/null", "w", stdout);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (std::filesystem::exists(modem())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Waits (bounded) until at least n calls are recorded, then returns them all.
  std::vector<nlohmann::json> Calls(size_t n, std::chrono::seconds limit = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::vector<nlohmann::json> calls;
    do {
      calls.clear();
      std::ifstream in(rx_dir() + "/calls.jsonl");
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) calls.push_back(nlohmann::json::parse(line, nullptr, false));
      }
      if (calls.size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
    return calls;
  }

 private:
  static constexpr const char* kBinary = LIFELINE_BINARY_DIR "/tools/fax-line/fax-line";
  std::string dir_;
  pid_t pid_ = -1;
};

// A fresh, empty directory under the build tree for one test.
inline std::string FreshTestDir(const std::string& name) {
  std::string dir = std::string(LIFELINE_BINARY_DIR "/test-tmp/fax/") + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace lifeline::testing
