#include "daemon/escalation/engine.h"

#include <asio/post.hpp>

#include <algorithm>
#include <optional>

#include "daemon/core/log.h"
#include "daemon/report/report.h"

namespace lifeline {

using nlohmann::json;

namespace {

// Deadlines of the first hour: the plan itself, not reminders.
bool IsHourDeadline(const std::string& key) {
  return key == "escalate_at" || key == "notify_by" || key == "fallback_notify_by" ||
         key == "affected_agency_notify_by";
}

ChannelState StateOfAttempt(const AttemptRow& a) {
  if (a.ended_at.empty()) return ChannelState::kInProgress;
  return a.outcome == "confirmed" ? ChannelState::kConfirmed : ChannelState::kFailed;
}

WallTime ParseUtc(const std::string& text, WallTime fallback) {
  auto t = ParseRfc3339(text);
  return t.ok() ? t->instant : fallback;
}

std::string Stamp(WallTime t, int offset) { return FormatRfc3339(WithOffset(t, offset)); }

// Link classes in words, as the recipients read them.
std::string ClassZh(const std::string& c) {
  static const std::map<std::string, std::string> kWords = {
      {"dns", "名稱解析失敗"},       {"connect", "無法連線"},        {"timeout", "連線逾時"},
      {"tls", "加密連線失敗"},       {"tls_identity", "網站憑證不符"}, {"transport", "傳輸中斷"},
      {"http_5xx", "網站服務錯誤"},   {"http_429", "網站限流"}};
  auto it = kWords.find(c);
  return it == kWords.end() ? c : it->second;
}

// What the plan and its messages need from a stored report. The document was
// validated at intake, so it is read as it is rather than validated again.
struct ReportFacts {
  std::string agency, category, reporter_phone;
  std::optional<OffsetTime> aware_at;
  bool affects_others = false;
  int offset() const { return aware_at ? aware_at->offset_minutes : 8 * 60; }
};

ReportFacts FactsOf(const json& doc) {
  ReportFacts f;
  if (!doc.is_object()) return f;
  auto text = [](const json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  f.agency = text(doc.value("agency", json::object()), "name");
  f.category = text(doc, "category");
  f.reporter_phone = text(doc.value("reporter", json::object()), "phone");
  auto aware = ParseRfc3339(text(doc, "aware_at"));
  if (aware.ok()) f.aware_at = *aware;
  const json& others = doc.contains("affects_others") ? doc["affects_others"] : json();
  f.affects_others = others.is_object() && others.value("affected", false);
  return f;
}

}  // namespace

std::string ReasonClassFor(const FallbackReason& reason) {
  if (reason.kind == FallbackReason::Kind::kPower) return "power";
  static const std::set<std::string> kClasses = {"dns", "connect", "timeout", "tls",
                                                 "tls_identity", "transport", "http_5xx", "http_429"};
  return kClasses.count(reason.detail) ? reason.detail : "transport";
}

struct EscalationEngine::Tracked {
  StoredRevision rev;
  ReportFacts facts;
  WallTime escalate_at{}, notify_by{}, fallback_by{}, affected_by{};
  WallTime received_at{};
  std::vector<RequiredNotice> notices;
  ReportProgress progress;
  std::map<std::string, int64_t> notification_ids;      // recipient key -> row
  std::map<std::string, std::string> notification_state;  // recipient key -> state name
  std::map<int64_t, std::pair<size_t, size_t>> open_attempts;  // attempt -> (recipient, channel)
  std::optional<EscalationTiming> frozen;  // the timing the report escalated with
  json fallback;                           // why, as stored
  std::set<std::string> reminders;         // "key/kind" already given
  // Before this, Remind has nothing to give: every tick would otherwise read
  // the schedule of every report it tracks.
  WallTime next_reminder{};
  bool accepted = false;
  bool cancelled = false;
  bool busy = false;  // a store job for this report is in flight
};

EscalationEngine::EscalationEngine(asio::io_context& io, AsyncStore& store, const Clock& clock, Directory directory,
                                   Templates templates, EngineOptions options)
    : io_(io), store_(store), clock_(clock), directory_(std::move(directory)), templates_(std::move(templates)),
      options_(std::move(options)), timer_(io) {}

EscalationEngine::~EscalationEngine() { Stop(); }

void EscalationEngine::SetRunner(const std::string& kind, ChannelRunner* runner) { runners_[kind] = runner; }

void EscalationEngine::Start() {
  started_ = true;
  Load();
}

// The runners are let go once stopped: they may be destroyed before the
// engine, whose destructor stops it again.
void EscalationEngine::Stop() {
  started_ = false;
  timer_.cancel();
  for (auto& [kind, runner] : runners_) {
    if (runner) runner->Stop();
  }
  runners_.clear();
}

void EscalationEngine::SetConditions(const Conditions& c) { conditions_ = c; }

void EscalationEngine::SetDrillOutage(const std::string& report_id, WallTime until) {
  drill_outage_until_[report_id] = until;
}

void EscalationEngine::Emit(const Tracked& t, const std::string& text) {
  spdlog::info("{}report {}: {}", t.rev.drill ? "[drill] " : "", t.rev.id, text);
  if (on_event) on_event({t.rev.id, t.rev.drill, text});
}

// Everything the plan needs from the store, read once at start-up.
void EscalationEngine::Load() {
  struct Loaded {
    StoredRevision rev;
    std::vector<NotificationRow> notifications;
    std::vector<AttemptRow> attempts;
    std::vector<std::string> reminders;
    json fallback;
  };
  auto loaded = std::make_shared<std::vector<Loaded>>();
  store_.Run(
      [loaded](Store& st) -> Status {
        auto latest = st.ListLatest();
        if (!latest.ok()) return latest.status();
        for (auto& r : *latest) {
          Loaded l{std::move(r), {}, {}, {}, nullptr};
          auto n = st.Notifications(l.rev.id);
          auto a = st.Attempts(l.rev.id);
          auto m = st.RemindersGiven(l.rev.id, l.rev.revision);
          auto f = st.FallbackOf(l.rev.id, l.rev.revision);
          if (!n.ok()) return n.status();
          if (!a.ok()) return a.status();
          if (!m.ok()) return m.status();
          if (!f.ok()) return f.status();
          l.notifications = std::move(*n);
          l.attempts = std::move(*a);
          l.reminders = std::move(*m);
          l.fallback = std::move(*f);
          loaded->push_back(std::move(l));
        }
        return Status::Ok();
      },
      [this, loaded, alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired() || !started_) return;
        if (!s.ok()) spdlog::error("escalation: cannot load the plans from the store: {}", s.ToString());
        for (const auto& l : *loaded) Track(l.rev, l.notifications, l.attempts, l.reminders, l.fallback);
        // Resume what was under way when the daemon stopped, under the same attempt ids.
        for (auto& [id, t] : reports_) {
          for (auto [attempt, where] : t->open_attempts) StartRunner(*t, where.first, where.second, attempt);
        }
        Tick();
      });
}

void EscalationEngine::Track(StoredRevision revision, const std::vector<NotificationRow>& notifications,
                             const std::vector<AttemptRow>& attempts, const std::vector<std::string>& reminders,
                             const json& fallback) {
  auto t = std::make_unique<Tracked>();
  t->rev = std::move(revision);
  const StoredRevision& r = t->rev;  // stays put: *t lives on the heap
  t->accepted = r.state == "accepted" || r.state == "accepted_late";
  t->received_at = ParseUtc(r.received_at, clock_.Now());
  t->facts = FactsOf(r.document);
  for (const auto& d : r.schedule.value("deadlines", json::array())) {
    WallTime at = ParseUtc(d.value("at", ""), WallTime{});
    std::string key = d.value("key", "");
    if (key == "escalate_at") t->escalate_at = at;
    if (key == "notify_by") t->notify_by = at;
    if (key == "fallback_notify_by") t->fallback_by = at;
    if (key == "affected_agency_notify_by") t->affected_by = at;
  }
  if (t->fallback_by == WallTime{}) t->fallback_by = t->notify_by;
  for (const auto& key : reminders) t->reminders.insert(key);
  bool phone_superior = r.level >= 3;
  bool affects_others = t->facts.affects_others;
  t->notices = RequiredNotices(directory_, options_.policy, r.level, affects_others, r.drill, phone_superior);
  t->progress = InitialProgress(t->notices);
  t->progress.accepted_by_site = t->accepted;
  if (r.state == "fallback" || r.state == "accepted_late") {
    t->progress.escalated = true;
    t->fallback = fallback.is_object() ? fallback : json::object();
    t->frozen = EscalationTiming{ParseUtc(t->fallback.value("escalated_at", ""), clock_.Now()),
                                 t->fallback.value("why", "restored from the store"),
                                 t->fallback.value("late", false)};
  }
  std::map<int64_t, std::string> recipient_of;
  for (const auto& n : notifications) {
    if (n.revision != r.revision) continue;
    t->notification_ids[n.recipient] = n.id;
    t->notification_state[n.recipient] = n.state;
    recipient_of[n.id] = n.recipient;
    if (n.state == "cancelled") t->cancelled = true;
    for (auto& rp : t->progress.recipients) {
      if (rp.key == n.recipient) rp.loud = n.loud;
    }
  }
  for (const auto& a : attempts) {
    auto rk = recipient_of.find(a.notification_id);
    if (rk == recipient_of.end()) continue;  // an earlier revision's attempt
    for (size_t ri = 0; ri < t->progress.recipients.size(); ++ri) {
      auto& rp = t->progress.recipients[ri];
      if (rp.key != rk->second) continue;
      for (size_t ci = 0; ci < rp.channels.size(); ++ci) {
        auto& c = rp.channels[ci];
        if (c.channel.kind != a.channel || c.channel.address != a.address) continue;
        // A confirmed channel stays confirmed whatever a later attempt did.
        if (c.state != ChannelState::kConfirmed) c.state = StateOfAttempt(a);
        c.started_at = ParseUtc(a.started_at, clock_.Now());
        c.starts++;
        if (a.ended_at.empty()) t->open_attempts[a.id] = {ri, ci};
      }
    }
  }
  bool reminders_left = false;
  for (const auto& d : r.schedule.value("deadlines", json::array())) {
    std::string key = d.value("key", "");
    if (!IsHourDeadline(key) && !t->reminders.count(key + "/due")) reminders_left = true;
  }
  if (t->accepted && !reminders_left && t->open_attempts.empty()) return;
  reports_[r.id] = std::move(t);
}

void EscalationEngine::OnStored(StoredRevision revision) {
  const std::string id = revision.id;
  const int revision_number = revision.revision, level = revision.level;
  auto it = reports_.find(id);
  if (it != reports_.end() && it->second->rev.revision >= revision_number) return;
  if (it != reports_.end()) {
    Tracked& old = *it->second;
    // The earlier revision's plan ends here; the new level is notified afresh.
    for (auto& [attempt, where] : old.open_attempts) {
      ChannelRunner* runner = runners_[old.progress.recipients[where.first].channels[where.second].channel.kind];
      if (runner) runner->Cancel(attempt);
    }
    if (old.progress.escalated && !old.cancelled) {
      std::vector<int64_t> open;
      for (auto& [a, w] : old.open_attempts) open.push_back(a);
      std::vector<int64_t> notifications;
      for (auto& [k, id] : old.notification_ids) {
        auto st = old.notification_state[k];
        if (st == "pending" || st == "in_progress") notifications.push_back(id);
      }
      std::string why = "superseded by revision " + std::to_string(revision_number);
      store_.Run(
          [open, notifications, why](Store& st) -> Status {
            for (int64_t a : open) {
              LIFELINE_RETURN_IF_ERROR(st.FinishAttempt(a, "cancelled", {{"why", why}}));
              LIFELINE_RETURN_IF_ERROR(st.CancelPhoneTask(a, why));
            }
            for (int64_t n : notifications) {
              LIFELINE_RETURN_IF_ERROR(st.TransitionNotification(n, NotificationState::kCancelled, {{"why", why}}));
            }
            return Status::Ok();
          },
          [why](Status s) {
            if (!s.ok()) spdlog::warn("escalation: closing the earlier revision ({}) failed: {}", why, s.ToString());
          });
    }
  }
  Track(std::move(revision), {}, {}, {}, nullptr);
  auto t = reports_.find(id);
  if (t != reports_.end()) {
    Emit(*t->second, "revision " + std::to_string(revision_number) + " (level " + std::to_string(level) +
                         ") is in the plan: " + std::to_string(t->second->notices.size()) +
                         " recipients if the site cannot take it");
    Examine(*t->second);
  }
}

void EscalationEngine::OnAccepted(const std::string& report_id, int revision) {
  auto it = reports_.find(report_id);
  if (it == reports_.end() || it->second->rev.revision != revision) return;
  Tracked& t = *it->second;
  t.accepted = true;
  t.progress.accepted_by_site = true;
  Emit(t, t.progress.escalated ? "the site accepted the late submission (補行通報)" : "the site accepted the report");
  if (t.progress.escalated && !t.cancelled && !t.busy) {
    Apply(t, {{Action::Kind::kCancelPending, "", {}, "the site accepted the report"}}, *t.frozen, ConditionsFor(t));
  }
}

Conditions EscalationEngine::ConditionsFor(const Tracked& t) const {
  if (t.rev.drill) {
    auto it = drill_outage_until_.find(t.rev.id);
    if (it != drill_outage_until_.end() && clock_.Now() < it->second) {
      Conditions c;
      c.site_outage = true;
      c.link_class = "connect";
      c.simulated = true;
      return c;
    }
  }
  return conditions_;
}

void EscalationEngine::Tick() {
  if (!started_) return;
  for (auto& [id, t] : reports_) Examine(*t);
  timer_.expires_after(options_.tick);
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const std::error_code& ec) {
    if (!ec && !alive.expired()) Tick();
  });
}

