// EscalationEngine: carries out the planner's decisions for every report the
// national site has not accepted. On each tick it asks Decide() what to do,
// records the decision in the store (report -> fallback with its reason,
// notifications per recipient, an attempt per channel start, recipients gone
// loud), and only after that commit hands the attempt to the channel's
// ChannelRunner. Outcomes come back the same way: stored, then applied. All
// plan state is in the store, so Start() after a restart rebuilds the plan,
// resumes every open attempt under its id and never repeats a confirmed
// recipient. It also announces later deadlines (damage control, the full
// report, the review) once ahead and once when due. io_context thread only.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "daemon/core/clock.h"
#include "daemon/channels/runner/channel_runner.h"
#include "daemon/escalation/escalation.h"
#include "daemon/store/store.h"

namespace lifeline {

struct EngineOptions {
  EscalationPolicy policy;
  std::chrono::milliseconds tick{1000};
  std::chrono::seconds reminder_ahead{7200};
  // A report filed after its deadline still goes to the site first: this long,
  // unless the site is already known to be in outage.
  std::chrono::seconds late_site_grace{60};
  std::string callback;  // the number recipients call back; "" = the report's reporter
};

// Where the reports the site has not accepted stand in their fallback, for
// those who alert the people in the room.
struct FallbackSummary {
  bool under_way = false;      // one fell back and has a recipient unconfirmed
  bool deadline_near = false;  // ... and that recipient went loud, or its deadline is within louder_before
  bool all_confirmed = false;  // one fell back, and every one that did reached all its recipients
  bool operator==(const FallbackSummary&) const = default;
};

// A notice made outside the box and recorded by an operator: the paper form
// faxed from the office's own machine when the box's line failed, a call from
// a mobile phone. It names one of the recipient's channels in the directory
// (so a restart finds it where the plan expects it) and carries what shows it
// arrived; it confirms the recipient like any channel's own proof.
struct NoticeByHand {
  std::string report_id;
  std::string recipient;    // the directory's key: superior, national_centre, ...
  std::string channel;      // sms | fax | phone | email: one the directory lists for the recipient
  nlohmann::json evidence;  // what the operator states ({sent_at, proof, from, note}), stored as given
  std::string recorded_by;  // the principal: journaled with every write
};

// What a drill simulates for its report only, besides the site's loss from
// its start (SetDrillOutage): during [from, until) the report's `channel`
// ("sms", "fax") fails every attempt at once with `summary`; "site" states the
// site's loss as `link_class` ("http_5xx", "timeout"); "mains" puts the
// report's conditions on battery (with `battery_runtime` when the scenario
// states it), so the reason given is the power's.
struct DrillFault {
  std::string channel;  // sms | fax | site | mains
  WallTime from{}, until{};
  std::string link_class;
  std::optional<std::chrono::seconds> battery_runtime;
  std::string summary;  // the failed attempt's outcome, in the drill's words
};

// One line of what the engine did, for the log and the console.
struct EngineEvent {
  std::string report_id;
  bool drill = false;
  std::string text;
};

class EscalationEngine {
 public:
  EscalationEngine(asio::io_context& io, AsyncStore& store, const Clock& clock, Directory directory,
                   Templates templates, EngineOptions options);
  ~EscalationEngine();

  // Borrowed, may be null (a channel this box lacks: its attempts fail at once
  // with that reason, and the planner moves on). Set before Start.
  void SetRunner(const std::string& kind, ChannelRunner* runner);
  // Loads every unaccepted report and its plan from the store, resumes open
  // attempts, and starts ticking.
  void Start();
  // Stops ticking and every runner, then lets the runners go; safe to call again.
  void Stop();

  // A revision intake has just stored.
  void OnStored(StoredRevision revision);
  // The site accepted a revision (in time or late).
  void OnAccepted(const std::string& report_id, int revision);
  // The report's deadlines as its record now stands (a stage was stored): a
  // deadline marked "met" gets no reminder.
  void OnScheduleChanged(const std::string& report_id, nlohmann::json schedule);
  // The live conditions: link monitor and power source.
  void SetConditions(const Conditions& conditions);
  // A drill simulates the site's loss for its report until `until`.
  void SetDrillOutage(const std::string& report_id, WallTime until);
  // The drill's other faults for its report (replacing any set before).
  void SetDrillFaults(const std::string& report_id, std::vector<DrillFault> faults);

  std::function<void(const EngineEvent&)> on_event;
  // Called at the end of each tick, once every report has been examined.
  std::function<void()> after_tick;

  // Records `notice` in one transaction: an attempt on the recipient's channel
  // that ends confirmed with the operator's evidence, every other open attempt
  // for that recipient cancelled (its phone task too), and the notification
  // confirmed. `done` gets {attempt, recipient, channel, address, cancelled}
  // or why nothing was recorded: NotFound (no such report under way),
  // InvalidArgument naming /recipient or /channel, FailedPrecondition (not
  // fallen back, already confirmed, or cancelled by the site's acceptance),
  // Unavailable (the report's plan is being stored: try again).
  void RecordNoticeByHand(const NoticeByHand& notice, std::function<void(Result<nlohmann::json>)> done);
  // What RecordNoticeByHand would refuse in `notice`'s recipient and channel,
  // each {path, zh, en}, so a form shows it at its field; [] when both are
  // ones the report's plan has.
  nlohmann::json ByHandProblems(const NoticeByHand& notice) const;

