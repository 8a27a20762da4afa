#include "daemon/drill/drill.h"

#include "daemon/core/log.h"
#include "daemon/core/uuid.h"

namespace lifeline {
using nlohmann::json;

DrillDesk::DrillDesk(asio::io_context& io, AsyncStore& store, const Clock& clock, EscalationEngine& engine,
                     OnlinePath& online)
    : io_(io), store_(store), clock_(clock), engine_(engine), online_(online) {}

DrillDesk::~DrillDesk() {
  for (auto& t : timers_) t.cancel();
}

void DrillDesk::Start() {
  auto drills = std::make_shared<std::vector<DrillRow>>();
  store_.Run(
      [drills](Store& st) {
        auto r = st.Drills();
        if (r.ok()) *drills = std::move(*r);
        return r.status();
      },
      [this, drills, alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired() || !s.ok()) return;
        for (const auto& d : *drills) {
          auto until = ParseRfc3339(d.outage_until);
          if (d.ended_at.empty() && until.ok() && until->instant > clock_.Now()) Hold(d.report_id, until->instant);
        }
      });
}

void DrillDesk::Hold(const std::string& report_id, WallTime until) {
  engine_.SetDrillOutage(report_id, until);
  auto left = std::chrono::duration_cast<std::chrono::steady_clock::duration>(until - clock_.Now());
  online_.HoldUntil(report_id, std::chrono::steady_clock::now() + left);
  auto& timer = timers_.emplace_back(io_);
  timer.expires_after(left);
  timer.async_wait([this, report_id, alive = std::weak_ptr<int>(alive_)](const std::error_code& ec) {
    if (ec || alive.expired()) return;
    store_.Run([report_id](Store& st) { return st.RecordEvent("drill.outage_end", report_id, json::object()); },
               [this, report_id, alive](Status s) {
                 if (alive.expired()) return;
                 // The replay goes ahead either way: the drill's end is a fact worth a log line too.
                 if (!s.ok()) spdlog::error("[drill] report {}: the outage's end not journaled: {}", report_id, s.ToString());
                 spdlog::info("[drill] report {}: the simulated loss of the site ends; replaying", report_id);
                 online_.Drain();
               });
  });
}

void DrillDesk::Release(const std::string& report_id) {
  engine_.SetDrillOutage(report_id, clock_.Now());
  online_.HoldUntil(report_id, std::chrono::steady_clock::now());
}

void DrillDesk::OnAccepted(const std::string& report_id) {
  store_.RunInBackground(
      "the end of the drill of report " + report_id, [report_id](Store& st) -> Status {
        auto all = st.Drills();
        if (!all.ok()) return all.status();
        for (const auto& d : *all) {
          if (d.report_id == report_id && d.ended_at.empty()) LIFELINE_RETURN_IF_ERROR(st.EndDrill(d.id));
        }
        return Status::Ok();
      });
}

void DrillDesk::Record(const DrillRow& drill, const std::string& actor, std::function<void(Status)> done) {
  store_.Run(
      [drill, actor](Store& st) {
        Store::ActorScope by(st, actor);
        return st.StartDrill(drill);
      },
      [drill, done = std::move(done)](Status s) {
        if (s.ok()) {
          spdlog::warn("[drill] \"{}\" started: report {}; the site is simulated lost until {}", drill.name,
                       drill.report_id, drill.outage_until);
        }
        done(s);
      });
}

void DrillDesk::List(std::function<void(Result<std::vector<DrillRow>>)> done) {
  auto drills = std::make_shared<std::vector<DrillRow>>();
  store_.Run(
      [drills](Store& st) {
        auto r = st.Drills();
        if (r.ok()) *drills = std::move(*r);
        return r.status();
      },
      [drills, done = std::move(done)](Status s) {
        if (!s.ok()) return done(s);
        done(std::move(*drills));
      });
}

void DrillDesk::Show(const std::string& id, std::function<void(Result<DrillView>)> done) {
  auto found = std::make_shared<DrillView>();
  store_.Run(
      [id, found](Store& st) -> Status {
        auto all = st.Drills();
        if (!all.ok()) return all.status();
        bool seen = false;
        for (const auto& d : *all) {
          if (d.id != id && d.report_id != id) continue;
          found->drill = d;
          seen = true;
        }
        if (!seen) return NotFound("no drill " + id);
        auto entries = ReadJournal(st.db(), found->drill.report_id);
        if (!entries.ok()) return entries.status();
        found->entries = std::move(*entries);
        auto revisions = st.GetReport(found->drill.report_id);
        if (revisions.ok() && !revisions->empty()) found->report_state = revisions->back().state;
        return Status::Ok();
      },
      [found, done = std::move(done)](Status s) {
        if (!s.ok()) return done(s);
        done(std::move(*found));
      });
}

}  // namespace lifeline
