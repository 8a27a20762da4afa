#include "tests/integration/sms/sim_process.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

extern char** environ;

namespace lifeline::sms::testing {
namespace {

// Reads one line from fd within timeout_ms.
Result<std::string> ReadLine(int fd, int timeout_ms) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char c;
    if (read(fd, &c, 1) != 1) return IoError("process closed its output");
    if (c == '\n') return line;
    line += c;
  }
  return Unavailable("no line within " + std::to_string(timeout_ms) + " ms");
}

}  // namespace

Result<std::unique_ptr<SimProcess>> SimProcess::Start(const std::string& dir,
                                                      const std::vector<std::string>& extra) {
  std::unique_ptr<SimProcess> p(new SimProcess());
  p->link_ = dir + "/modem";
  p->control_ = dir + "/control.sock";
  p->log_ = dir + "/submits.jsonl";
  std::vector<std::string> args = {std::string(LIFELINE_BINARY_DIR) + "/tools/modem-sim/modem-sim",
                                   "--link",
                                   p->link_,
                                   "--control",
                                   p->control_,
                                   "--log",
                                   p->log_,
                                   "--die-with-parent"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  if (pipe(out) != 0) return IoError("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  const int rc = posix_spawn(&p->pid_, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  p->stdout_fd_ = out[0];
  if (rc != 0) return IoError("cannot start modem-sim: " + std::string(strerror(rc)));
  auto ready = ReadLine(p->stdout_fd_, 10000);
  if (!ready.ok()) return ready.status();
  auto j = nlohmann::json::parse(*ready, nullptr, false);
  if (j.is_discarded() || !j.contains("pty")) return Internal("bad ready line: " + *ready);
  p->pty_ = j["pty"];
  return p;
}

SimProcess::~SimProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

Result<std::string> SimProcess::Control(const std::string& command) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, control_.c_str(), sizeof(addr.sun_path) - 1);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (fd >= 0) close(fd);
    return IoError("cannot connect to modem-sim control socket");
  }
  const std::string line = command + "\n";
  auto reply = write(fd, line.data(), line.size()) == ssize_t(line.size())
                   ? ReadLine(fd, 5000)
                   : Result<std::string>(IoError("write to control socket failed"));
  close(fd);
  if (reply.ok() && reply->rfind("OK", 0) != 0) return Internal("modem-sim: " + *reply);
  return reply;
}

std::vector<LoggedSubmit> SimProcess::Submits() const {
  std::vector<LoggedSubmit> out;
  std::ifstream in(log_);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    LoggedSubmit s{j["seq"], j["result"], j["mr"], j["pdu"], {}, false};
    if (auto bytes = FromHex(s.pdu_hex); bytes.ok()) {
      auto d = DecodeSubmitPdu(*bytes);
      s.decoded_ok = d.ok();
      if (d.ok()) s.decoded = *d;
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool SimProcess::WaitForSubmits(size_t n, int timeout_ms) const {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (Submits().size() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

CommandResult RunCommand(const std::string& command) {
  return testing_support::RunCommand("timeout 120 " + command + " 2>&1");
}

std::string ScratchDir(const std::string& name) {
  // Under /tmp rather than the build tree: Unix socket paths must stay under 108 bytes.
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("lifeline-sms-" + name + "-" + std::to_string(getpid())))
                              .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

Result<MessageRecord> LoadNow(asio::io_context& io, SmsPartLedger& ledger, const std::string& id) {
  std::optional<Result<MessageRecord>> out;
  ledger.Load(id, [&](Result<MessageRecord> r) { out.emplace(std::move(r)); });
  auto guard = asio::make_work_guard(io);  // the answer comes from the store's worker
  for (int i = 0; i < 2000 && !out; ++i) {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  if (!out) return Status(StatusCode::kDeadlineExceeded, "the ledger did not answer");
  return std::move(*out);
}

}  // namespace lifeline::sms::testing
