// Test harness for the real lifelined: writes a config into a fresh state
// directory, starts the binary (optionally under a wrapper such as fiu-run),
// waits until its socket answers, kills it (SIGTERM or SIGKILL), and speaks
// HTTP/1.1 to it over the socket with a small blocking client. Every wait is
// bounded.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace lifeline::testing_support {

struct HttpReply {
  int status = 0;  // 0: no answer (connection failed or cut)
  nlohmann::json body;
};

// One request on a fresh connection; gives up after `timeout_ms`.
HttpReply HttpOverUnix(const std::string& socket_path, const std::string& method, const std::string& path,
                       const std::string& body, int timeout_ms = 10000);

class DaemonProcess {
 public:
  // `state_dir` is created; `extra_config` is appended to the generated config.
  DaemonProcess(std::string state_dir, std::vector<std::string> wrapper = {}, std::string extra_config = "",
                std::string log_level = "warn");
  ~DaemonProcess();

  bool Start();           // true once the socket answers /v1/health (10 s at most)
  // Sends `signal` and reaps; the wait status (0 for a clean exit), -1 when not running.
  int Kill(int signal);
  bool running() const { return pid_ > 0; }
  int pid() const { return pid_; }
  const std::string& socket_path() const { return socket_; }
  const std::string& state_dir() const { return state_dir_; }
  std::string log() const;  // what the daemon printed

 private:
  std::string state_dir_, socket_, config_, log_;
  std::vector<std::string> wrapper_;
  int pid_ = -1;
};

}  // namespace lifeline::testing_support
