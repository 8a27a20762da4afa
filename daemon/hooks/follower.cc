// EventHooks: the journal read after each commit (on the store's worker, one
// range query over new sequence numbers), events posted to the loop and run;
// and the deadline watch, which records a missed deadline once per
// notification when its due time passes unconfirmed. The watch's timer is
// armed only for a due time to come: an idle box has none.
#include <asio/post.hpp>

#include "daemon/core/log.h"
#include "daemon/core/time_format.h"
#include "daemon/hooks/hooks.h"

namespace lifeline {

using nlohmann::json;

struct EventHooks::Follower {
  int64_t last_seq = -1;  // -1 until Start has read where the journal ends
  std::optional<bool> on_battery;
};

namespace {

// The journal types that become events or change what the watch waits for.
constexpr const char* kFollowed =
    "SELECT seq, wall_time, type, report_id, payload FROM journal WHERE seq > ?1 AND type IN ("
    "'report.state', 'notification.state', 'notification.required', 'notification.deadline_missed',"
    " 'power.change', 'link.outage', 'link.recovered', 'contact.down', 'contact.restored') ORDER BY seq";

struct Followed {
  std::vector<HookEvent> events;
  bool notifications_changed = false;
};

Status ReadNew(Store& st, EventHooks::Follower& f, Followed* out) {
  auto stmt = st.db().Cached(kFollowed);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->Bind(1, f.last_seq);
  for (;;) {
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    JournalEntry e;
    e.seq = (*stmt)->Int(0);
    e.wall_time = (*stmt)->Text(1);
    e.type = (*stmt)->Text(2);
    e.report_id = (*stmt)->Text(3);
    e.payload = (*stmt)->Text(4);
    if (e.type == "notification.required" || e.type == "notification.state") out->notifications_changed = true;
    if (auto ev = HookEventFor(e, &f.on_battery)) out->events.push_back(std::move(*ev));
  }
  auto last = st.db().QueryInt("SELECT COALESCE(MAX(seq), 0) FROM journal");
  if (!last.ok()) return last.status();
  f.last_seq = std::max(f.last_seq, *last);
  return Status::Ok();
}

}  // namespace

EventHooks::EventHooks(asio::io_context& io, AsyncStore& store, const Clock& clock, HookOptions options)
    : io_(io),
      store_(store),
      clock_(clock),
      options_(std::move(options)),
      runner_(io, options_),
      watch_(io),
      follower_(std::make_shared<Follower>()) {}

EventHooks::~EventHooks() { watch_.cancel(); }

void EventHooks::Start() {
  started_at_ = clock_.Now();
  store_.Run(
      [f = follower_](Store& st) {
        auto last = st.db().QueryInt("SELECT COALESCE(MAX(seq), 0) FROM journal");
        if (!last.ok()) return last.status();
        f->last_seq = *last;
        return Status::Ok();
      },
      [](Status s) {
        if (!s.ok()) spdlog::error("hooks: cannot read where the journal ends: {}", s.ToString());
      });
  WatchDeadlines();
}

std::function<void(Store&)> EventHooks::CommitObserver() {
  return [f = follower_, &io = io_, this, alive = std::weak_ptr<int>(alive_)](Store& st) {
    if (f->last_seq < 0) return;
    auto followed = std::make_shared<Followed>();
    Status s = ReadNew(st, *f, followed.get());
    if (!s.ok()) return spdlog::warn("hooks: cannot read the journal's new entries: {}", s.ToString());
    if (followed->events.empty() && !followed->notifications_changed) return;
    asio::post(io, [this, alive, followed] {
      if (alive.expired()) return;
      for (auto& e : followed->events) Dispatch(std::move(e));
      if (followed->notifications_changed) WatchDeadlines();
    });
  };
}

void EventHooks::Dispatch(HookEvent event) {
  if (options_.program.empty()) return;
  if (!options_.events.empty() && !options_.events.count(event.name)) return;
  const std::string name = event.name;
  const int64_t seq = event.event.value("seq", int64_t{0});
  const std::string report = event.event.value("report_id", "");
  runner_.Run(event, [this, name, seq, report, alive = std::weak_ptr<int>(alive_)](const HookOutcome& o) {
    if (alive.expired()) return;
    runs_[{name, o.outcome}]++;
    if (o.outcome == "ok") spdlog::info("hook {} for journal entry {}: ok", name, seq);
    else spdlog::warn("hook {} for journal entry {}: {}", name, seq, o.outcome);
    json p = {{"event", name}, {"seq", seq}, {"program", options_.program}, {"outcome", o.outcome},
              {"elapsed_ms", o.elapsed.count()}, {"output", o.detail}};
    if (o.exit_status >= 0) p["exit_status"] = o.exit_status;
    if (o.signal) p["signal"] = o.signal;
    store_.RunInBackground("the outcome of hook " + name,
                           [p, report](Store& st) { return st.RecordEvent("hook.ran", report, p); });
  });
}

// Lists what is still open; records each deadline now past once; arms the
// timer for the next one.
void EventHooks::WatchDeadlines() {
  if (watch_pending_) return;
  watch_pending_ = true;
  struct Found {
    std::vector<std::pair<NotificationRow, bool>> open;
    std::set<int64_t> recorded;
  };
  auto found = std::make_shared<Found>();
  const bool load_recorded = !missed_loaded_;
  store_.Run(
      [found, load_recorded](Store& st) -> Status {
        auto open = st.OpenNotifications();
        if (!open.ok()) return open.status();
        found->open = std::move(*open);
        if (!load_recorded || found->open.empty()) return Status::Ok();
        auto q = st.db().Prepare(
            "SELECT json_extract(payload, '$.notification') FROM journal WHERE type = 'notification.deadline_missed'");
        if (!q.ok()) return q.status();
        for (;;) {
          auto row = q->Step();
          if (!row.ok()) return row.status();
          if (!*row) return Status::Ok();
          found->recorded.insert(q->Int(0));
        }
      },
      [this, found, load_recorded, alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired()) return;
        watch_pending_ = false;
        if (!s.ok()) return spdlog::warn("hooks: cannot list open notifications: {}", s.ToString());
        if (load_recorded && !found->open.empty()) {
          missed_.insert(found->recorded.begin(), found->recorded.end());
          missed_loaded_ = true;
        }
        const WallTime now = clock_.Now();
        std::optional<WallTime> next;
        for (const auto& [n, drill] : found->open) {
          auto due = ParseRfc3339(n.due_at);
          if (!due.ok()) continue;
          if (due->instant > now) {
            if (!next || due->instant < *next) next = due->instant;
            continue;
          }
          if (!missed_.insert(n.id).second) continue;
          json p = {{"notification", n.id}, {"revision", n.revision}, {"recipient", n.recipient},
                    {"due_at", n.due_at}, {"state", n.state}, {"drill", drill}};
          spdlog::warn("report {}: {} was not confirmed by its deadline {}", n.report_id, n.recipient, n.due_at);
          store_.RunInBackground("the missed deadline of notification " + std::to_string(n.id),
                                 [p, id = n.report_id](Store& st) {
                                   return st.RecordEvent("notification.deadline_missed", id, p);
                                 });
        }
        ArmWatch(next);
      });
}

void EventHooks::ArmWatch(std::optional<WallTime> next) {
  watch_.cancel();
  if (!next) return;
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock_.Now()) + std::chrono::milliseconds(5);
  watch_.expires_after(std::max(wait, std::chrono::milliseconds(5)));
  watch_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const std::error_code& ec) {
    if (!ec && !alive.expired()) WatchDeadlines();
  });
}

}  // namespace lifeline