void EscalationEngine::Remind(Tracked& t) {
  if (t.rev.drill) return;
  WallTime now = clock_.Now();
  if (now < t.next_reminder) return;
  int offset = t.facts.offset();
  WallTime next = WallTime::max();
  for (const auto& d : t.rev.schedule.value("deadlines", json::array())) {
    std::string key = d.value("key", "");
    if (IsHourDeadline(key)) continue;
    WallTime at = ParseUtc(d.value("at", ""), WallTime{});
    std::string kind;
    if (now >= at) kind = "due";
    else if (now >= at - options_.reminder_ahead) kind = "ahead";
    if (!t.reminders.count(key + "/due")) {
      WallTime upcoming = kind.empty() ? at - options_.reminder_ahead : at;
      if (kind != "due") next = std::min(next, upcoming);
    }
    if (kind.empty() || t.reminders.count(key + "/" + kind)) continue;
    t.reminders.insert(key + "/" + kind);
    json payload = {{"title", d.value("title", "")}, {"title_en", d.value("title_en", "")},
                    {"source", d.value("source", "")}, {"at", Stamp(at, offset)}};
    std::string id = t.rev.id, text = (kind == "due" ? "due now: " : "coming up: ") + d.value("title_en", key) +
                                      " by " + Stamp(at, offset) + " (" + d.value("source", "") + ")";
    int revision = t.rev.revision;
    store_.Run([id, revision, key, kind, payload](Store& st) {
      return st.RecordReminder(id, revision, key, kind, payload).status();
    }, [](Status) {});
    Emit(t, "reminder, " + text);
  }
  t.next_reminder = next;
}

