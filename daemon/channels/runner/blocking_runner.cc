// Cancellation is one flag per job, set under mu_ by Cancel and Stop, and read
// by the posted callbacks on the io thread: since Cancel also runs there, a
// Cancel that returned is never followed by a callback for that job, whatever
// the worker was doing when it came.
#include "daemon/channels/runner/blocking_runner.h"

#include <algorithm>

#include "daemon/core/log.h"
#include "daemon/core/text.h"

#include <utility>

namespace lifeline {

BlockingChannelRunner::Job::Job(const NoticeJob& notice, Progress progress, Done done)
    : notice_(notice), progress_(std::move(progress)), done_(std::move(done)) {}

BlockingChannelRunner::BlockingChannelRunner(asio::io_context& io)
    : io_(io), worker_([this] { WorkerLoop(); }) {}

BlockingChannelRunner::~BlockingChannelRunner() { Stop(); }

void BlockingChannelRunner::Start(const NoticeJob& job, Progress progress, Done done) {
  auto j = std::make_shared<Job>(job, std::move(progress), std::move(done));
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;  // shutting down: Stop promised no more callbacks
  queue_.push_back(std::move(j));
  cv_.notify_all();
}

void BlockingChannelRunner::Cancel(int64_t attempt_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = queue_.begin(); it != queue_.end();) {
    if ((*it)->notice_.attempt_id == attempt_id) {
      (*it)->cancelled_.store(true);
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  if (running_ && running_->notice_.attempt_id == attempt_id) running_->cancelled_.store(true);
  cv_.notify_all();
}

void BlockingChannelRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& j : queue_) j->cancelled_.store(true);
    queue_.clear();
    if (running_) running_->cancelled_.store(true);
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void BlockingChannelRunner::WorkerLoop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        if (stopping_) return;
        // The first job in queue order whose time has come; else wait for the earliest.
        const auto now = std::chrono::steady_clock::now();
        auto ready = std::find_if(queue_.begin(), queue_.end(), [&](const auto& j) { return j->not_before_ <= now; });
        if (ready != queue_.end()) {
          job = *ready;
          queue_.erase(ready);
          running_ = job;
          break;
        }
        if (queue_.empty()) {
          cv_.wait(lock);
        } else {
          auto earliest = std::min_element(queue_.begin(), queue_.end(), [](const auto& a, const auto& b) {
            return a->not_before_ < b->not_before_;
          });
          cv_.wait_until(lock, (*earliest)->not_before_);
        }
      }
    }
    RunGuarded(*job);
    std::lock_guard<std::mutex> lock(mu_);
    running_.reset();
  }
}

bool BlockingChannelRunner::Defer(Job& job, std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || job.cancelled()) return false;
  job.not_before_ = std::chrono::steady_clock::now() + delay;
  queue_.push_back(job.shared_from_this());
  cv_.notify_all();
  return true;
}

// No exception leaves the worker (it would end the process): a delivery that
// throws is a failed attempt, with the reason, and the next job runs.
void BlockingChannelRunner::RunGuarded(Job& job) {
  std::string why;
  try {
    Run(job);
    return;
  } catch (const std::exception& e) {
    why = e.what();
  } catch (...) {
    why = "unknown exception";
  }
  failures_.fetch_add(1);
  spdlog::error("channel worker: attempt {} ended by an internal error: {}", job.notice().attempt_id, why);
  PostDone(job, NoticeOutcome{NoticeOutcome::Kind::kFailed, "internal error in the channel: " + SafeText(why),
                              {{"error", SafeText(why)}}});
}

void BlockingChannelRunner::PostProgress(Job& job, std::string summary, nlohmann::json evidence) {
  asio::post(io_, [j = job.shared_from_this(), summary = std::move(summary),
                   evidence = std::move(evidence)] {
    if (!j->cancelled()) j->progress_(summary, evidence);
  });
}

void BlockingChannelRunner::PostDone(Job& job, NoticeOutcome outcome) {
  // The contract allows one outcome per Start; a second is a subclass bug
  // that must not reach the engine as a second result.
  if (job.done_posted_) return;
  job.done_posted_ = true;
  asio::post(io_, [j = job.shared_from_this(), outcome = std::move(outcome)] {
    if (!j->cancelled()) j->done_(outcome);
  });
}

bool BlockingChannelRunner::SleepUnlessCancelled(const Job& job, std::chrono::milliseconds delay) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, delay, [&] { return stopping_ || job.cancelled(); });
}

}  // namespace lifeline
