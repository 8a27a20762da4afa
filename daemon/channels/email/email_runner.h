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

class EmailRunner final : public BlockingChannelRunner {
 public:
  // from / from_name: the envelope and From header of every notice.
  EmailRunner(asio::io_context& io, SmtpOptions smtp, std::string from, std::string from_name,
              int max_attempts = 3,
              std::chrono::milliseconds retry_delay = std::chrono::seconds(60));
  ~EmailRunner() override;  // Stop()
  EmailRunner(const EmailRunner&) = delete;
  EmailRunner& operator=(const EmailRunner&) = delete;

 private:
  void Run(Job& job) override;

  const SmtpOptions smtp_;
  const std::string from_;
  const std::string from_name_;
  const int max_attempts_;
  const std::chrono::milliseconds retry_delay_;
  SystemClock clock_;  // stamps the Date header and the evidence
};

}  // namespace lifeline::email
