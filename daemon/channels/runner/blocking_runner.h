// BlockingChannelRunner: a ChannelRunner for channels whose delivery is a
// blocking call (a fax call, an SMTP transfer). Jobs run FIFO on one worker
// thread through the subclass's Run() (a deferred job when its time comes,
// in queue order with the others); progress and done are posted to the
// io_context and dropped once the job is cancelled. Start, Cancel and Stop are
// called on the io_context thread; Run and the protected helpers on the worker.
#pragma once

// <cstddef> before <asio.hpp>: see daemon/channels/sms/at_engine.h.
#include <cstddef>
// (Asio after it.)
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/channels/runner/channel_runner.h"

namespace lifeline {

class BlockingChannelRunner : public ChannelRunner {
 public:
  // One queued or running job. Shared with the callbacks posted for it, so a
  // callback that runs after Cancel sees the flag and does nothing.
  class Job : public std::enable_shared_from_this<Job> {
   public:
    Job(const NoticeJob& notice, Progress progress, Done done);
    const NoticeJob& notice() const { return notice_; }
    // True once Cancel or Stop reached this job. Blocking calls that can end
    // early (the modem's waits, libcurl's progress callback) watch this flag;
    // it lives as long as Run does.
    const std::atomic<bool>& cancel_flag() const { return cancelled_; }
    bool cancelled() const { return cancelled_.load(); }
    // What the subclass keeps of a job it deferred (its tries so far), for
    // the next Run of the same job; worker thread only, freed with the job.
    std::shared_ptr<void>& resume() { return resume_; }

   private:
    friend class BlockingChannelRunner;
    const NoticeJob notice_;
    const Progress progress_;
    const Done done_;
    std::atomic<bool> cancelled_{false};
    bool done_posted_ = false;  // worker thread only
    std::shared_ptr<void> resume_;
    std::chrono::steady_clock::time_point not_before_{};  // under mu_: a deferred job waits until then
  };

  ~BlockingChannelRunner() override;  // Stop()
  BlockingChannelRunner(const BlockingChannelRunner&) = delete;
  BlockingChannelRunner& operator=(const BlockingChannelRunner&) = delete;

  void Start(const NoticeJob& job, Progress progress, Done done) final;
  void Cancel(int64_t attempt_id) final;
  void Stop() final;
  // Deliveries that ended by an exception (each a failed attempt), for metrics and tests.
  uint64_t internal_failures() const { return failures_.load(); }

 protected:
  // Starts the worker. Run is called only for jobs that Start queued, so never
  // before the subclass constructor has returned. A subclass destructor must
  // call Stop() first: the worker may be inside Run, using the subclass.
  explicit BlockingChannelRunner(asio::io_context& io);

  // Delivers one job; returns when it is done or cancelled. Call PostDone
  // once with the outcome unless job.cancelled().
  virtual void Run(Job& job) = 0;

  // Both are dropped if the job is cancelled before they run on the io
  // thread; a second PostDone for the same job is ignored.
  void PostProgress(Job& job, std::string summary, nlohmann::json evidence);
  void PostDone(Job& job, NoticeOutcome outcome);
  // Waits `delay` between attempts. False when the job was cancelled (or the
  // runner stopped) meanwhile: Run should return without an outcome.
  bool SleepUnlessCancelled(const Job& job, std::chrono::milliseconds delay);
  // Puts `job` back in the queue to run again after `delay`, and frees the
  // worker meanwhile: a retry's wait (a fax number busy or unanswered) must not
  // hold the one line while another recipient's notice could use it. Run
  // returns without an outcome after calling it; the next Run of the job finds
  // job.resume() as it was left. False (and nothing queued) when the job was
  // cancelled or the runner is stopping.
  bool Defer(Job& job, std::chrono::milliseconds delay);

 private:
  void WorkerLoop();
  void RunGuarded(Job& job);

  asio::io_context& io_;
  // Guards queue_, running_ and stopping_: the io thread adds and cancels jobs
  // while the worker takes them; the worker's retry sleep waits on cv_, so a
  // flag set under mu_ cannot slip past it.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::shared_ptr<Job> running_;
  bool stopping_ = false;
  std::atomic<uint64_t> failures_{0};
  std::thread worker_;
};

}  // namespace lifeline