void EscalationEngine::Examine(Tracked& t) {
  if (t.busy) return;
  Remind(t);
  if (t.accepted) return;
  WallTime now = clock_.Now();
  Conditions c = ConditionsFor(t);
  EscalationTiming timing =
      t.frozen ? *t.frozen : WhenToEscalate(t.escalate_at, t.notify_by, c, t.notices, options_.policy, now);
  // Filed late with the site apparently up: the designated method gets its chance first.
  if (!t.frozen && timing.late && !c.site_outage && now < t.received_at + options_.late_site_grace) return;
  auto actions = Decide(t.progress, timing, t.fallback_by, options_.policy, now);
  if (!actions.empty()) Apply(t, std::move(actions), timing, c);
}

// Records the actions in one transaction; only then do runners start.
void EscalationEngine::Apply(Tracked& t, std::vector<Action> actions, const EscalationTiming& timing,
                             const Conditions& c) {
  struct Start {
    size_t recipient, channel;
    std::string key, kind, address, why;
    bool move_notification;
  };
  struct Plan {
    std::string id;
    int revision = 0;
    bool escalate = false, cancel = false;
    json fallback;
    std::vector<std::pair<std::string, std::string>> required;  // recipient, due_at
    std::vector<std::pair<std::string, std::string>> loud;      // recipient, why
    std::vector<Start> starts;
    std::map<std::string, int64_t> notification_ids;
    std::map<std::string, std::string> notification_state;
    std::vector<int64_t> open_attempts;
    // Filled by the store job.
    std::vector<int64_t> attempt_ids;
  };
  auto plan = std::make_shared<Plan>();
  plan->id = t.rev.id;
  plan->revision = t.rev.revision;
  plan->notification_ids = t.notification_ids;
  plan->notification_state = t.notification_state;
  int offset = t.facts.offset();
  WallTime now = clock_.Now();
  std::set<std::string> moved;
  for (const auto& a : actions) {
    switch (a.kind) {
      case Action::Kind::kEscalate: {
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
        plan->escalate = true;
        plan->fallback = {{"why", timing.why}, {"late", timing.late}, {"escalated_at", Stamp(now, offset)},
                          {"reason_class", ReasonClassFor(reason)}, {"reason", en}, {"reason_zh", zh},
                          {"simulated", c.simulated}};
        if (c.outage_began_at) plan->fallback["outage_began_at"] = Stamp(*c.outage_began_at, offset);
        for (const auto& n : t.notices) {
          WallTime due = n.recipient->role == "affected_agency" && t.affected_by != WallTime{} ? t.affected_by
                                                                                              : t.fallback_by;
          plan->required.emplace_back(n.recipient->key, Stamp(due, offset));
          plan->notification_state[n.recipient->key] = "pending";
        }
        break;
      }
      case Action::Kind::kStartChannel: {
        for (size_t ri = 0; ri < t.progress.recipients.size(); ++ri) {
          const auto& rp = t.progress.recipients[ri];
          if (rp.key != a.recipient) continue;
          for (size_t ci = 0; ci < rp.channels.size(); ++ci) {
            const auto& ch = rp.channels[ci].channel;
            if (ch.kind != a.channel.kind || ch.address != a.channel.address) continue;
            std::string st = plan->notification_state[a.recipient];
            bool move = (st == "pending" || st == "failed") && !moved.count(a.recipient);
            if (move) moved.insert(a.recipient);
            plan->starts.push_back({ri, ci, a.recipient, ch.kind, ch.address, a.why, move});
          }
        }
        break;
      }
      case Action::Kind::kGoLoud:
        plan->loud.emplace_back(a.recipient, a.why);
        break;
      case Action::Kind::kCancelPending:
        plan->cancel = true;
        for (auto& [attempt, where] : t.open_attempts) plan->open_attempts.push_back(attempt);
        break;
    }
  }
  t.busy = true;
  store_.Run(
      [plan](Store& st) -> Status {
        plan->attempt_ids.clear();
        auto ids = plan->notification_ids;
        if (plan->escalate) {
          LIFELINE_RETURN_IF_ERROR(st.EscalateReport(plan->id, plan->revision, plan->fallback));
          for (const auto& [recipient, due] : plan->required) {
            auto n = st.AddNotification(plan->id, plan->revision, recipient, due);
            if (!n.ok()) return n.status();
            ids[recipient] = *n;
          }
        }
        for (const auto& [recipient, why] : plan->loud) {
          LIFELINE_RETURN_IF_ERROR(st.MarkNotificationLoud(ids[recipient], why));
        }
        for (const auto& s : plan->starts) {
          if (s.move_notification) {
            LIFELINE_RETURN_IF_ERROR(
                st.TransitionNotification(ids[s.key], NotificationState::kInProgress, {{"why", s.why}}));
          }
          auto attempt = st.StartAttempt(ids[s.key], s.kind, s.address, {{"why", s.why}, {"recipient", s.key}});
          if (!attempt.ok()) return attempt.status();
          plan->attempt_ids.push_back(*attempt);
        }
        if (plan->cancel) {
          for (int64_t a : plan->open_attempts) {
            LIFELINE_RETURN_IF_ERROR(st.FinishAttempt(a, "cancelled", {{"why", "the site accepted the report"}}));
            LIFELINE_RETURN_IF_ERROR(st.CancelPhoneTask(a, "the site accepted the report"));
          }
          for (const auto& [recipient, state] : plan->notification_state) {
            if (state != "pending" && state != "in_progress") continue;
            LIFELINE_RETURN_IF_ERROR(st.TransitionNotification(ids[recipient], NotificationState::kCancelled,
                                                               {{"why", "the site accepted the report"}}));
          }
        }
        plan->notification_ids = std::move(ids);
        return Status::Ok();
      },
      [this, plan, timing, alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired()) return;
        auto it = reports_.find(plan->id);
        if (it == reports_.end() || it->second->rev.revision != plan->revision) return;
        Tracked& t = *it->second;
        t.busy = false;
        if (!s.ok()) {
          spdlog::error("escalation: report {}: the plan's next step was not stored ({}); trying again",
                        plan->id, s.ToString());
          return;
        }
        t.notification_ids = plan->notification_ids;
        if (plan->escalate) {
          t.progress.escalated = true;
          t.frozen = timing;
          t.fallback = plan->fallback;
          for (const auto& [r, due] : plan->required) t.notification_state[r] = "pending";
          Emit(t, "escalating to other means: " + timing.why + "; reason: " + plan->fallback.value("reason_zh", ""));
        }
        for (const auto& [recipient, why] : plan->loud) {
          for (auto& rp : t.progress.recipients) {
            if (rp.key == recipient) rp.loud = true;
          }
          Emit(t, recipient + ": " + why);
        }
        for (size_t i = 0; i < plan->starts.size(); ++i) {
          const auto& st = plan->starts[i];
          t.notification_state[st.key] = "in_progress";
          auto& c = t.progress.recipients[st.recipient].channels[st.channel];
          c.state = ChannelState::kInProgress;
          c.started_at = clock_.Now();
          c.starts++;
          int64_t attempt = plan->attempt_ids[i];
          t.open_attempts[attempt] = {st.recipient, st.channel};
          Emit(t, st.key + ": " + st.kind + " to " + st.address + " (attempt " + std::to_string(attempt) + "; " +
                      st.why + ")");
          StartRunner(t, st.recipient, st.channel, attempt);
        }
        if (plan->cancel) {
          t.cancelled = true;
          for (auto& [attempt, where] : t.open_attempts) {
            ChannelRunner* runner = runners_[t.progress.recipients[where.first].channels[where.second].channel.kind];
            if (runner) runner->Cancel(attempt);
          }
          t.open_attempts.clear();
          for (auto& [r, state] : t.notification_state) {
            if (state == "pending" || state == "in_progress") state = "cancelled";
          }
          Emit(t, "pending notifications cancelled: the site accepted the report");
        }
      });
}

