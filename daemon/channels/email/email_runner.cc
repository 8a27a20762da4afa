// Retries here only repeat the same message to the same server after a
// temporary failure (4xx, connect, timeout); the engine decides everything
// across channels. Cancellation is one flag per job, read by the posted
// callbacks (on the io thread, so a Cancel that returned is never followed by
// a callback) and by libcurl's progress callback (so a transfer ends early).
#include "daemon/channels/email/email_runner.h"

#include <algorithm>
#include <utility>

#include "daemon/core/text.h"

namespace lifeline::email {

namespace {

// The server's own words, or libcurl's when the server said nothing useful.
std::string Said(const EmailEvidence& e) {
  std::string why = e.failure_class.empty() ? "" : e.failure_class + ": ";
  return why + SafeText(e.smtp_reply.empty() ? e.curl_error : e.smtp_reply, 512);
}

}  // namespace

// Confirmed only when the server that accepted is the recipient's own mail
// domain's; a relay's 250 is "sent", and the plan goes on to other channels.
NoticeOutcome EmailRunner::Accepted(const ChannelAddress& to, const std::string& server, const EmailEvidence& e,
                                    nlohmann::json evidence) const {
  const bool own_domain = confirmation_.relay_is_recipient_domain || to.relay_is_recipient_domain;
  evidence["confirmation"] = own_domain ? "accepted by the recipient's mail domain's server"
                                        : "accepted by a relay: sent, not confirmed";
  if (own_domain) {
    return {NoticeOutcome::Kind::kConfirmed,
            "e-mail to " + to.address + " accepted by its domain's server " + server + ": " + SafeText(e.smtp_reply, 512),
            std::move(evidence)};
  }
  return {NoticeOutcome::Kind::kSent,
          "e-mail to " + to.address + " sent via relay " + server + " (" + SafeText(e.smtp_reply, 512) +
              "); not confirmed: the relay's acceptance is not the recipient's",
          std::move(evidence)};
}

EmailRunner::EmailRunner(asio::io_context& io, SmtpOptions smtp, std::string from,
                         std::string from_name, int max_attempts,
                         std::chrono::milliseconds retry_delay, EmailConfirmation confirmation)
    : BlockingChannelRunner(io),
      smtp_(std::move(smtp)),
      from_(std::move(from)),
      from_name_(std::move(from_name)),
      max_attempts_(std::max(1, max_attempts)),
      retry_delay_(retry_delay),
      confirmation_(confirmation) {}

// Before the members go: the worker may be mid-transfer, reading smtp_.
EmailRunner::~EmailRunner() { Stop(); }

void EmailRunner::Run(Job& job) {
  const NoticeJob& n = job.notice();
  const std::string to = n.address.address;
  if (n.address.kind != "email") {
    PostDone(job, {NoticeOutcome::Kind::kFailed,
                   "not an e-mail address: " + n.address.kind,
                   {{"error", "address kind " + n.address.kind}}});
    return;
  }
  const EmailMessage message{from_, from_name_, {to}, n.subject, n.text};
  for (int no = 1;; ++no) {
    Result<EmailEvidence> e = SendEmail(message, smtp_, clock_, &job.cancel_flag());
    if (job.cancelled()) return;
    if (!e.ok()) {  // nothing was sent: the message or the options are wrong
      PostDone(job, {NoticeOutcome::Kind::kFailed,
                     "e-mail to " + to + " not sent: " + e.status().message(),
                     {{"error", e.status().ToString()}, {"attempt", no}}});
      return;
    }
    nlohmann::json evidence = e->ToJson();
    evidence["attempt"] = no;
    if (e->accepted()) {
      PostDone(job, Accepted(n.address, smtp_.host, *e, std::move(evidence)));
      return;
    }
    if (e->verdict == Verdict::kPermanent || no >= max_attempts_) {
      const std::string why = e->verdict == Verdict::kPermanent
                                  ? "refused permanently"
                                  : "gave up after " + std::to_string(no) + " attempts";
      PostDone(job, {NoticeOutcome::Kind::kFailed,
                     "e-mail to " + to + " " + why + " (" + Said(*e) + ")", std::move(evidence)});
      return;
    }
    evidence["retry_delay_ms"] = retry_delay_.count();
    PostProgress(job,
                 "e-mail to " + to + " attempt " + std::to_string(no) + " failed for now (" +
                     Said(*e) + "); retrying",
                 std::move(evidence));
    if (!SleepUnlessCancelled(job, retry_delay_)) return;
  }
}

}  // namespace lifeline::email
