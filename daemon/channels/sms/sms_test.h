// RunSmsTest: the "lifeline sms test NUMBER TEXT" command. Brings up the
// configured modem, sends one message through the durable path, waits for
// status reports if asked, and prints the evidence (modem health, every part
// with its reference, times and outcome). Blocking; runs its own io_context.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "daemon/channels/sms/part_ledger.h"

namespace asio {
class io_context;
}

namespace lifeline::sms {

struct SmsTestOptions {
  std::string device;       // serial device of the modem
  std::string message_id;   // empty: a fresh id; same id: resume that message
  std::string pin;          // SIM PIN, if the SIM asks
  std::string number;
  std::string text;
  std::chrono::seconds ready_timeout{60};  // modem start-up
  std::chrono::seconds send_timeout{300};  // whole message, retries included
  std::chrono::seconds report_timeout{0};  // 0: do not wait for status reports
  std::chrono::minutes validity{24 * 60};
  int max_attempts_per_part = 3;
  std::chrono::milliseconds retry_delay{3000};
};

// Opens the part ledger on the test's own io_context (the CLI's: lifelined's store).
using LedgerFactory = std::function<Result<std::unique_ptr<SmsPartLedger>>(asio::io_context& io)>;

// Returns the process exit code: 0 sent (and, when waiting, every part
// delivered), 1 not sent or not confirmed, 2 bad options.
int RunSmsTest(const SmsTestOptions& options, const LedgerFactory& open_ledger, std::ostream& out);

}  // namespace lifeline::sms
