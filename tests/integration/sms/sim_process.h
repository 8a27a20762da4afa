// Runs tools/modem-sim as a child process for integration tests: starts it in
// a scratch folder, waits (bounded) for its ready line, sends control
// commands, reads back the AT+CMGS log, and stops it on destruction.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include "daemon/channels/sms/part_ledger.h"

#include "tests/support/command.h"

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "daemon/channels/sms/sms.h"
#include "daemon/core/status.h"

namespace lifeline::sms::testing {

struct LoggedSubmit {
  int seq = 0;
  std::string result;  // "ok", "cms <code>", "silent"
  int mr = -1;
  std::string pdu_hex;
  DecodedSubmit decoded;  // strict decode of pdu_hex (tests fail if it does not decode)
  bool decoded_ok = false;
};

class SimProcess {
 public:
  // `dir` must exist; the link, control socket and log are made inside it.
  static Result<std::unique_ptr<SimProcess>> Start(const std::string& dir,
                                                   const std::vector<std::string>& extra_args);
  ~SimProcess();

  const std::string& link() const { return link_; }
  const std::string& pty() const { return pty_; }
  // Sends one control command; returns the reply line or an error.
  Result<std::string> Control(const std::string& command);
  std::vector<LoggedSubmit> Submits() const;
  // Waits (bounded) until the log holds at least `n` submits.
  bool WaitForSubmits(size_t n, int timeout_ms) const;

 private:
  SimProcess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string link_, control_, log_, pty_;
};

// Runs a shell command with a time limit; returns exit status and output.
using testing_support::CommandResult;
// Runs `command` with a 120 s limit, standard error included.
CommandResult RunCommand(const std::string& command);

// A fresh scratch folder under the build tree, unique per test.
std::string ScratchDir(const std::string& name);

// The message as the ledger holds it now: runs `io` until the ledger answers (bounded).
Result<MessageRecord> LoadNow(asio::io_context& io, SmsPartLedger& ledger, const std::string& id);

}  // namespace lifeline::sms::testing
