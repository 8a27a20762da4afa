// Escalation: turns "within one hour by the designated method, or else by
// other means with the reason" into decisions. Recipients and message
// templates are data (config/recipients.toml, config/templates.toml). The
// planner is pure: given a report's deadlines, the link and power conditions,
// what each channel has done so far and the time, it says what to do next, so
// hours of schedule are tested under a simulated clock. It never talks to
// hardware; channels carry out its actions.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/channels/runner/channel_runner.h"
#include "daemon/core/status.h"
#include "daemon/core/time_format.h"

namespace lifeline {

struct Recipient {
  std::string key, role, name, source, verified;
  std::vector<ChannelAddress> channels;
};

struct Directory {
  std::vector<Recipient> recipients;        // real notifications
  std::vector<Recipient> drill_recipients;  // the only ones a drill may use
};

// Loads config/recipients.toml; every entry needs key, role, name, source,
// verified and at least one channel; both sets need a superior_agency and a
// national_centre. Errors name file, line and key.
Result<Directory> LoadDirectory(std::string_view toml_text, std::string_view origin);
Result<Directory> DefaultDirectory();  // the compiled-in config/recipients.toml

// Message templates: kind ("sms", "fax_notice", "phone_script", "email",
// "email.subject") and language ("zh" or "en").
class Templates {
 public:
  static Result<Templates> Load(std::string_view toml_text, std::string_view origin);
  static Result<Templates> Default();
  // Fills {placeholders} from `values`; a placeholder without a value is an error.
  Result<std::string> Render(std::string_view kind, std::string_view lang,
                             const std::map<std::string, std::string>& values) const;

