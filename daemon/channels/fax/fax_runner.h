// FaxRunner: the fax channel behind the ChannelRunner contract. One worker
// thread owns the modem (one call at a time, jobs FIFO): it renders the form
// for the job into work_dir/attempt-<id>.tif, then calls and retries per the
// RetryPolicy, posting progress/done to the io_context. Start, Cancel and Stop
// are called on the io_context thread; Stop returns within a few seconds even
// mid-call (the call is cancelled and the modem hung up).
#pragma once

// <cstddef> before <asio.hpp>: see daemon/channels/sms/at_engine.h.
#include <cstddef>
// (Asio after it.)
#include <asio.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/channels/fax/fax.h"
#include "daemon/escalation/channel_runner.h"

namespace lifeline::fax {

class FaxRunner final : public ChannelRunner {
 public:
  // sender_agency / sender_contact: who sends, as the first page's notice
  // block shows it (FaxNotice); empty = the report's agency / reporter.
  FaxRunner(asio::io_context& io, FaxSendOptions options, RetryPolicy policy,
            std::string work_dir, std::string sender_agency, std::string sender_contact);
  ~FaxRunner() override;  // Stop()
  FaxRunner(const FaxRunner&) = delete;
  FaxRunner& operator=(const FaxRunner&) = delete;

  void Start(const NoticeJob& job, Progress progress, Done done) override;
  void Cancel(int64_t attempt_id) override;
  void Stop() override;

  // One queued or running job; shared with the callbacks posted for it so
  // that a cancelled job's late posts see the flag and do nothing.
  struct Job;

 private:
  void WorkerLoop();
  void Run(const std::shared_ptr<Job>& job);
  void SendWithRetries(const std::shared_ptr<Job>& job, const std::string& tiff);
  // False when the job was cancelled (or the runner stopped) while sleeping.
  bool SleepUnlessCancelled(Job& job, std::chrono::seconds delay);

  asio::io_context& io_;
  const FaxSendOptions options_;
  const RetryPolicy policy_;
  const std::string work_dir_;
  const std::string sender_agency_;
  const std::string sender_contact_;

  // Guards queue_, running_ and stopping_: the io thread adds and cancels jobs
  // while the worker takes them; the worker's retry sleep waits on cv_.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::shared_ptr<Job> running_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace lifeline::fax