std::map<std::string, std::string> EscalationEngine::TemplateValues(const Tracked& t) const {
  int offset = t.facts.offset();
  std::map<std::string, std::string> v;
  v["agency"] = t.facts.agency;
  v["level"] = std::to_string(t.rev.level);
  v["category"] = LabelZh("categories", t.facts.category);
  v["aware_at"] = t.facts.aware_at ? FormatHuman(*t.facts.aware_at) : t.rev.aware_at;
  v["report_id"] = t.rev.id;
  v["revision"] = std::to_string(t.rev.revision);
  v["reason"] = t.fallback.value("reason_zh", "");
  v["callback"] = !options_.callback.empty() ? options_.callback : t.facts.reporter_phone;
  v["notify_by"] = FormatHuman(WithOffset(t.fallback_by, offset));
  v["drill"] = t.rev.drill ? "【演練 DRILL】" : "";
  return v;
}

NoticeJob EscalationEngine::JobFor(const Tracked& t, size_t ri, size_t ci, int64_t attempt_id) const {
  const auto& rp = t.progress.recipients[ri];
  NoticeJob job;
  job.attempt_id = attempt_id;
  job.report_id = t.rev.id;
  job.revision = t.rev.revision;
  job.drill = t.rev.drill;
  job.recipient_key = rp.key;
  for (const auto& n : t.notices) {
    if (n.recipient->key == rp.key) job.recipient_name = n.recipient->name;
  }
  job.address = rp.channels[ci].channel;
  job.report = t.rev.document;
  job.reason_zh = t.fallback.value("reason_zh", "");
  int offset = t.facts.offset();
  job.due_at = Stamp(t.fallback_by, offset);
  for (const auto& d : t.rev.schedule.value("deadlines", json::array())) {
    if (d.value("key", "") == "fallback_notify_by") job.rule_label = d.value("title", "");
  }
  auto values = TemplateValues(t);
  auto render = [&](const char* kind, const char* lang) {
    auto text = templates_.Render(kind, lang, values);
    return text.ok() ? *text : std::string();
  };
  if (job.address.kind == "sms") job.text = render("sms", "zh");
  if (job.address.kind == "phone") job.text = render("phone_script", "zh");
  if (job.address.kind == "fax") job.text = render("fax_notice", "zh");
  if (job.address.kind == "email") {
    job.subject = render("email", "subject_zh");
    auto en_values = values;
    en_values["reason"] = t.fallback.value("reason", "");
    auto en = templates_.Render("email", "en", en_values);
    job.text = render("email", "zh") + "\n\n" + (en.ok() ? *en : std::string());
  }
  return job;
}

