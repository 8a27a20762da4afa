// The phone channel: a call is made by a person, so a notice becomes a task
// with a call card (number, hours, the script to read, the reason) that
// operators see with `lifeline phone pending`. The task is confirmed only when
// an operator records who answered and when (`lifeline phone confirm`); that
// record is the evidence. Open tasks are announced again every
// `reminder_every` until confirmed. Tasks live in the store, so a restart
// finds them; Start with the same attempt id finds the same task.
// io_context thread only; store work goes through AsyncStore.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "daemon/channels/runner/channel_runner.h"
#include "daemon/store/store.h"

namespace lifeline {

// The card as operators read it, in zh-TW with the English beside it.
std::string RenderCallCard(const PhoneTask& task);
nlohmann::json PhoneTaskToJson(const PhoneTask& task);

class PhoneRunner final : public ChannelRunner {
 public:
  PhoneRunner(asio::io_context& io, AsyncStore& store, std::chrono::seconds reminder_every);
  ~PhoneRunner() override;

  void Start(const NoticeJob& job, Progress progress, Done done) override;
  void Cancel(int64_t attempt_id) override;
  void Stop() override;

  // An operator's confirmation. `reply` gets the confirmed task, or NotFound /
  // FailedPrecondition (already confirmed or cancelled) / InvalidArgument.
  // `actor` is who records it (journaled with the confirmation).
  void Confirm(int64_t task_id, const std::string& answered_by, const std::string& answered_at,
               const std::string& note, const std::string& actor, std::function<void(Result<PhoneTask>)> reply);

  std::function<void(const PhoneTask&)> on_reminder;  // for the console; the journal has it too

 private:
  struct Waiting {
    int64_t task_id = 0;
    Progress progress;
    Done done;
  };
  void ScheduleReminders();

  AsyncStore& store_;
  std::chrono::seconds reminder_every_;
  std::map<int64_t, Waiting> waiting_;  // by attempt id
  asio::steady_timer reminder_timer_;
  bool stopped_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace lifeline