 private:
  std::map<std::string, std::string> texts_;  // "sms.zh" -> text
};

// Why the designated method failed, as every fallback message states it.
struct FallbackReason {
  enum class Kind { kNetwork, kSite, kPower } kind = Kind::kNetwork;
  std::string detail;  // "connect", "http_5xx", "on battery, 12 min left"...
  std::string Zh() const;
  std::string En() const;
};
// Link failure classes (LinkReasonName) that mean our network is down, as
// opposed to the site itself failing.
FallbackReason ReasonFromLinkClass(std::string_view link_class);
// The reason's class for the late submission: "power" or a link class.
std::string ReasonClassFor(const FallbackReason& reason);

struct Conditions {
  bool site_outage = false;
  std::string link_class;  // dominant failure class while in outage
  bool on_battery = false;
  std::optional<std::chrono::seconds> battery_runtime;  // when the UPS says
  std::optional<WallTime> outage_began_at;              // first failure of the current outage
  bool simulated = false;                               // a drill's simulated loss of the site
  // The reason to state: power first (it explains the network too), then link.
  FallbackReason Reason() const;
};

struct EscalationPolicy {
  std::map<std::string, std::chrono::seconds> lead_time;  // per channel kind
  std::vector<std::string> channel_order;                 // e.g. sms, fax, email, phone
  std::chrono::seconds louder_before{600};                // before the deadline: every channel at once
  std::chrono::seconds lead(std::string_view kind) const;
};

// One recipient that must be reached for a report.
struct RequiredNotice {
  const Recipient* recipient = nullptr;
  bool phone_required = false;  // level 3-4: also phone the superior agency
  std::vector<ChannelAddress> channels;  // in policy order
};

// Superior agency and national centre, each; affected agencies when the report
// says others are affected; drill reports use only drill recipients.
std::vector<RequiredNotice> RequiredNotices(const Directory& dir, const EscalationPolicy& policy, int level,
                                            bool affects_others, bool drill, bool phone_superior);

struct EscalationTiming {
  WallTime start;
  std::string why;    // for the journal and the operator
  bool late = false;  // the legal deadline had already passed
};

// When fallback starts: the rule's escalation point, earlier when the site is
// in outage and the time left is shorter than the channels need, earlier still
// when the battery may not last, at once when it is already past.
EscalationTiming WhenToEscalate(WallTime escalate_at, WallTime notify_by, const Conditions& conditions,
                                const std::vector<RequiredNotice>& notices, const EscalationPolicy& policy,
                                WallTime now);

// kCancelled: the site accepted the report (or a new revision superseded it)
// while the channel's attempt was open. kSent: the channel handed the notice
// on without its proof of receipt (an e-mail a relay took): neither waited on
// nor repeated, and not a confirmation, so the next channel starts.
enum class ChannelState { kNotStarted, kInProgress, kConfirmed, kFailed, kCancelled, kSent };

struct ChannelProgress {
  // The address in the report's RequiredNotice, not a copy: the notices are
  // shared by every report of the same kind and outlive its progress, and
  // thousands of open reports hold one of these per channel.
  const ChannelAddress* channel = nullptr;
  ChannelState state = ChannelState::kNotStarted;
  WallTime started_at{};
  int starts = 0;  // a phone task may be raised again when things get loud
  // A try of the open attempt already failed (the fax line busy, no answer)
  // and the channel retries: the next channel does not wait out this one's
  // lead time. Held in memory only: after a restart the attempt starts again.
  bool retrying = false;
};

struct RecipientProgress {
  std::string key;
  bool phone_required = false;
  bool loud = false;
  std::vector<ChannelProgress> channels;  // in policy order
  bool Confirmed() const;
};

struct ReportProgress {
  bool accepted_by_site = false;
  bool escalated = false;
  std::vector<RecipientProgress> recipients;
};

// The progress points into `notices`, which must outlive it.
ReportProgress InitialProgress(const std::vector<RequiredNotice>& notices);
ReportProgress InitialProgress(std::vector<RequiredNotice>&&) = delete;

struct Action {
  enum class Kind { kEscalate, kStartChannel, kGoLoud, kCancelPending } kind;
  std::string recipient;  // "" for report-wide actions
  ChannelAddress channel;
  std::string why;
};

// What to do now. Applying the actions to `progress` is the caller's job
// (after the store has recorded them), so a restart resumes from the store.
std::vector<Action> Decide(const ReportProgress& progress, const EscalationTiming& timing, WallTime notify_by,
                           const EscalationPolicy& policy, WallTime now);

// A decision changes state in three steps: PlanStep (pure) works out what the
// actions change; the engine records that Step in one store transaction
// (RecordStep, engine.h); ApplyStep (pure) applies the recorded Step to the
// in-memory PlanState. The planner's tests call the same functions.

// What the engine holds of one report's plan; RestorePlan (engine.h) rebuilds
// it from the store after a restart.
struct PlanState {
  ReportProgress progress;
  std::map<std::string, int64_t> notification_ids;             // recipient key -> row
  std::map<std::string, std::string> notification_state;       // recipient key -> state name
  std::map<int64_t, std::pair<size_t, size_t>> open_attempts;  // attempt -> (recipient, channel)
  std::optional<EscalationTiming> frozen;                      // the timing it escalated with
  nlohmann::json fallback;                                     // why, as stored
  bool cancelled = false;                                      // pending notifications were cancelled
};

// The report's facts a step needs besides its state.
struct StepContext {
  const std::vector<RequiredNotice>* notices = nullptr;
  WallTime fallback_by{}, affected_by{};
  int offset_minutes = 8 * 60;
};

struct ChannelStart {
  size_t recipient = 0, channel = 0;  // indexes into progress
  std::string key, kind, address, why;
  bool move_notification = false;  // pending/failed -> in_progress with this start
};

// Everything one decision changes, before anything is stored.
struct Step {
  bool escalate = false;
  nlohmann::json fallback;                                    // escalate: the reason and timing, as stored
  std::vector<std::pair<std::string, std::string>> required;  // escalate: recipient, due_at
  std::vector<std::pair<std::string, std::string>> loud;      // recipient, why
  std::vector<ChannelStart> starts;
  bool cancel = false;                                        // the site accepted: close what is open
  std::vector<int64_t> close_attempts;                        // cancel: open attempts
  std::vector<std::string> cancel_notifications;              // cancel: recipients pending or in progress
  bool empty() const { return !escalate && loud.empty() && starts.empty() && !cancel; }
};

Step PlanStep(const PlanState& state, const std::vector<Action>& actions, const EscalationTiming& timing,
              const Conditions& conditions, const StepContext& context, WallTime now);

// What the store gave the step: rows for new notifications, one attempt id per start.
struct RecordedStep {
  std::map<std::string, int64_t> notification_ids;
  std::vector<int64_t> attempt_ids;  // in Step::starts order
};

// The attempts a recorded step hands to channels, and those it takes back.
struct AppliedStep {
  std::vector<std::pair<int64_t, std::pair<size_t, size_t>>> started;    // attempt -> (recipient, channel)
  std::vector<std::pair<int64_t, std::pair<size_t, size_t>>> cancelled;  // attempt -> (recipient, channel)
};

AppliedStep ApplyStep(PlanState& state, const Step& step, const RecordedStep& recorded,
                      const EscalationTiming& timing, WallTime now);

// A channel's final outcome for an attempt, applied to the state.
struct OutcomeEffect {
  bool known = false;  // the attempt was open in this state
  std::string recipient;
  int64_t notification_id = 0;
  bool confirm_notification = false;  // in_progress -> confirmed with it
};
OutcomeEffect ApplyOutcome(PlanState& state, int64_t attempt_id, bool confirmed);
// `ended_as` is kConfirmed, kFailed or kSent.
OutcomeEffect ApplyOutcome(PlanState& state, int64_t attempt_id, ChannelState ended_as);

}  // namespace lifeline
