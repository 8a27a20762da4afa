// FaxRunner: the fax channel behind the ChannelRunner contract. One worker
// thread owns the modem (one call at a time, jobs FIFO): it renders the form
// for the job into work_dir/attempt-<id>.tif, then calls and retries per the
// RetryPolicy (a retry waits in the queue, so the line serves other notices
// meanwhile), posting progress/done to the io_context. Start, Cancel and Stop
// are called on the io_context thread; Stop returns within a few seconds even
// mid-call (the call is cancelled and the modem hung up).
#pragma once

// <cstddef> before <asio.hpp>: see daemon/channels/sms/at_engine.h.
#include <cstddef>
// (Asio after it.)
#include <asio.hpp>
#include <string>

#include "daemon/channels/fax/fax.h"
#include "daemon/channels/runner/blocking_runner.h"

namespace lifeline::fax {

class FaxRunner final : public BlockingChannelRunner {
 public:
  // sender_agency / sender_contact: who sends, as the first page's notice
  // block shows it (FaxNotice); empty = the report's agency / reporter.
  FaxRunner(asio::io_context& io, FaxSendOptions options, RetryPolicy policy,
            std::string work_dir, std::string sender_agency, std::string sender_contact);
  ~FaxRunner() override;  // Stop()
  FaxRunner(const FaxRunner&) = delete;
  FaxRunner& operator=(const FaxRunner&) = delete;

 private:
  void Run(Job& job) override;
  // One call; a retry is deferred (the line free for other notices meanwhile).
  void CallOnce(Job& job);

  const FaxSendOptions options_;
  const RetryPolicy policy_;
  const std::string work_dir_;
  const std::string sender_agency_;
  const std::string sender_contact_;
};

}  // namespace lifeline::fax
