#include <algorithm>

#include "daemon/escalation/escalation.h"

namespace lifeline {
namespace {

using std::chrono::seconds;

// "45 min", or "45 s" on a short clock (the demo's 60-second hour).
std::string Minutes(seconds s) {
  return s.count() < 120 ? std::to_string(s.count()) + " s" : std::to_string(s.count() / 60) + " min";
}

// Worst case for one recipient: every channel tried in turn, each given its lead time.
seconds TimeNeeded(const RequiredNotice& n, const EscalationPolicy& p) {
  seconds total{0};
  for (const auto& c : n.channels) total += p.lead(c.kind);
  return total;
}

bool HasRole(const Recipient& r, std::string_view role) { return r.role == role; }

}  // namespace

std::string FallbackReason::Zh() const {
  switch (kind) {
    case Kind::kPower: return "電力中斷（" + detail + "）";
    case Kind::kSite: return "通報應變網站無法受理（" + detail + "）";
    case Kind::kNetwork: break;
  }
  return "網路中斷（" + detail + "）";
}

std::string FallbackReason::En() const {
  switch (kind) {
    case Kind::kPower: return "power outage (" + detail + ")";
    case Kind::kSite: return "the national site is failing (" + detail + ")";
    case Kind::kNetwork: break;
  }
  return "network outage (" + detail + ")";
}

FallbackReason ReasonFromLinkClass(std::string_view c) {
  bool ours = c == "dns" || c == "connect" || c == "timeout" || c == "transport";
  return {ours ? FallbackReason::Kind::kNetwork : FallbackReason::Kind::kSite, std::string(c)};
}

FallbackReason Conditions::Reason() const {
  if (on_battery) {
    std::string d = "on battery";
    if (battery_runtime) d += ", " + Minutes(*battery_runtime) + " left";
    return {FallbackReason::Kind::kPower, d};
  }
  return ReasonFromLinkClass(link_class.empty() ? "unknown" : link_class);
}

seconds EscalationPolicy::lead(std::string_view kind) const {
  auto it = lead_time.find(std::string(kind));
  return it == lead_time.end() ? seconds(600) : it->second;
}

std::vector<RequiredNotice> RequiredNotices(const Directory& dir, const EscalationPolicy& policy, int level,
                                            bool affects_others, bool drill, bool phone_superior) {
  (void)level;  // the level acts through phone_superior, which the rule set decides
  const auto& set = drill ? dir.drill_recipients : dir.recipients;
  std::vector<RequiredNotice> out;
  for (const Recipient& r : set) {
    bool needed = HasRole(r, "superior_agency") || HasRole(r, "national_centre") ||
                  (affects_others && HasRole(r, "affected_agency"));
    if (!needed) continue;
    RequiredNotice n{&r, phone_superior && HasRole(r, "superior_agency"), {}};
    for (const auto& kind : policy.channel_order) {
      for (const auto& c : r.channels) {
        if (c.kind == kind) n.channels.push_back(c);
      }
    }
    out.push_back(std::move(n));
  }
  return out;
}

EscalationTiming WhenToEscalate(WallTime escalate_at, WallTime notify_by, const Conditions& conditions,
                                const std::vector<RequiredNotice>& notices, const EscalationPolicy& policy,
                                WallTime now) {
  EscalationTiming t{escalate_at, "the rule's escalation point", false};
  seconds needed{0};
  for (const auto& n : notices) needed = std::max(needed, TimeNeeded(n, policy));
  if (conditions.site_outage && notify_by - needed < t.start) {
    t.start = notify_by - needed;
    t.why = "the site is in outage and the channels need " + Minutes(needed) + " before the deadline";
  }
  if (conditions.on_battery && conditions.battery_runtime) {
    WallTime box_may_die = now + *conditions.battery_runtime;
    if (box_may_die - needed < t.start) {
      t.start = box_may_die - needed;
      t.why = "on battery with " + Minutes(*conditions.battery_runtime) + " left: notify while the box still runs";
    }
  }
  if (now >= notify_by) {
    t = {now, "the one-hour deadline has already passed: escalating at once", true};
  } else if (t.start < now) {
    t.why += " (already past: escalating at once)";
    t.start = now;
  }
  return t;
}

bool RecipientProgress::Confirmed() const {
  return std::any_of(channels.begin(), channels.end(),
                     [](const ChannelProgress& c) { return c.state == ChannelState::kConfirmed; });
}

ReportProgress InitialProgress(const std::vector<RequiredNotice>& notices) {
  ReportProgress p;
  for (const auto& n : notices) {
    RecipientProgress r{n.recipient->key, n.phone_required, false, {}};
    for (const auto& c : n.channels) r.channels.push_back({&c, ChannelState::kNotStarted, {}, 0});
    p.recipients.push_back(std::move(r));
  }
  return p;
}

namespace {

void StartChannel(std::vector<Action>& out, const RecipientProgress& r, const ChannelProgress& c,
                  std::string why) {
  out.push_back({Action::Kind::kStartChannel, r.key, *c.channel, std::move(why)});
}

// The next channel in order starts when nothing is still within its lead
// time; a channel whose try already failed and is retrying is not waited on.
void Advance(std::vector<Action>& out, const RecipientProgress& r, const EscalationPolicy& p, WallTime now) {
  // The required phone call runs alongside; it does not hold back the others.
  bool waiting = false;
  for (const auto& c : r.channels) {
    if (r.phone_required && c.channel->kind == "phone") continue;
    if (c.state == ChannelState::kInProgress && !c.retrying && c.started_at + p.lead(c.channel->kind) > now) waiting = true;
  }
  if (r.phone_required) {
    for (const auto& c : r.channels) {
      if (c.channel->kind == "phone" && c.state == ChannelState::kNotStarted) {
        StartChannel(out, r, c, "level 3-4: the superior agency must also be phoned");
        break;
      }
    }
  }
  if (waiting) return;
  for (const auto& c : r.channels) {
    if (c.state != ChannelState::kNotStarted) continue;
    if (r.phone_required && c.channel->kind == "phone") continue;  // started above
    StartChannel(out, r, c, "no channel confirmed within its lead time");
    return;
  }
}

void GoLoud(std::vector<Action>& out, const RecipientProgress& r) {
  out.push_back({Action::Kind::kGoLoud, r.key, {}, "deadline near and still unconfirmed: every channel"});
  for (const auto& c : r.channels) {
    bool repeat_phone = c.channel->kind == "phone" && c.state == ChannelState::kInProgress;
    if (c.state == ChannelState::kNotStarted || c.state == ChannelState::kFailed || repeat_phone) {
      StartChannel(out, r, c, repeat_phone ? "repeat the phone task" : "deadline near: every channel");
    }
  }
}

}  // namespace

std::vector<Action> Decide(const ReportProgress& progress, const EscalationTiming& timing, WallTime notify_by,
                           const EscalationPolicy& policy, WallTime now) {
  std::vector<Action> out;
  if (progress.accepted_by_site) {
    if (progress.escalated) out.push_back({Action::Kind::kCancelPending, "", {}, "the site accepted the report"});
    return out;
  }
  if (now < timing.start) return out;
  if (!progress.escalated) out.push_back({Action::Kind::kEscalate, "", {}, timing.why});
  for (const auto& r : progress.recipients) {
    if (r.Confirmed()) continue;
    if (!r.loud && now >= notify_by - policy.louder_before) {
      GoLoud(out, r);
    } else if (!r.loud) {
      Advance(out, r, policy, now);
    }
  }
  return out;
}

}  // namespace lifeline