  // For the metrics: the nearest hour deadline among real (not drill) reports
  // the site has not accepted: notify_by, or fallback_notify_by once fallen
  // back while a recipient is unconfirmed. nullopt when none is open.
  std::optional<WallTime> NearestOpenDeadline() const;
  // Drills count: the people in the room practise their part too.
  FallbackSummary Fallbacks() const;

 private:
  struct Tracked;
  struct DeadlineText;
  struct TrackedDeadline;
  void Tick();
  void Load();
  void LoadPage(const std::string& cursor);
  std::shared_ptr<const DeadlineText> SharedDeadlineText(DeadlineText text);
  // The one copy of `text` the engine keeps (a report's agency or category):
  // set nodes stay put, and the set only grows, by the distinct values.
  const std::string* Intern(std::string text);
  std::shared_ptr<const std::vector<RequiredNotice>> SharedNotices(int level, bool affects_others, bool drill);
  void HandToRunner(ChannelRunner& runner, const NoticeJob& job);
  void SetDeadlines(Tracked& t, const nlohmann::json& schedule);
  void Track(StoredRevision revision, const std::vector<NotificationRow>& notifications,
             const std::vector<AttemptRow>& attempts, const std::vector<std::string>& reminders,
             const nlohmann::json& fallback);
  Conditions ConditionsFor(const Tracked& t) const;
  void Examine(Tracked& t);
  void Remind(Tracked& t);
  void Carry(Tracked& t, const std::vector<Action>& actions, const EscalationTiming& timing, const Conditions& c);
  void Applied(Tracked& t, const Step& step, const AppliedStep& applied, const EscalationTiming& timing);
  void Supersede(Tracked& old, int by_revision);
  void StartRunner(Tracked& t, size_t recipient, size_t channel, int64_t attempt_id);
  void CancelRunner(const Tracked& t, int64_t attempt, std::pair<size_t, size_t> where);
  void Finish(const std::string& report_id, int64_t attempt_id, const NoticeOutcome& outcome);
  NoticeJob JobFor(const Tracked& t, size_t recipient, size_t channel, int64_t attempt_id) const;
  std::map<std::string, std::string> TemplateValues(const Tracked& t) const;
  void Emit(const Tracked& t, const std::string& text);

  asio::io_context& io_;
  AsyncStore& store_;
  const Clock& clock_;
  Directory directory_;
  Templates templates_;
  EngineOptions options_;
  std::map<std::string, ChannelRunner*> runners_;
  Conditions conditions_;
  std::map<std::string, WallTime> drill_outage_until_;
  std::map<std::string, std::vector<DrillFault>> drill_faults_;  // by report id
  // The drill fault on `kind` for report `id` now, or nullptr.
  const DrillFault* ActiveDrillFault(const std::string& id, std::string_view kind) const;
  std::map<std::string, std::unique_ptr<Tracked>> reports_;  // by report id: the latest revision
  std::map<std::string, std::shared_ptr<const DeadlineText>> deadline_texts_;  // the rules' words, once each
  std::set<std::string> words_;  // Intern's
  std::map<std::tuple<int, bool, bool>, std::shared_ptr<const std::vector<RequiredNotice>>> notices_;
  asio::steady_timer timer_;
  bool started_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// The one transaction of a step (escalation.h's PlanStep): everything it
// decided, each write journaled. `known_ids` are the report's notification
// rows so far; `out` gets the rows and attempt ids the step created.
Status RecordStep(Store& store, const std::string& report_id, int revision, const Step& step,
                  const std::map<std::string, int64_t>& known_ids, RecordedStep* out);
// A channel's outcome for an attempt, with what ApplyOutcome said it changes.
Status RecordOutcome(Store& store, int64_t attempt_id, bool confirmed, const OutcomeEffect& effect,
                     const std::string& summary, const nlohmann::json& evidence);
// The same with the attempt's outcome named: "confirmed", "failed" or "sent"
// (handed on without the channel's proof of receipt).
Status RecordOutcome(Store& store, int64_t attempt_id, std::string_view outcome, const OutcomeEffect& effect,
                     const std::string& summary, const nlohmann::json& evidence);
// The plan of revision `r` as the store holds it: the state the engine had
// before a restart, rebuilt from the rows RecordStep and RecordOutcome wrote.
PlanState RestorePlan(const std::vector<RequiredNotice>& notices, const StoredRevision& r,
                      const std::vector<NotificationRow>& notifications, const std::vector<AttemptRow>& attempts,
                      const nlohmann::json& fallback, WallTime now);
PlanState RestorePlan(std::vector<RequiredNotice>&&, const StoredRevision&, const std::vector<NotificationRow>&,
                      const std::vector<AttemptRow>&, const nlohmann::json&, WallTime) = delete;  // points into notices

}  // namespace lifeline
