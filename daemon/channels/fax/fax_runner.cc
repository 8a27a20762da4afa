// The runner keeps policy out: the RetryPolicy decides retries within this
// channel, and the engine decides everything across channels. Cancellation is
// one flag per job, read by the posted callbacks (on the io thread, so a
// Cancel that returned is never followed by a callback) and by the modem's
// waits (so a call in progress ends and hangs up).
#include "daemon/channels/fax/fax_runner.h"

#include <filesystem>
#include <utility>

namespace lifeline::fax {

struct FaxRunner::Job {
  NoticeJob notice;
  Progress progress;
  Done done;
  std::atomic<bool> cancelled{false};
};

namespace {

using std::chrono::seconds;
using Job = FaxRunner::Job;

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

void PostDone(asio::io_context& io, const std::shared_ptr<Job>& job, NoticeOutcome outcome) {
  asio::post(io, [job, outcome = std::move(outcome)] {
    if (!job->cancelled.load()) job->done(outcome);
  });
}

void PostProgress(asio::io_context& io, const std::shared_ptr<Job>& job, std::string summary,
                  nlohmann::json evidence) {
  asio::post(io, [job, summary = std::move(summary), evidence = std::move(evidence)] {
    if (!job->cancelled.load()) job->progress(summary, evidence);
  });
}

std::string ConfirmedSummary(const AttemptEvidence& ev, int attempt_no) {
  return "fax to " + ev.number + " confirmed: " + std::to_string(ev.pages_confirmed) + "/" +
         std::to_string(ev.pages_in_document) + " pages MCF, remote CSI '" + ev.remote_csi +
         "' (attempt " + std::to_string(attempt_no) + ")";
}

}  // namespace

FaxRunner::FaxRunner(asio::io_context& io, FaxSendOptions options, RetryPolicy policy,
                     std::string work_dir, std::string sender_agency, std::string sender_contact)
    : io_(io),
      options_(std::move(options)),
      policy_(policy),
      work_dir_(std::move(work_dir)),
      sender_agency_(std::move(sender_agency)),
      sender_contact_(std::move(sender_contact)),
      worker_([this] { WorkerLoop(); }) {}

FaxRunner::~FaxRunner() { Stop(); }

void FaxRunner::Start(const NoticeJob& job, Progress progress, Done done) {
  auto j = std::make_shared<Job>();
  j->notice = job;
  j->progress = std::move(progress);
  j->done = std::move(done);
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;  // shutting down: Stop promised no more callbacks
  queue_.push_back(std::move(j));
  cv_.notify_all();
}

void FaxRunner::Cancel(int64_t attempt_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = queue_.begin(); it != queue_.end();) {
    if ((*it)->notice.attempt_id == attempt_id) {
      (*it)->cancelled.store(true);
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  // Set under the lock so that the worker's retry sleep cannot miss it.
  if (running_ && running_->notice.attempt_id == attempt_id) running_->cancelled.store(true);
  cv_.notify_all();
}

void FaxRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& j : queue_) j->cancelled.store(true);
    queue_.clear();
    if (running_) running_->cancelled.store(true);
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void FaxRunner::WorkerLoop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = queue_.front();
      queue_.pop_front();
      running_ = job;
    }
    Run(job);
    std::lock_guard<std::mutex> lock(mu_);
    running_.reset();
  }
}

void FaxRunner::Run(const std::shared_ptr<Job>& job) {
  auto tiff = RenderNotice(job->notice, work_dir_, sender_agency_, sender_contact_);
  if (!tiff.ok()) {
    PostDone(io_, job, {NoticeOutcome::Kind::kFailed,
                        "fax not sent: " + tiff.status().message(),
                        {{"attempts", nlohmann::json::array()}, {"error", tiff.status().ToString()}}});
    return;
  }
  SendWithRetries(job, *tiff);
}

void FaxRunner::SendWithRetries(const std::shared_ptr<Job>& job, const std::string& tiff) {
  FaxSendOptions o = options_;
  o.cancel = &job->cancelled;  // the job outlives the call: Run holds it
  nlohmann::json attempts = nlohmann::json::array();
  const auto first = std::chrono::steady_clock::now();
  for (int no = 1;; ++no) {
    const AttemptEvidence ev = SendFaxAttempt(o, job->notice.address.address, tiff);
    if (job->cancelled.load()) return;
    attempts.push_back(ev.ToJson());
    const auto elapsed =
        std::chrono::duration_cast<seconds>(std::chrono::steady_clock::now() - first);
    const RetryDecision d = DecideRetry(ev, no, elapsed, o.max_bit_rate, policy_);
    if (d.action != RetryAction::kRetry) {
      const bool ok = ev.success();
      PostDone(io_, job, {ok ? NoticeOutcome::Kind::kConfirmed : NoticeOutcome::Kind::kFailed,
                          ok ? ConfirmedSummary(ev, no)
                             : "fax to " + ev.number + " failed after " + std::to_string(no) +
                                   " attempt(s): " + d.reason,
                          {{"attempts", attempts}, {"tiff", tiff}}});
      return;
    }
    nlohmann::json interim = ev.ToJson();
    interim["attempt"] = no;
    interim["retry_reason"] = d.reason;
    interim["retry_delay_s"] = d.delay.count();
    PostProgress(io_, job,
                 "fax to " + ev.number + " attempt " + std::to_string(no) + " failed (" + d.reason +
                     "); retrying in " + std::to_string(d.delay.count()) + " s",
                 std::move(interim));
    o.max_bit_rate = d.next_max_bit_rate;
    if (!SleepUnlessCancelled(*job, d.delay)) return;
  }
}

bool FaxRunner::SleepUnlessCancelled(Job& job, seconds delay) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, delay, [&] { return stopping_ || job.cancelled.load(); });
}

}  // namespace lifeline::fax