void EscalationEngine::StartRunner(Tracked& t, size_t ri, size_t ci, int64_t attempt_id) {
  NoticeJob job = JobFor(t, ri, ci, attempt_id);
  std::string id = t.rev.id;
  ChannelRunner* runner = runners_[job.address.kind];
  if (!runner) {
    NoticeOutcome none{NoticeOutcome::Kind::kFailed, "no " + job.address.kind + " channel on this box",
                       {{"why", "not configured"}}};
    asio::post(io_, [this, id, attempt_id, none, alive = std::weak_ptr<int>(alive_)] {
      if (!alive.expired()) Finish(id, attempt_id, none);
    });
    return;
  }
  auto weak = std::weak_ptr<int>(alive_);
  runner->Start(
      job,
      [this, id, attempt_id, weak](const std::string& summary, const json& evidence) {
        if (weak.expired()) return;
        auto it = reports_.find(id);
        if (it != reports_.end()) Emit(*it->second, "attempt " + std::to_string(attempt_id) + ": " + summary);
        store_.Run([attempt_id, summary, evidence](Store& st) { return st.NoteAttempt(attempt_id, summary, evidence); },
                   [](Status) {});
      },
      [this, id, attempt_id, weak](const NoticeOutcome& outcome) {
        if (!weak.expired()) Finish(id, attempt_id, outcome);
      });
}

