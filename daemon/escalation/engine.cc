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
  if (a.outcome == "cancelled") return ChannelState::kCancelled;
  if (a.outcome == "sent") return ChannelState::kSent;
  return a.outcome == "confirmed" ? ChannelState::kConfirmed : ChannelState::kFailed;
}

WallTime ParseUtc(const std::string& text, WallTime fallback) {
  auto t = ParseRfc3339(text);
  return t.ok() ? t->instant : fallback;
}

}  // namespace

// Named rather than file-local: EscalationEngine::Tracked holds one.
namespace escalation_internal {

// What the plan and its messages need from a stored report. The document was
// validated at intake, so it is read as it is rather than validated again.
// The agency and category are the engine's interned copies
// (EscalationEngine::Intern): the reports of one box name its own agency and
// one of the rules' categories.
struct ReportFacts {
  const std::string* agency = nullptr;
  const std::string* category = nullptr;
  std::string reporter_phone;
  std::optional<OffsetTime> aware_at;
  bool affects_others = false;
  int offset() const { return aware_at ? aware_at->offset_minutes : 8 * 60; }
};

}  // namespace escalation_internal
using escalation_internal::ReportFacts;

namespace {

template <typename InternFn>
ReportFacts FactsOf(const json& doc, InternFn intern) {
  ReportFacts f;
  f.agency = f.category = intern(std::string());
  if (!doc.is_object()) return f;
  auto text = [](const json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  f.agency = intern(text(doc.value("agency", json::object()), "name"));
  f.category = intern(text(doc, "category"));
  f.reporter_phone = text(doc.value("reporter", json::object()), "phone");
  auto aware = ParseRfc3339(text(doc, "aware_at"));
  if (aware.ok()) f.aware_at = *aware;
  const json& others = doc.contains("affects_others") ? doc["affects_others"] : json();
  f.affects_others = others.is_object() && others.value("affected", false);
  return f;
}

}  // namespace

// One deadline of a report's schedule as the engine keeps it: the instant,
// and the rule's words shared by every report with the same rule.
struct EscalationEngine::DeadlineText {
  std::string key, title, title_en, source;
};
struct EscalationEngine::TrackedDeadline {
  const DeadlineText* text = nullptr;  // owned by deadline_texts_, which only grows
  WallTime at{};
  bool met = false;  // the record meets it (a stage stored): nothing to remind
};

// The revision's identity as the engine keeps it: the rest of its row, its
// document and its schedule stay in the store (a job loads the document when
// it is built).
struct TrackedRevision {
  std::string id;
  std::string aware_at;  // as stated, kept only when it did not parse (the facts hold it otherwise)
  int revision = 0;
  int level = 0;
  bool drill = false;
};

// What the engine keeps of each report it tracks, and no more: with thousands
// of reports open, memory must not grow with their documents and schedules
// (bench/footprint measures it with 10,000 open).
struct EscalationEngine::Tracked {
  TrackedRevision rev;
  std::vector<TrackedDeadline> deadlines;
  ReportFacts facts;
  WallTime escalate_at{}, notify_by{}, fallback_by{}, affected_by{};
  WallTime received_at{};
  std::shared_ptr<const std::vector<RequiredNotice>> notices;  // shared by reports of the same kind
  PlanState plan;
  std::set<std::string> reminders;  // "key/kind" already given
  // Before this, Remind has nothing to give: every tick would otherwise read
  // the schedule of every report it tracks.
  WallTime next_reminder{};
  bool accepted = false;
  bool busy = false;  // a store job for this report is in flight
  StepContext Context() const { return {notices.get(), fallback_by, affected_by, facts.offset()}; }
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

// Everything the plan needs from the store, read at start-up a page at a
// time (the documents stay in the store: only the facts the plan uses are
// read), so the peak stays one page above what the engine keeps.
void EscalationEngine::Load() { LoadPage(""); }

void EscalationEngine::LoadPage(const std::string& cursor) {
  struct Loaded {
    StoredRevision rev;
    std::vector<NotificationRow> notifications;
    std::vector<AttemptRow> attempts;
    std::vector<std::string> reminders;
    json fallback;
  };
  auto loaded = std::make_shared<std::vector<Loaded>>();
  auto next = std::make_shared<std::string>();
  store_.Run(
      [loaded, next, cursor](Store& st) -> Status {
        auto page = st.ListLatestPage({cursor, 200, RevisionContent::kPlanFacts, false});
        if (!page.ok()) return page.status();
        *next = page->next;
        for (auto& r : page->revisions) {
          Loaded l{std::move(r), {}, {}, {}, nullptr};
          auto n = st.Notifications(l.rev.id);
          auto a = st.Attempts(l.rev.id);
          auto m = st.RemindersGiven(l.rev.id, l.rev.revision);
          auto f = st.FallbackOf(l.rev.id, l.rev.revision);
          auto schedule = st.CurrentSchedule(l.rev.id);  // with what the record has met since
          if (schedule.ok() && schedule->is_object()) l.rev.schedule = std::move(*schedule);
          if (!schedule.ok()) return schedule.status();
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
      [this, loaded, next, alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired() || !started_) return;
        if (!s.ok()) spdlog::error("escalation: cannot load the plans from the store: {}", s.ToString());
        for (auto& l : *loaded) {
          const std::string id = l.rev.id;
          if (reports_.count(id)) continue;  // stored while loading: OnStored has it, newer
          Track(std::move(l.rev), l.notifications, l.attempts, l.reminders, l.fallback);
          // Resume what was under way when the daemon stopped, under the same attempt ids.
          auto t = reports_.find(id);
          if (t == reports_.end()) continue;
          for (auto [attempt, where] : t->second->plan.open_attempts) {
            StartRunner(*t->second, where.first, where.second, attempt);
          }
        }
        loaded->clear();
        if (s.ok() && !next->empty()) return LoadPage(*next);
        Tick();
      });
}

PlanState RestorePlan(const std::vector<RequiredNotice>& notices, const StoredRevision& r,
                      const std::vector<NotificationRow>& notifications, const std::vector<AttemptRow>& attempts,
                      const json& fallback, WallTime now) {
  PlanState plan;
  plan.progress = InitialProgress(notices);
  plan.progress.accepted_by_site = r.state == "accepted" || r.state == "accepted_late" || r.state == "closed";
  if (r.state == "fallback" || r.state == "accepted_late") {
    plan.progress.escalated = true;
    plan.fallback = fallback.is_object() ? fallback : json::object();
    plan.frozen = EscalationTiming{ParseUtc(plan.fallback.value("escalated_at", ""), now),
                                   plan.fallback.value("why", "restored from the store"),
                                   plan.fallback.value("late", false)};
  }
  std::map<int64_t, std::string> recipient_of;
  for (const auto& n : notifications) {
    if (n.revision != r.revision) continue;
    plan.notification_ids[n.recipient] = n.id;
    plan.notification_state[n.recipient] = n.state;
    recipient_of[n.id] = n.recipient;
    if (n.state == "cancelled") plan.cancelled = true;
    for (auto& rp : plan.progress.recipients) {
      if (rp.key == n.recipient) rp.loud = n.loud;
    }
  }
  for (const auto& a : attempts) {
    auto rk = recipient_of.find(a.notification_id);
    if (rk == recipient_of.end()) continue;  // an earlier revision's attempt
    for (size_t ri = 0; ri < plan.progress.recipients.size(); ++ri) {
      auto& rp = plan.progress.recipients[ri];
      if (rp.key != rk->second) continue;
      for (size_t ci = 0; ci < rp.channels.size(); ++ci) {
        auto& c = rp.channels[ci];
        if (c.channel->kind != a.channel || c.channel->address != a.address) continue;
        // A confirmed channel stays confirmed whatever a later attempt did.
        if (c.state != ChannelState::kConfirmed) c.state = StateOfAttempt(a);
        c.started_at = ParseUtc(a.started_at, now);
        c.starts++;
        if (a.ended_at.empty()) plan.open_attempts[a.id] = {ri, ci};
      }
    }
  }
  return plan;
}

Status RecordStep(Store& st, const std::string& id, int revision, const Step& step,
                  const std::map<std::string, int64_t>& known_ids, RecordedStep* out) {
  out->attempt_ids.clear();
  auto ids = known_ids;
  if (step.escalate) {
    LIFELINE_RETURN_IF_ERROR(st.EscalateReport(id, revision, step.fallback));
    for (const auto& [recipient, due] : step.required) {
      auto n = st.AddNotification(id, revision, recipient, due);
      if (!n.ok()) return n.status();
      ids[recipient] = *n;
    }
  }
  for (const auto& [recipient, why] : step.loud) LIFELINE_RETURN_IF_ERROR(st.MarkNotificationLoud(ids[recipient], why));
  for (const auto& s : step.starts) {
    if (s.move_notification) {
      LIFELINE_RETURN_IF_ERROR(st.TransitionNotification(ids[s.key], NotificationState::kInProgress, {{"why", s.why}}));
    }
    auto attempt = st.StartAttempt(ids[s.key], s.kind, s.address, {{"why", s.why}, {"recipient", s.key}});
    if (!attempt.ok()) return attempt.status();
    out->attempt_ids.push_back(*attempt);
  }
  const json why = {{"why", "the site accepted the report"}};
  for (int64_t a : step.close_attempts) {
    LIFELINE_RETURN_IF_ERROR(st.FinishAttempt(a, "cancelled", why));
    LIFELINE_RETURN_IF_ERROR(st.CancelPhoneTask(a, "the site accepted the report"));
  }
  for (const auto& recipient : step.cancel_notifications) {
    LIFELINE_RETURN_IF_ERROR(st.TransitionNotification(ids[recipient], NotificationState::kCancelled, why));
  }
  out->notification_ids = std::move(ids);
  return Status::Ok();
}

Status RecordOutcome(Store& st, int64_t attempt_id, bool confirmed, const OutcomeEffect& effect,
                     const std::string& summary, const json& evidence) {
  return RecordOutcome(st, attempt_id, std::string_view(confirmed ? "confirmed" : "failed"), effect, summary, evidence);
}

Status RecordOutcome(Store& st, int64_t attempt_id, std::string_view outcome, const OutcomeEffect& effect,
                     const std::string& summary, const json& evidence) {
  json e = {{"summary", summary}, {"evidence", evidence}};
  LIFELINE_RETURN_IF_ERROR(st.FinishAttempt(attempt_id, std::string(outcome), e));
  if (!effect.confirm_notification) return Status::Ok();
  return st.TransitionNotification(effect.notification_id, NotificationState::kConfirmed,
                                   {{"attempt", attempt_id}, {"summary", summary}});
}

std::shared_ptr<const EscalationEngine::DeadlineText> EscalationEngine::SharedDeadlineText(DeadlineText text) {
  std::string key = text.key + '\x1f' + text.title + '\x1f' + text.title_en + '\x1f' + text.source;
  auto& shared = deadline_texts_[key];
  if (!shared) shared = std::make_shared<const DeadlineText>(std::move(text));
  return shared;
}

const std::string* EscalationEngine::Intern(std::string text) { return &*words_.insert(std::move(text)).first; }

// RequiredNotices depends on the report only through these, so reports of
// the same kind share one list.
std::shared_ptr<const std::vector<RequiredNotice>> EscalationEngine::SharedNotices(int level, bool affects_others,
                                                                                   bool drill) {
  auto& shared = notices_[{level, affects_others, drill}];
  if (!shared) {
    shared = std::make_shared<const std::vector<RequiredNotice>>(
        RequiredNotices(directory_, options_.policy, level, affects_others, drill, level >= 3));
  }
  return shared;
}

// The deadlines of `schedule` (the revision's, or as a stored stage left them).
void EscalationEngine::SetDeadlines(Tracked& t, const json& schedule) {
  const json deadlines = schedule.value("deadlines", json::array());
  t.deadlines.clear();
  t.deadlines.reserve(deadlines.size());  // exactly: kept for as long as the report is open
  for (const auto& d : deadlines) {
    WallTime at = ParseUtc(d.value("at", ""), WallTime{});
    auto text = SharedDeadlineText({d.value("key", ""), d.value("title", ""), d.value("title_en", ""),
                                    d.value("source", "")});
    const std::string& key = text->key;
    if (key == "escalate_at") t.escalate_at = at;
    if (key == "notify_by") t.notify_by = at;
    if (key == "fallback_notify_by") t.fallback_by = at;
    if (key == "affected_agency_notify_by") t.affected_by = at;
    t.deadlines.push_back({text.get(), at, d.value("met", false)});
  }
  if (t.fallback_by == WallTime{}) t.fallback_by = t.notify_by;
}

void EscalationEngine::Track(StoredRevision revision, const std::vector<NotificationRow>& notifications,
                             const std::vector<AttemptRow>& attempts, const std::vector<std::string>& reminders,
                             const json& fallback) {
  const StoredRevision r = std::move(revision);
  auto t = std::make_unique<Tracked>();
  t->facts = FactsOf(r.document, [this](std::string text) { return Intern(std::move(text)); });
  t->rev = {r.id, t->facts.aware_at ? std::string() : r.aware_at, r.revision, r.level, r.drill};
  t->accepted = r.state == "accepted" || r.state == "accepted_late" || r.state == "closed";
  t->received_at = ParseUtc(r.received_at, clock_.Now());
  SetDeadlines(*t, r.schedule);
  for (const auto& key : reminders) t->reminders.insert(key);
  t->notices = SharedNotices(r.level, t->facts.affects_others, r.drill);
  t->plan = RestorePlan(*t->notices, r, notifications, attempts, fallback, clock_.Now());
  bool reminders_left = false;
  for (const auto& d : t->deadlines) {
    if (!IsHourDeadline(d.text->key) && !d.met && !t->reminders.count(d.text->key + "/due")) reminders_left = true;
  }
  if (t->accepted && !reminders_left && t->plan.open_attempts.empty()) return;
  reports_[r.id] = std::move(t);
}

// The earlier revision's plan ends when a new one arrives; the new level is
// notified afresh.
void EscalationEngine::Supersede(Tracked& old, int by_revision) {
  for (auto& [attempt, where] : old.plan.open_attempts) CancelRunner(old, attempt, where);
  if (!old.plan.progress.escalated || old.plan.cancelled) return;
  std::vector<int64_t> open;
  for (auto& [a, w] : old.plan.open_attempts) open.push_back(a);
  std::vector<int64_t> notifications;
  for (auto& [k, id] : old.plan.notification_ids) {
    const std::string& st = old.plan.notification_state[k];
    if (st == "pending" || st == "in_progress") notifications.push_back(id);
  }
  std::string why = "superseded by revision " + std::to_string(by_revision);
  store_.RunInBackground("closing revision " + std::to_string(old.rev.revision) + " of report " + old.rev.id,
                         [open, notifications, why](Store& st) -> Status {
                           for (int64_t a : open) {
                             LIFELINE_RETURN_IF_ERROR(st.FinishAttempt(a, "cancelled", {{"why", why}}));
                             LIFELINE_RETURN_IF_ERROR(st.CancelPhoneTask(a, why));
                           }
                           for (int64_t n : notifications) {
                             LIFELINE_RETURN_IF_ERROR(
                                 st.TransitionNotification(n, NotificationState::kCancelled, {{"why", why}}));
                           }
                           return Status::Ok();
                         });
}

void EscalationEngine::OnStored(StoredRevision revision) {
  const std::string id = revision.id;
  const int revision_number = revision.revision, level = revision.level;
  auto it = reports_.find(id);
  if (it != reports_.end() && it->second->rev.revision >= revision_number) return;
  if (it != reports_.end()) Supersede(*it->second, revision_number);
  Track(std::move(revision), {}, {}, {}, nullptr);
  auto t = reports_.find(id);
  if (t != reports_.end()) {
    Emit(*t->second, "revision " + std::to_string(revision_number) + " (level " + std::to_string(level) +
                         ") is in the plan: " + std::to_string(t->second->notices->size()) +
                         " recipients if the site cannot take it");
    Examine(*t->second);
  }
}

void EscalationEngine::OnAccepted(const std::string& report_id, int revision) {
  auto it = reports_.find(report_id);
  if (it == reports_.end() || it->second->rev.revision != revision) return;
  Tracked& t = *it->second;
  t.accepted = true;
  t.plan.progress.accepted_by_site = true;
  Emit(t, t.plan.progress.escalated ? "the site accepted the late submission (補行通報)" : "the site accepted the report");
  if (t.plan.progress.escalated && !t.plan.cancelled && !t.busy) {
    Carry(t, {{Action::Kind::kCancelPending, "", {}, "the site accepted the report"}}, *t.plan.frozen,
          ConditionsFor(t));
  }
}

void EscalationEngine::OnScheduleChanged(const std::string& report_id, json schedule) {
  auto it = reports_.find(report_id);
  if (it == reports_.end() || !schedule.is_object()) return;
  SetDeadlines(*it->second, schedule);
  it->second->next_reminder = WallTime{};  // look again at the next tick
}

void EscalationEngine::SetDrillFaults(const std::string& report_id, std::vector<DrillFault> faults) {
  if (faults.empty()) {
    drill_faults_.erase(report_id);
  } else {
    drill_faults_[report_id] = std::move(faults);
  }
}

const DrillFault* EscalationEngine::ActiveDrillFault(const std::string& id, std::string_view kind) const {
  auto it = drill_faults_.find(id);
  if (it == drill_faults_.end()) return nullptr;
  const WallTime now = clock_.Now();
  for (const auto& f : it->second) {
    if (f.channel == kind && f.from <= now && now < f.until) return &f;
  }
  return nullptr;
}

Conditions EscalationEngine::ConditionsFor(const Tracked& t) const {
  if (t.rev.drill) {
    auto it = drill_outage_until_.find(t.rev.id);
    const DrillFault* mains = ActiveDrillFault(t.rev.id, "mains");
    if (it != drill_outage_until_.end() && clock_.Now() < it->second) {
      Conditions c;
      c.site_outage = true;
      const DrillFault* site = ActiveDrillFault(t.rev.id, "site");
      c.link_class = site && !site->link_class.empty() ? site->link_class : "connect";
      c.simulated = true;
      if (mains) {
        c.on_battery = true;
        c.battery_runtime = mains->battery_runtime;
      }
      return c;
    }
    if (mains) {
      Conditions c = conditions_;
      c.on_battery = true;
      c.battery_runtime = mains->battery_runtime;
      c.simulated = true;
      return c;
    }
  }
  return conditions_;
}

std::optional<WallTime> EscalationEngine::NearestOpenDeadline() const {
  std::optional<WallTime> nearest;
  for (const auto& [id, t] : reports_) {
    if (t->accepted || t->rev.drill) continue;
    const auto& recipients = t->plan.progress.recipients;
    bool escalated = t->plan.progress.escalated;
    if (escalated && std::all_of(recipients.begin(), recipients.end(), [](const auto& r) { return r.Confirmed(); })) {
      continue;  // every recipient confirmed: the hour's duty is met
    }
    WallTime at = escalated ? t->fallback_by : t->notify_by;
    if (!nearest || at < *nearest) nearest = at;
  }
  return nearest;
}

FallbackSummary EscalationEngine::Fallbacks() const {
  FallbackSummary f;
  bool any_fallen_back = false;
  const WallTime now = clock_.Now();
  for (const auto& [id, t] : reports_) {
    if (t->accepted || !t->plan.progress.escalated) continue;
    any_fallen_back = true;
    const bool near = now >= t->fallback_by - options_.policy.louder_before;
    for (const RecipientProgress& r : t->plan.progress.recipients) {
      if (r.Confirmed()) continue;
      f.under_way = true;
      f.deadline_near = f.deadline_near || r.loud || near;
    }
  }
  f.all_confirmed = any_fallen_back && !f.under_way;
  return f;
}

void EscalationEngine::Tick() {
  if (!started_) return;
  for (auto& [id, t] : reports_) Examine(*t);
  if (after_tick) after_tick();
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
  for (const auto& d : t.deadlines) {
    const std::string& key = d.text->key;
    if (IsHourDeadline(key) || d.met) continue;  // met on the record: nothing to remind
    WallTime at = d.at;
    std::string kind;
    if (now >= at) kind = "due";
    else if (now >= at - options_.reminder_ahead) kind = "ahead";
    if (!t.reminders.count(key + "/due")) {
      WallTime upcoming = kind.empty() ? at - options_.reminder_ahead : at;
      if (kind != "due") next = std::min(next, upcoming);
    }
    if (kind.empty() || t.reminders.count(key + "/" + kind)) continue;
    t.reminders.insert(key + "/" + kind);
    json payload = {{"title", d.text->title}, {"title_en", d.text->title_en}, {"source", d.text->source},
                    {"at", FormatRfc3339(at, offset)}};
    std::string id = t.rev.id, text = (kind == "due" ? "due now: " : "coming up: ") +
                                      (d.text->title_en.empty() ? key : d.text->title_en) + " by " +
                                      FormatRfc3339(at, offset) + " (" + d.text->source + ")";
    int revision = t.rev.revision;
    store_.RunInBackground("the reminder " + key + "/" + kind + " of report " + id,
                           [id, revision, key, kind, payload](Store& st) {
                             return st.RecordReminder(id, revision, key, kind, payload).status();
                           });
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
  EscalationTiming timing = t.plan.frozen ? *t.plan.frozen
                                          : WhenToEscalate(t.escalate_at, t.notify_by, c, *t.notices, options_.policy, now);
  // Filed late with the site apparently up: the designated method gets its chance first.
  if (!t.plan.frozen && timing.late && !c.site_outage && now < t.received_at + options_.late_site_grace) return;
  auto actions = Decide(t.plan.progress, timing, t.fallback_by, options_.policy, now);
  if (!actions.empty()) Carry(t, actions, timing, c);
}

// Decide's actions in three steps: PlanStep works out what they change, the
// store records that in one transaction, and only after the commit does
// ApplyStep change the plan and the runners start.
void EscalationEngine::Carry(Tracked& t, const std::vector<Action>& actions, const EscalationTiming& timing,
                             const Conditions& c) {
  auto step = std::make_shared<Step>(PlanStep(t.plan, actions, timing, c, t.Context(), clock_.Now()));
  if (step->empty()) return;
  auto recorded = std::make_shared<RecordedStep>();
  t.busy = true;
  store_.Run(
      [id = t.rev.id, revision = t.rev.revision, step, recorded, ids = t.plan.notification_ids](Store& st) {
        return RecordStep(st, id, revision, *step, ids, recorded.get());
      },
      [this, id = t.rev.id, revision = t.rev.revision, step, recorded, timing,
       alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired()) return;
        auto it = reports_.find(id);
        if (it == reports_.end() || it->second->rev.revision != revision) return;
        Tracked& t = *it->second;
        t.busy = false;
        if (!s.ok()) {
          spdlog::error("escalation: report {}: the plan's next step was not stored ({}); trying again", id,
                        s.ToString());
          return;
        }
        Applied(t, *step, ApplyStep(t.plan, *step, *recorded, timing, clock_.Now()), timing);
      });
}

// What a recorded step means outside the plan: the timeline, and the runners.
void EscalationEngine::Applied(Tracked& t, const Step& step, const AppliedStep& applied,
                               const EscalationTiming& timing) {
  if (step.escalate) {
    Emit(t, "escalating to other means: " + timing.why + "; reason: " + step.fallback.value("reason_zh", ""));
  }
  for (const auto& [recipient, why] : step.loud) Emit(t, recipient + ": " + why);
  for (size_t i = 0; i < applied.started.size(); ++i) {
    const ChannelStart& st = step.starts[i];
    auto [attempt, where] = applied.started[i];
    Emit(t, st.key + ": " + st.kind + " to " + st.address + " (attempt " + std::to_string(attempt) + "; " + st.why +
                ")");
    StartRunner(t, where.first, where.second, attempt);
  }
  for (auto [attempt, where] : applied.cancelled) CancelRunner(t, attempt, where);
  if (step.cancel) Emit(t, "pending notifications cancelled: the site accepted the report");
}

void EscalationEngine::CancelRunner(const Tracked& t, int64_t attempt, std::pair<size_t, size_t> where) {
  ChannelRunner* runner = runners_[t.plan.progress.recipients[where.first].channels[where.second].channel->kind];
  if (runner) runner->Cancel(attempt);
}

std::map<std::string, std::string> EscalationEngine::TemplateValues(const Tracked& t) const {
  int offset = t.facts.offset();
  std::map<std::string, std::string> v;
  v["agency"] = *t.facts.agency;
  v["level"] = std::to_string(t.rev.level);
  v["category"] = LabelZh("categories", *t.facts.category);
  v["aware_at"] = t.facts.aware_at ? FormatHuman(*t.facts.aware_at) : t.rev.aware_at;
  v["report_id"] = t.rev.id;
  v["revision"] = std::to_string(t.rev.revision);
  v["reason"] = t.plan.fallback.value("reason_zh", "");
  v["callback"] = !options_.callback.empty() ? options_.callback : t.facts.reporter_phone;
  v["notify_by"] = FormatHuman(WithOffset(t.fallback_by, offset));
  v["drill"] = t.rev.drill ? "【演練 DRILL】" : "";
  return v;
}

NoticeJob EscalationEngine::JobFor(const Tracked& t, size_t ri, size_t ci, int64_t attempt_id) const {
  const auto& rp = t.plan.progress.recipients[ri];
  NoticeJob job;
  job.attempt_id = attempt_id;
  job.report_id = t.rev.id;
  job.revision = t.rev.revision;
  job.drill = t.rev.drill;
  job.recipient_key = rp.key;
  for (const auto& n : *t.notices) {
    if (n.recipient->key == rp.key) job.recipient_name = n.recipient->name;
  }
  job.address = *rp.channels[ci].channel;
  job.reason_zh = t.plan.fallback.value("reason_zh", "");
  int offset = t.facts.offset();
  job.due_at = FormatRfc3339(t.fallback_by, offset);
  for (const auto& d : t.deadlines) {
    if (d.text->key == "fallback_notify_by") job.rule_label = d.text->title;
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
    en_values["reason"] = t.plan.fallback.value("reason", "");
    auto en = templates_.Render("email", "en", en_values);
    job.text = render("email", "zh") + "\n\n" + (en.ok() ? *en : std::string());
  }
  return job;
}

void EscalationEngine::StartRunner(Tracked& t, size_t ri, size_t ci, int64_t attempt_id) {
  NoticeJob job = JobFor(t, ri, ci, attempt_id);
  std::string id = t.rev.id;
  // A drill's simulated channel fault: the attempt fails as that channel would, and the plan moves on.
  if (const DrillFault* fault = t.rev.drill ? ActiveDrillFault(id, job.address.kind) : nullptr) {
    NoticeOutcome simulated{NoticeOutcome::Kind::kFailed, fault->summary,
                            {{"simulated", true}, {"drill_fault", fault->channel}, {"why", fault->summary}}};
    asio::post(io_, [this, id, attempt_id, simulated, alive = std::weak_ptr<int>(alive_)] {
      if (!alive.expired()) Finish(id, attempt_id, simulated);
    });
    return;
  }
  ChannelRunner* runner = runners_[job.address.kind];
  if (!runner) {
    NoticeOutcome none{NoticeOutcome::Kind::kFailed, "no " + job.address.kind + " channel on this box",
                       {{"why", "not configured"}}};
    asio::post(io_, [this, id, attempt_id, none, alive = std::weak_ptr<int>(alive_)] {
      if (!alive.expired()) Finish(id, attempt_id, none);
    });
    return;
  }
  // The document is read from the store for the job (the fax renders the
  // form from it); the attempt may have been cancelled meanwhile.
  auto loaded = std::make_shared<NoticeJob>(std::move(job));
  store_.Run(
      [loaded](Store& st) -> Status {
        auto revisions = st.GetReport(loaded->report_id);
        if (!revisions.ok()) return revisions.status();
        for (auto& r : *revisions) {
          if (r.revision == loaded->revision) loaded->report = std::move(r.document);
        }
        return Status::Ok();
      },
      [this, loaded, runner, alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired() || !started_) return;
        auto it = reports_.find(loaded->report_id);
        if (it == reports_.end() || it->second->rev.revision != loaded->revision ||
            !it->second->plan.open_attempts.count(loaded->attempt_id)) {
          return;  // cancelled or superseded while the document was read
        }
        if (!s.ok()) spdlog::error("escalation: report {}: document not read for attempt {}: {}", loaded->report_id,
                                   loaded->attempt_id, s.ToString());
        HandToRunner(*runner, *loaded);
      });
}

void EscalationEngine::HandToRunner(ChannelRunner& runner, const NoticeJob& job) {
  const std::string id = job.report_id;
  const int64_t attempt_id = job.attempt_id;
  auto weak = std::weak_ptr<int>(alive_);
  runner.Start(
      job,
      [this, id, attempt_id, weak](const std::string& summary, const json& evidence) {
        if (weak.expired()) return;
        auto it = reports_.find(id);
        if (it != reports_.end()) {
          Emit(*it->second, "attempt " + std::to_string(attempt_id) + ": " + summary);
          // A try failed and the channel retries (a busy or unanswered fax): the plan need not wait on it.
          auto open = it->second->plan.open_attempts.find(attempt_id);
          if (open != it->second->plan.open_attempts.end() && evidence.is_object() && evidence.contains("retry_reason")) {
            it->second->plan.progress.recipients[open->second.first].channels[open->second.second].retrying = true;
          }
        }
        store_.RunInBackground("progress of attempt " + std::to_string(attempt_id),
                               [attempt_id, summary, evidence](Store& st) {
                                 return st.NoteAttempt(attempt_id, summary, evidence);
                               });
      },
      [this, id, attempt_id, weak](const NoticeOutcome& outcome) {
        if (!weak.expired()) Finish(id, attempt_id, outcome);
      });
}

// A "sent" outcome (an e-mail a relay took) ends the attempt without
// confirming the recipient: the plan moves on to the next channel.
void EscalationEngine::Finish(const std::string& report_id, int64_t attempt_id, const NoticeOutcome& outcome) {
  bool confirmed = outcome.kind == NoticeOutcome::Kind::kConfirmed;
  bool sent = outcome.kind == NoticeOutcome::Kind::kSent;
  auto it = reports_.find(report_id);
  Tracked* t = it == reports_.end() ? nullptr : it->second.get();
  OutcomeEffect effect;
  if (t) {
    effect = ApplyOutcome(t->plan, attempt_id,
                          confirmed ? ChannelState::kConfirmed : sent ? ChannelState::kSent : ChannelState::kFailed);
  }
  std::string_view name = confirmed ? "confirmed" : sent ? "sent" : "failed";
  store_.Run(
      [attempt_id, name, effect, summary = outcome.summary, evidence = outcome.evidence](Store& st) {
        return RecordOutcome(st, attempt_id, name, effect, summary, evidence);
      },
      [attempt_id](Status s) {
        if (!s.ok()) spdlog::error("escalation: outcome of attempt {} not stored: {}", attempt_id, s.ToString());
      });
  if (t) {
    Emit(*t, (effect.recipient.empty() ? "" : effect.recipient + ": ") + "attempt " + std::to_string(attempt_id) +
                 " " + (confirmed ? "CONFIRMED" : sent ? "sent, not confirmed" : "failed") + ": " + outcome.summary);
  }
}

}  // namespace lifeline

namespace lifeline {
namespace {

struct ByHandTarget {
  size_t recipient = 0, channel = 0;
  bool found_recipient = false, found_channel = false;
  std::vector<std::string> kinds;  // the recipient's channels, for the message
};

ByHandTarget FindByHandTarget(const PlanState& plan, const NoticeByHand& n) {
  ByHandTarget t;
  for (size_t ri = 0; ri < plan.progress.recipients.size(); ++ri) {
    const auto& rp = plan.progress.recipients[ri];
    if (rp.key != n.recipient) continue;
    t.found_recipient = true;
    t.recipient = ri;
    for (size_t ci = 0; ci < rp.channels.size(); ++ci) {
      t.kinds.push_back(rp.channels[ci].channel->kind);
      if (!t.found_channel && rp.channels[ci].channel->kind == n.channel) {
        t.found_channel = true;
        t.channel = ci;
      }
    }
  }
  return t;
}

std::string JoinedKeys(const PlanState& plan) {
  std::string out;
  for (const auto& rp : plan.progress.recipients) out += (out.empty() ? "" : ", ") + rp.key;
  return out;
}

}  // namespace

json EscalationEngine::ByHandProblems(const NoticeByHand& n) const {
  json problems = json::array();
  auto it = reports_.find(n.report_id);
  if (it == reports_.end()) return problems;  // RecordNoticeByHand answers NotFound
  const PlanState& plan = it->second->plan;
  ByHandTarget target = FindByHandTarget(plan, n);
  if (!target.found_recipient) {
    problems.push_back({{"path", "/recipient"},
                        {"zh", "此通報之應通知對象為：" + JoinedKeys(plan)},
                        {"en", "'" + n.recipient + "' is not a recipient of this report; its recipients: " +
                                   JoinedKeys(plan)}});
  } else if (!target.found_channel) {
    std::string kinds;
    for (const auto& k : target.kinds) kinds += (kinds.empty() ? "" : ", ") + k;
    problems.push_back({{"path", "/channel"},
                        {"zh", "通訊錄中此對象之管道為：" + kinds},
                        {"en", "the directory lists no " + n.channel + " for " + n.recipient + "; its channels: " +
                                   kinds}});
  }
  return problems;
}

// One function on purpose: the checks, the one store transaction and what it
// changes in the plan after the commit read the same captured state (the
// recipient's index, its open attempts, the channel); split, they would have to
// be re-found between the steps while the plan may move.
void EscalationEngine::RecordNoticeByHand(const NoticeByHand& n, std::function<void(Result<json>)> done) {
  auto it = reports_.find(n.report_id);
  if (it == reports_.end()) {
    return done(NotFound("report " + n.report_id + " has no notification under way on this box"));
  }
  Tracked& t = *it->second;
  if (json problems = ByHandProblems(n); !problems.empty()) {
    return done(InvalidArgument(problems[0]["path"].get<std::string>() + ": " + problems[0]["en"].get<std::string>()));
  }
  auto nid = t.plan.notification_ids.find(n.recipient);
  if (!t.plan.progress.escalated || nid == t.plan.notification_ids.end()) {
    return done(FailedPrecondition("report " + n.report_id +
                                   " has not fallen back to other means: no notification to " + n.recipient +
                                   " is due yet (the site's hour still runs)"));
  }
  const std::string state = t.plan.notification_state[n.recipient];
  if (state == "confirmed" || state == "cancelled") {
    return done(FailedPrecondition("the notification to " + n.recipient + " is already " + state +
                                   (state == "cancelled" ? " (the site accepted the report)" : "")));
  }
  if (t.busy) return done(Unavailable("the plan of report " + n.report_id + " is being stored; try again"));
  ByHandTarget target = FindByHandTarget(t.plan, n);
  const ChannelAddress& address = *t.plan.progress.recipients[target.recipient].channels[target.channel].channel;
  std::vector<int64_t> others;
  for (const auto& [attempt, where] : t.plan.open_attempts) {
    if (where.first == target.recipient) others.push_back(attempt);
  }
  json evidence = n.evidence.is_object() ? n.evidence : json::object();
  evidence["by_hand"] = true;
  evidence["recorded_by"] = n.recorded_by;
  const std::string summary = "sent by hand outside the box (" + address.kind + " to " + address.address +
                              "), recorded by " + n.recorded_by + ": " + evidence.value("proof", "");
  auto attempt_id = std::make_shared<int64_t>(0);
  t.busy = true;
  store_.Run(
      [nid = nid->second, state, kind = address.kind, to = address.address, recipient = n.recipient,
       actor = n.recorded_by, evidence, summary, others, attempt_id](Store& st) -> Status {
        Store::ActorScope by(st, actor);
        const json why = {{"why", "a notice sent by hand outside the box"}};
        if (state != "in_progress") {
          LIFELINE_RETURN_IF_ERROR(st.TransitionNotification(nid, NotificationState::kInProgress, why));
        }
        auto a = st.StartAttempt(nid, kind, to, {{"why", "sent by hand outside the box"}, {"recipient", recipient},
                                                 {"by_hand", true}});
        if (!a.ok()) return a.status();
        *attempt_id = *a;
        LIFELINE_RETURN_IF_ERROR(st.FinishAttempt(*a, "confirmed", {{"summary", summary}, {"evidence", evidence}}));
        const std::string reached = "the recipient was reached by a notice sent by hand (attempt " +
                                    std::to_string(*a) + ")";
        for (int64_t o : others) {
          LIFELINE_RETURN_IF_ERROR(st.FinishAttempt(o, "cancelled", {{"why", reached}}));
          LIFELINE_RETURN_IF_ERROR(st.CancelPhoneTask(o, reached));
        }
        return st.TransitionNotification(nid, NotificationState::kConfirmed,
                                         {{"attempt", *a}, {"summary", summary}});
      },
      [this, n, target, others, attempt_id, summary, done, revision = t.rev.revision,
       alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired()) return done(Unavailable("lifelined is stopping"));
        auto it = reports_.find(n.report_id);
        Tracked* t = it == reports_.end() || it->second->rev.revision != revision ? nullptr : it->second.get();
        if (t) t->busy = false;
        if (!s.ok()) return done(s);
        json cancelled = json::array();
        if (t) {
          auto& rp = t->plan.progress.recipients[target.recipient];
          for (int64_t o : others) {
            auto open = t->plan.open_attempts.find(o);
            if (open == t->plan.open_attempts.end()) continue;
            auto where = open->second;
            auto& c = rp.channels[where.second];
            if (c.state != ChannelState::kConfirmed) c.state = ChannelState::kCancelled;
            t->plan.open_attempts.erase(open);
            CancelRunner(*t, o, where);
            cancelled.push_back(o);
          }
          auto& c = rp.channels[target.channel];
          c.state = ChannelState::kConfirmed;
          c.starts++;
          t->plan.notification_state[n.recipient] = "confirmed";
          Emit(*t, n.recipient + ": attempt " + std::to_string(*attempt_id) + " CONFIRMED: " + summary);
        }
        const ChannelAddress* address =
            t ? t->plan.progress.recipients[target.recipient].channels[target.channel].channel : nullptr;
        done(json{{"attempt", *attempt_id},
                  {"recipient", n.recipient},
                  {"channel", n.channel},
                  {"address", address ? address->address : ""},
                  {"cancelled", cancelled},
                  {"summary", summary}});
      });
}

}  // namespace lifeline
