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
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/channels/email/email.h"
#include "daemon/core/clock.h"
#include "daemon/escalation/channel_runner.h"

namespace lifeline::email {

class EmailRunner final : public ChannelRunner {
 public:
  // from / from_name: the envelope and From header of every notice.
  EmailRunner(asio::io_context& io, SmtpOptions smtp, std::string from, std::string from_name,
              int max_attempts = 3,
              std::chrono::milliseconds retry_delay = std::chrono::seconds(60));
  ~EmailRunner() override;  // Stop()
  EmailRunner(const EmailRunner&) = delete;
  EmailRunner& operator=(const EmailRunner&) = delete;

  void Start(const NoticeJob& job, Progress progress, Done done) override;
  void Cancel(int64_t attempt_id) override;
  void Stop() override;

  // One queued or running job; shared with the callbacks posted for it so
  // that a cancelled job's late posts see the flag and do nothing.
  struct Job;

 private:
  void WorkerLoop();
  void Run(const std::shared_ptr<Job>& job);
  // False when the job was cancelled (or the runner stopped) while sleeping.
  bool SleepUnlessCancelled(Job& job);

  asio::io_context& io_;
  const SmtpOptions smtp_;
  const std::string from_;
  const std::string from_name_;
  const int max_attempts_;
  const std::chrono::milliseconds retry_delay_;
  SystemClock clock_;  // stamps the Date header and the evidence

  // Guards queue_, running_ and stopping_: the io thread adds and cancels jobs
  // while the worker takes them; the worker's retry sleep waits on cv_.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::shared_ptr<Job> running_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace lifeline::email