void EscalationEngine::Finish(const std::string& report_id, int64_t attempt_id, const NoticeOutcome& outcome) {
  bool confirmed = outcome.kind == NoticeOutcome::Kind::kConfirmed;
  int64_t notification = 0;
  std::string recipient;
  auto it = reports_.find(report_id);
  Tracked* t = it == reports_.end() ? nullptr : it->second.get();
  if (t) {
    auto open = t->open_attempts.find(attempt_id);
    if (open != t->open_attempts.end()) {
      recipient = t->progress.recipients[open->second.first].key;
      notification = t->notification_ids[recipient];
      auto& c = t->progress.recipients[open->second.first].channels[open->second.second];
      if (c.state != ChannelState::kConfirmed) c.state = confirmed ? ChannelState::kConfirmed : ChannelState::kFailed;
      t->open_attempts.erase(open);
    }
  }
  bool confirm_notification = confirmed && t && notification != 0 && t->notification_state[recipient] == "in_progress";
  if (confirm_notification) t->notification_state[recipient] = "confirmed";
  json evidence = outcome.evidence;
  std::string summary = outcome.summary;
  store_.Run(
      [attempt_id, confirmed, evidence, summary, notification, confirm_notification](Store& st) -> Status {
        json e = {{"summary", summary}, {"evidence", evidence}};
        LIFELINE_RETURN_IF_ERROR(st.FinishAttempt(attempt_id, confirmed ? "confirmed" : "failed", e));
        if (confirm_notification) {
          LIFELINE_RETURN_IF_ERROR(st.TransitionNotification(notification, NotificationState::kConfirmed,
                                                             {{"attempt", attempt_id}, {"summary", summary}}));
        }
        return Status::Ok();
      },
      [attempt_id](Status s) {
        if (!s.ok()) spdlog::error("escalation: outcome of attempt {} not stored: {}", attempt_id, s.ToString());
      });
  if (t) {
    Emit(*t, (recipient.empty() ? "" : recipient + ": ") + "attempt " + std::to_string(attempt_id) + " " +
                 (confirmed ? "CONFIRMED" : "failed") + ": " + summary);
  }
}

}  // namespace lifeline
