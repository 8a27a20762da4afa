// The pure steps of a decision: what a list of actions changes (PlanStep),
// and how a recorded step or a channel's outcome changes the plan's state
// (ApplyStep, ApplyOutcome). No store, no clock, no I/O.
#include <set>

#include "daemon/escalation/escalation.h"

namespace lifeline {
namespace {

using nlohmann::json;

// Link classes in words, as the recipients read them.
std::string ClassZh(const std::string& c) {
  static const std::map<std::string, std::string> kWords = {
      {"dns", "名稱解析失敗"},       {"connect", "無法連線"},        {"timeout", "連線逾時"},
      {"tls", "加密連線失敗"},       {"tls_identity", "網站憑證不符"}, {"transport", "傳輸中斷"},
      {"http_5xx", "網站服務錯誤"},   {"http_429", "網站限流"}};
  auto it = kWords.find(c);
  return it == kWords.end() ? c : it->second;
}

// Why the report escalates, as stored and as every message states it.
json FallbackRecord(const EscalationTiming& timing, const Conditions& c, WallTime now, int offset) {
  FallbackReason reason = c.Reason();
  std::string zh = reason.Zh(), en = reason.En();
  if (reason.kind != FallbackReason::Kind::kPower) {
    zh = (reason.kind == FallbackReason::Kind::kNetwork ? "網路中斷（" : "通報應變網站無法受理（") +
         ClassZh(reason.detail) + "）";
  }
  if (c.simulated) {
    zh = "演練模擬：" + zh;
    en = "drill, simulated: " + en;
  }
  if (timing.late) {
    zh += "；已逾知悉後一小時之通報時限";
    en += "; the one-hour deadline has already passed";
  }
  json f = {{"why", timing.why},         {"late", timing.late},  {"escalated_at", FormatRfc3339(now, offset)},
            {"reason_class", ReasonClassFor(reason)}, {"reason", en}, {"reason_zh", zh},
            {"simulated", c.simulated}};
  if (c.outage_began_at) f["outage_began_at"] = FormatRfc3339(*c.outage_began_at, offset);
  return f;
}

// The channel an action names, with whether its start also moves the
// recipient's notification (once per recipient and step).
void AddStarts(const ReportProgress& progress, const Action& a, std::map<std::string, std::string>& state,
               std::set<std::string>& moved, std::vector<ChannelStart>* starts) {
  for (size_t ri = 0; ri < progress.recipients.size(); ++ri) {
    const auto& rp = progress.recipients[ri];
    if (rp.key != a.recipient) continue;
    for (size_t ci = 0; ci < rp.channels.size(); ++ci) {
      const auto& ch = *rp.channels[ci].channel;
      if (ch.kind != a.channel.kind || ch.address != a.channel.address) continue;
      const std::string& st = state[a.recipient];
      bool move = (st == "pending" || st == "failed") && !moved.count(a.recipient);
      if (move) moved.insert(a.recipient);
      starts->push_back({ri, ci, a.recipient, ch.kind, ch.address, a.why, move});
    }
  }
}

}  // namespace

std::string ReasonClassFor(const FallbackReason& reason) {
  if (reason.kind == FallbackReason::Kind::kPower) return "power";
  static const std::set<std::string> kClasses = {"dns", "connect", "timeout", "tls",
                                                 "tls_identity", "transport", "http_5xx", "http_429"};
  return kClasses.count(reason.detail) ? reason.detail : "transport";
}

Step PlanStep(const PlanState& plan, const std::vector<Action>& actions, const EscalationTiming& timing,
              const Conditions& conditions, const StepContext& context, WallTime now) {
  Step step;
  std::map<std::string, std::string> state = plan.notification_state;
  std::set<std::string> moved;
  for (const auto& a : actions) {
    switch (a.kind) {
      case Action::Kind::kEscalate:
        step.escalate = true;
        step.fallback = FallbackRecord(timing, conditions, now, context.offset_minutes);
        for (const auto& n : *context.notices) {
          bool affected = n.recipient->role == "affected_agency" && context.affected_by != WallTime{};
          WallTime due = affected ? context.affected_by : context.fallback_by;
          step.required.emplace_back(n.recipient->key, FormatRfc3339(due, context.offset_minutes));
          state[n.recipient->key] = "pending";
        }
        break;
      case Action::Kind::kStartChannel:
        AddStarts(plan.progress, a, state, moved, &step.starts);
        break;
      case Action::Kind::kGoLoud:
        step.loud.emplace_back(a.recipient, a.why);
        break;
      case Action::Kind::kCancelPending:
        step.cancel = true;
        for (const auto& [attempt, where] : plan.open_attempts) step.close_attempts.push_back(attempt);
        break;
    }
  }
  if (step.cancel) {
    for (const auto& [recipient, s] : state) {
      if (s == "pending" || s == "in_progress") step.cancel_notifications.push_back(recipient);
    }
  }
  return step;
}

AppliedStep ApplyStep(PlanState& plan, const Step& step, const RecordedStep& recorded, const EscalationTiming& timing,
                      WallTime now) {
  AppliedStep out;
  plan.notification_ids = recorded.notification_ids;
  if (step.escalate) {
    plan.progress.escalated = true;
    plan.frozen = timing;
    plan.fallback = step.fallback;
    for (const auto& [recipient, due] : step.required) plan.notification_state[recipient] = "pending";
  }
  for (const auto& [recipient, why] : step.loud) {
    for (auto& rp : plan.progress.recipients) {
      if (rp.key == recipient) rp.loud = true;
    }
  }
  for (size_t i = 0; i < step.starts.size() && i < recorded.attempt_ids.size(); ++i) {
    const ChannelStart& s = step.starts[i];
    plan.notification_state[s.key] = "in_progress";
    auto& c = plan.progress.recipients[s.recipient].channels[s.channel];
    c.state = ChannelState::kInProgress;
    c.started_at = now;
    c.retrying = false;  // a fresh attempt has failed no try yet
    c.starts++;
    plan.open_attempts[recorded.attempt_ids[i]] = {s.recipient, s.channel};
    out.started.push_back({recorded.attempt_ids[i], {s.recipient, s.channel}});
  }
  if (step.cancel) {
    plan.cancelled = true;
    for (const auto& open : plan.open_attempts) {
      out.cancelled.push_back(open);
      auto& c = plan.progress.recipients[open.second.first].channels[open.second.second];
      if (c.state != ChannelState::kConfirmed) c.state = ChannelState::kCancelled;
    }
    plan.open_attempts.clear();
    for (auto& [recipient, state] : plan.notification_state) {
      if (state == "pending" || state == "in_progress") state = "cancelled";
    }
  }
  return out;
}

OutcomeEffect ApplyOutcome(PlanState& plan, int64_t attempt_id, bool confirmed) {
  return ApplyOutcome(plan, attempt_id, confirmed ? ChannelState::kConfirmed : ChannelState::kFailed);
}

OutcomeEffect ApplyOutcome(PlanState& plan, int64_t attempt_id, ChannelState ended_as) {
  const bool confirmed = ended_as == ChannelState::kConfirmed;
  OutcomeEffect e;
  auto open = plan.open_attempts.find(attempt_id);
  if (open == plan.open_attempts.end()) return e;
  auto [ri, ci] = open->second;
  e.known = true;
  e.recipient = plan.progress.recipients[ri].key;
  e.notification_id = plan.notification_ids[e.recipient];
  auto& c = plan.progress.recipients[ri].channels[ci];
  // A confirmed channel stays confirmed whatever a later attempt did.
  if (c.state != ChannelState::kConfirmed) c.state = ended_as;
  plan.open_attempts.erase(open);
  e.confirm_notification = confirmed && e.notification_id != 0 && plan.notification_state[e.recipient] == "in_progress";
  if (e.confirm_notification) plan.notification_state[e.recipient] = "confirmed";
  return e;
}

}  // namespace lifeline
