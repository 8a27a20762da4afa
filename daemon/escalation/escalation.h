// Escalation: turns "within one hour by the designated method, or else by
// other means with the reason" into decisions. Recipients and message
// templates are data (config/recipients.toml, config/templates.toml). The
// planner is pure: given a report's deadlines, the link and power conditions,
// what each channel has done so far and the time, it says what to do next, so
// hours of schedule are tested under a simulated clock. It never talks to
// hardware; channels carry out its actions.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/core/time_format.h"

namespace lifeline {

struct ChannelAddress {
  std::string kind;     // sms | fax | phone | email
  std::string address;  // number or e-mail address
  std::string hours;    // phone only: "08:30-17:30"; "" = any time
};

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

enum class ChannelState { kNotStarted, kInProgress, kConfirmed, kFailed };

struct ChannelProgress {
  ChannelAddress channel;
  ChannelState state = ChannelState::kNotStarted;
  WallTime started_at{};
  int starts = 0;  // a phone task may be raised again when things get loud
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

ReportProgress InitialProgress(const std::vector<RequiredNotice>& notices);

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

}  // namespace lifeline
