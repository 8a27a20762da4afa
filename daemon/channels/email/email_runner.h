// EmailRunner: the e-mail channel behind the ChannelRunner contract. One
// worker thread sends (jobs FIFO) with SendEmail, retrying a temporary failure
// after `retry_delay` up to `max_attempts` sends, and posts progress/done to
// the io_context. Start, Cancel and Stop are called on the io_context thread;
// Stop returns within about a second even mid-transfer (the transfer is aborted).
#pragma once

// <cstddef> before <asio.hpp>: see daemon/channels/sms/at_engine.h.
#include <cstddef>
// (Asio after it.)
#include <asio.hpp>
#include <chrono>
#include <string>

#include "daemon/channels/email/email.h"
#include "daemon/core/clock.h"
#include "daemon/channels/runner/blocking_runner.h"

namespace lifeline::email {

// When the server's acceptance confirms the recipient. A message a relay took
// is only "sent" (NoticeOutcome::kSent): the relay's 250 says nothing of
// delivery, so the plan goes on to other channels. It confirms when the
// configured server is the recipient's own mail domain's server: for every
// recipient ([email] relay_is_recipient_domain), or for one address
// (ChannelAddress::relay_is_recipient_domain, from config/recipients.toml).
struct EmailConfirmation {
  bool relay_is_recipient_domain = false;
};

class EmailRunner final : public BlockingChannelRunner {
 public:
  // from / from_name: the envelope and From header of every notice.
  EmailRunner(asio::io_context& io, SmtpOptions smtp, std::string from, std::string from_name,
              int max_attempts = 3,
              std::chrono::milliseconds retry_delay = std::chrono::seconds(60),
              EmailConfirmation confirmation = {});
  ~EmailRunner() override;  // Stop()
  EmailRunner(const EmailRunner&) = delete;
  EmailRunner& operator=(const EmailRunner&) = delete;

 private:
  void Run(Job& job) override;
  NoticeOutcome Accepted(const ChannelAddress& to, const std::string& server, const EmailEvidence& e,
                         nlohmann::json evidence) const;

  const SmtpOptions smtp_;
  const std::string from_;
  const std::string from_name_;
  const int max_attempts_;
  const std::chrono::milliseconds retry_delay_;
  const EmailConfirmation confirmation_;
  SystemClock clock_;  // stamps the Date header and the evidence
};

}  // namespace lifeline::email
