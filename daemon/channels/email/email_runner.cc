// Retries here only repeat the same message to the same server after a
// temporary failure (4xx, connect, timeout); the engine decides everything
// across channels. Cancellation is one flag per job, read by the posted
// callbacks (on the io thread, so a Cancel that returned is never followed by
// a callback) and by libcurl's progress callback (so a transfer ends early).
#include "daemon/channels/email/email_runner.h"

#include <algorithm>
#include <utility>

namespace lifeline::email {

struct EmailRunner::Job {
  NoticeJob notice;
  Progress progress;
  Done done;
  std::atomic<bool> cancelled{false};
};

namespace {

using Job = EmailRunner::Job;

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

// The server's own words, or libcurl's when the server said nothing useful.
std::string Said(const EmailEvidence& e) {
  std::string why = e.failure_class.empty() ? "" : e.failure_class + ": ";
  return why + (e.smtp_reply.empty() ? e.curl_error : e.smtp_reply);
}

}  // namespace

EmailRunner::EmailRunner(asio::io_context& io, SmtpOptions smtp, std::string from,
                         std::string from_name, int max_attempts,
                         std::chrono::milliseconds retry_delay)
    : io_(io),
      smtp_(std::move(smtp)),
      from_(std::move(from)),
      from_name_(std::move(from_name)),
      max_attempts_(std::max(1, max_attempts)),
      retry_delay_(retry_delay),
      worker_([this] { WorkerLoop(); }) {}

EmailRunner::~EmailRunner() { Stop(); }

void EmailRunner::Start(const NoticeJob& job, Progress progress, Done done) {
  auto j = std::make_shared<Job>();
  j->notice = job;
  j->progress = std::move(progress);
  j->done = std::move(done);
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;  // shutting down: Stop promised no more callbacks
  queue_.push_back(std::move(j));
  cv_.notify_all();
}

void EmailRunner::Cancel(int64_t attempt_id) {
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

void EmailRunner::Stop() {
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

void EmailRunner::WorkerLoop() {
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

void EmailRunner::Run(const std::shared_ptr<Job>& job) {
  const NoticeJob& n = job->notice;
  const std::string to = n.address.address;
  if (n.address.kind != "email") {
    PostDone(io_, job, {NoticeOutcome::Kind::kFailed, "not an e-mail address: " + n.address.kind,
                        {{"error", "address kind " + n.address.kind}}});
    return;
  }
  const EmailMessage message{from_, from_name_, {to}, n.subject, n.text};
  for (int no = 1;; ++no) {
    Result<EmailEvidence> e = SendEmail(message, smtp_, clock_, &job->cancelled);
    if (job->cancelled.load()) return;
    if (!e.ok()) {  // nothing was sent: the message or the options are wrong
      PostDone(io_, job, {NoticeOutcome::Kind::kFailed,
                          "e-mail to " + to + " not sent: " + e.status().message(),
                          {{"error", e.status().ToString()}, {"attempt", no}}});
      return;
    }
    nlohmann::json evidence = e->ToJson();
    evidence["attempt"] = no;
    if (e->accepted()) {
      PostDone(io_, job, {NoticeOutcome::Kind::kConfirmed,
                          "e-mail to " + to + " accepted: " + e->smtp_reply, std::move(evidence)});
      return;
    }
    if (e->verdict == Verdict::kPermanent || no >= max_attempts_) {
      const std::string why = e->verdict == Verdict::kPermanent
                                  ? "refused permanently"
                                  : "gave up after " + std::to_string(no) + " attempts";
      PostDone(io_, job, {NoticeOutcome::Kind::kFailed,
                          "e-mail to " + to + " " + why + " (" + Said(*e) + ")",
                          std::move(evidence)});
      return;
    }
    evidence["retry_delay_ms"] = retry_delay_.count();
    PostProgress(io_, job,
                 "e-mail to " + to + " attempt " + std::to_string(no) + " failed for now (" +
                     Said(*e) + "); retrying",
                 std::move(evidence));
    if (!SleepUnlessCancelled(*job)) return;
  }
}

bool EmailRunner::SleepUnlessCancelled(Job& job) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, retry_delay_, [&] { return stopping_ || job.cancelled.load(); });
}

}  // namespace lifeline::email
