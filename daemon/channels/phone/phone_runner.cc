#include <asio/post.hpp>

#include "daemon/channels/phone/phone.h"
#include "daemon/core/log.h"

namespace lifeline {

std::string RenderCallCard(const PhoneTask& t) {
  std::string card;
  card += "┌ 電話通報任務 PHONE TASK #" + std::to_string(t.id) + (t.drill ? "  【演練 DRILL】" : "") + "\n";
  card += "│ 受話者 To:      " + t.recipient_name + " (" + t.recipient + ")\n";
  card += "│ 電話 Number:    " + t.number + (t.hours.empty() ? "" : "   （受理時段 hours " + t.hours + "）") + "\n";
  card += "│ 時限 Due by:    " + t.due_at + "\n";
  card += "│ 事由 Reason:    " + t.reason + "\n";
  card += "│ 通報單 Report:  " + t.report_id + " r" + std::to_string(t.revision) + "\n";
  card += "│ 請宣讀 Read aloud:\n│   " + t.script + "\n";
  card += "│ 狀態 State:     " + t.state;
  if (t.state == "confirmed") card += " — answered by " + t.answered_by + " at " + t.answered_at;
  if (!t.note.empty()) card += " (" + t.note + ")";
  card += "\n└ lifeline phone confirm " + std::to_string(t.id) + " --answered-by NAME --at TIME [--note TEXT]\n";
  return card;
}

nlohmann::json PhoneTaskToJson(const PhoneTask& t) {
  nlohmann::json j = {{"id", t.id}, {"attempt", t.attempt_id}, {"report_id", t.report_id},
                      {"revision", t.revision}, {"drill", t.drill}, {"recipient", t.recipient},
                      {"recipient_name", t.recipient_name}, {"number", t.number}, {"hours", t.hours},
                      {"script", t.script}, {"reason", t.reason}, {"due_at", t.due_at},
                      {"created_at", t.created_at}, {"state", t.state}, {"reminders", t.reminders}};
  if (t.state == "confirmed") {
    j["answered_by"] = t.answered_by;
    j["answered_at"] = t.answered_at;
    j["note"] = t.note;
    j["confirmed_at"] = t.confirmed_at;
  }
  return j;
}

namespace {

NoticeOutcome Confirmed(const PhoneTask& t) {
  return {NoticeOutcome::Kind::kConfirmed,
          "call to " + t.number + " answered by " + t.answered_by + " at " + t.answered_at,
          PhoneTaskToJson(t)};
}

}  // namespace

PhoneRunner::PhoneRunner(asio::io_context& io, AsyncStore& store, std::chrono::seconds reminder_every)
    : store_(store), reminder_every_(reminder_every), reminder_timer_(io) {
  ScheduleReminders();
}

PhoneRunner::~PhoneRunner() { Stop(); }

void PhoneRunner::Start(const NoticeJob& job, Progress progress, Done done) {
  PhoneTask task;
  task.attempt_id = job.attempt_id;
  task.report_id = job.report_id;
  task.revision = job.revision;
  task.drill = job.drill;
  task.recipient = job.recipient_key;
  task.recipient_name = job.recipient_name;
  task.number = job.address.address;
  task.hours = job.address.hours;
  task.script = job.text;
  task.reason = job.reason_zh;
  task.due_at = job.due_at;
  auto stored = std::make_shared<PhoneTask>();
  int64_t attempt = job.attempt_id;
  store_.Run(
      [task, stored](Store& st) -> Status {
        auto r = st.AddPhoneTask(task);
        if (r.ok()) *stored = *r;
        return r.status();
      },
      [this, attempt, stored, progress, done, alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired() || stopped_) return;
        if (!s.ok()) {
          return done({NoticeOutcome::Kind::kFailed, "the phone task could not be stored: " + s.ToString(), {}});
        }
        // A task confirmed before a restart, whose outcome was not yet recorded.
        if (stored->state == "confirmed") return done(Confirmed(*stored));
        if (stored->state == "cancelled") {
          return done({NoticeOutcome::Kind::kFailed, "the phone task was cancelled", PhoneTaskToJson(*stored)});
        }
        waiting_[attempt] = {stored->id, progress, done};
        spdlog::warn("phone task #{} for {}: call {} now\n{}", stored->id, stored->recipient_name, stored->number,
                     RenderCallCard(*stored));
        progress("phone task #" + std::to_string(stored->id) + " raised: call " + stored->number,
                 PhoneTaskToJson(*stored));
      });
}

void PhoneRunner::Cancel(int64_t attempt_id) { waiting_.erase(attempt_id); }

void PhoneRunner::Stop() {
  stopped_ = true;
  waiting_.clear();
  reminder_timer_.cancel();
}

void PhoneRunner::Confirm(int64_t task_id, const std::string& answered_by, const std::string& answered_at,
                          const std::string& note, const std::string& actor,
                          std::function<void(Result<PhoneTask>)> reply) {
  auto when = ParseRfc3339(answered_at);
  if (answered_by.empty() || answered_by.size() > 200) {
    return reply(InvalidArgument("answered_by: the name of the person who answered is required (1-200 characters)"));
  }
  if (!when.ok()) {
    return reply(InvalidArgument("answered_at: " + when.status().message() +
                                 " (give the time of the call with its offset, e.g. 2026-11-21T10:05:00+08:00)"));
  }
  if (when->instant > std::chrono::system_clock::now() + std::chrono::minutes(5)) {
    return reply(InvalidArgument("answered_at: " + answered_at + " is in the future; give the time the call was answered"));
  }
  if (note.size() > 2000) return reply(InvalidArgument("note: at most 2000 characters"));
  auto confirmed = std::make_shared<PhoneTask>();
  std::string at = FormatRfc3339(*when);
  store_.Run(
      [task_id, answered_by, at, note, actor, confirmed](Store& st) -> Status {
        Store::ActorScope by(st, actor);
        auto r = st.ConfirmPhoneTask(task_id, answered_by, at, note);
        if (r.ok()) *confirmed = *r;
        return r.status();
      },
      [this, confirmed, reply, alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired()) return;
        if (!s.ok()) return reply(s);
        reply(*confirmed);
        auto it = waiting_.find(confirmed->attempt_id);
        if (it == waiting_.end()) return;
        Done done = std::move(it->second.done);
        waiting_.erase(it);
        done(Confirmed(*confirmed));
      });
}

void PhoneRunner::ScheduleReminders() {
  reminder_timer_.expires_after(reminder_every_);
  reminder_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const std::error_code& ec) {
    if (ec || alive.expired() || stopped_) return;
    for (const auto& [attempt, w] : waiting_) {
      int64_t task_id = w.task_id;
      auto task = std::make_shared<PhoneTask>();
      store_.Run(
          [task_id, task](Store& st) -> Status {
            LIFELINE_RETURN_IF_ERROR(st.RemindPhoneTask(task_id));
            auto t = st.GetPhoneTask(task_id);
            if (t.ok()) *task = *t;
            return t.status();
          },
          [this, task, alive](Status s) {
            if (alive.expired() || !s.ok() || task->state != "open") return;
            spdlog::warn("REMINDER: phone task #{} is still open: call {} ({})", task->id, task->number,
                         task->recipient_name);
            if (on_reminder) on_reminder(*task);
          });
    }
    ScheduleReminders();
  });
}

}  // namespace lifeline
