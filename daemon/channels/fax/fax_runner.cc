// The runner keeps policy out: the RetryPolicy decides retries within this
// channel, and the engine decides everything across channels. Each Run makes
// one call; a retry waits in the queue (Defer), so the one line serves other
// recipients' notices while a busy or unanswered number waits its turn. Cancellation is
// one flag per job, read by the posted callbacks (on the io thread, so a
// Cancel that returned is never followed by a callback) and by the modem's
// waits (so a call in progress ends and hangs up).
#include "daemon/channels/fax/fax_runner.h"

#include "daemon/core/text.h"

#include <filesystem>
#include <utility>

namespace lifeline::fax {

namespace {

using std::chrono::seconds;

// The form for this notice, written where the evidence can point at it.
Result<std::string> RenderNotice(const NoticeJob& n, const std::string& work_dir,
                                 const std::string& sender_agency,
                                 const std::string& sender_contact) {
  if (n.address.kind != "fax") return InvalidArgument("not a fax address: " + n.address.kind);
  ValidationOutcome report = ValidateReportJson(n.report);
  if (!report.ok()) return InvalidArgument("the report is not valid: " + report.Describe());
  FaxNotice notice{n.reason_zh, std::nullopt, n.rule_label, n.recipient_name, sender_agency,
                   sender_contact};
  if (!n.due_at.empty()) {
    auto due = ParseRfc3339(n.due_at);
    if (!due.ok()) return InvalidArgument("due_at '" + n.due_at + "' is not RFC 3339");
    notice.deadline = *due;
  }
  std::error_code ec;
  std::filesystem::create_directories(work_dir, ec);
  if (ec) return IoError("fax work dir " + work_dir + ": " + ec.message());
  const std::string tiff = work_dir + "/attempt-" + std::to_string(n.attempt_id) + ".tif";
  auto pages = RenderFormTiff(*report.report, notice, RenderOptions{}, tiff);
  if (!pages.ok()) return pages.status();
  return tiff;
}

std::string ConfirmedSummary(const AttemptEvidence& ev, int attempt_no) {
  return "fax to " + ev.number + " confirmed: " + std::to_string(ev.pages_confirmed) + "/" +
         std::to_string(ev.pages_in_document) + " pages MCF, remote CSI '" + SafeText(ev.remote_csi) +
         "' (attempt " + std::to_string(attempt_no) + ")";
}

}  // namespace

FaxRunner::FaxRunner(asio::io_context& io, FaxSendOptions options, RetryPolicy policy,
                     std::string work_dir, std::string sender_agency, std::string sender_contact)
    : BlockingChannelRunner(io),
      options_(std::move(options)),
      policy_(policy),
      work_dir_(std::move(work_dir)),
      sender_agency_(std::move(sender_agency)),
      sender_contact_(std::move(sender_contact)) {}

// Before the members go: the worker may be mid-call, reading options_.
FaxRunner::~FaxRunner() { Stop(); }

// What a job keeps between its calls: the form it sends, every call so far,
// when the first began (the retry budget counts from it), the speed to try.
struct FaxTries {
  std::string tiff;
  nlohmann::json attempts = nlohmann::json::array();
  std::chrono::steady_clock::time_point first{};
  int number = 0;  // calls made
  int max_bit_rate = 0;
};

void FaxRunner::Run(Job& job) {
  if (!job.resume()) {
    auto tiff = RenderNotice(job.notice(), work_dir_, sender_agency_, sender_contact_);
    if (!tiff.ok()) {
      PostDone(job, {NoticeOutcome::Kind::kFailed,
                     "fax not sent: " + tiff.status().message(),
                     {{"attempts", nlohmann::json::array()}, {"error", tiff.status().ToString()}}});
      return;
    }
    auto tries = std::make_shared<FaxTries>();
    tries->tiff = *tiff;
    tries->first = std::chrono::steady_clock::now();
    tries->max_bit_rate = options_.max_bit_rate;
    job.resume() = tries;
  }
  CallOnce(job);
}

void FaxRunner::CallOnce(Job& job) {
  auto& tries = *std::static_pointer_cast<FaxTries>(job.resume());
  FaxSendOptions o = options_;
  o.cancel = &job.cancel_flag();  // the job outlives the call: Run holds it
  o.max_bit_rate = tries.max_bit_rate;
  const int no = ++tries.number;
  const AttemptEvidence ev = SendFaxAttempt(o, job.notice().address.address, tries.tiff);
  if (job.cancelled()) return;
  tries.attempts.push_back(ev.ToJson());
  const auto elapsed = std::chrono::duration_cast<seconds>(std::chrono::steady_clock::now() - tries.first);
  const RetryDecision d = DecideRetry(ev, no, elapsed, o.max_bit_rate, policy_);
  if (d.action != RetryAction::kRetry) {
    const bool ok = ev.success();
    PostDone(job, {ok ? NoticeOutcome::Kind::kConfirmed : NoticeOutcome::Kind::kFailed,
                   ok ? ConfirmedSummary(ev, no)
                      : "fax to " + ev.number + " failed after " + std::to_string(no) + " attempt(s): " + d.reason,
                   {{"attempts", tries.attempts}, {"tiff", tries.tiff}}});
    return;
  }
  nlohmann::json interim = ev.ToJson();
  interim["attempt"] = no;
  interim["retry_reason"] = d.reason;
  interim["retry_delay_s"] = d.delay.count();
  PostProgress(job,
               "fax to " + ev.number + " attempt " + std::to_string(no) + " failed (" + d.reason +
                   "); retrying in " + std::to_string(d.delay.count()) + " s",
               std::move(interim));
  tries.max_bit_rate = d.next_max_bit_rate;
  Defer(job, d.delay);  // false: cancelled or stopping, nothing more to say
}

}  // namespace lifeline::fax
