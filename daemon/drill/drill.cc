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
        RestoreFaults(*drills);
      });
}

// The faults of drills still running, from the drill.faults entry each journaled when it began.
void DrillDesk::RestoreFaults(const std::vector<DrillRow>& drills) {
  auto running = std::make_shared<std::vector<DrillRow>>();
  for (const auto& d : drills) {
    if (d.ended_at.empty()) running->push_back(d);
  }
  if (running->empty()) return;
  auto found = std::make_shared<std::vector<std::pair<DrillRow, json>>>();
  store_.Run(
      [running, found](Store& st) -> Status {
        for (const auto& d : *running) {
          auto entries = ReadJournal(st.db(), d.report_id);
          if (!entries.ok()) return entries.status();
          for (const auto& e : *entries) {
            if (e.type != "drill.faults") continue;
            json p = json::parse(e.payload, nullptr, false);
            if (p.is_object() && p.contains("faults")) found->emplace_back(d, p["faults"]);
          }
        }
        return Status::Ok();
      },
      [this, found, alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired()) return;
        if (!s.ok()) return spdlog::error("[drill] the running drills' faults were not read: {}", s.ToString());
        for (const auto& [d, faults] : *found) {
          auto started = ParseRfc3339(d.started_at);
          if (started.ok()) SimulateFaults(d.report_id, faults, started->instant);
        }
      });
}

void DrillDesk::SimulateFaults(const std::string& report_id, const json& faults, WallTime started) {
  std::vector<DrillFault> out;
  for (const auto& f : faults.is_array() ? faults : json::array()) {
    if (!f.is_object()) continue;
    DrillFault d;
    d.channel = f.value("channel", "");
    d.from = started + std::chrono::seconds(f.value("start_seconds", int64_t{0}));
    d.until = d.from + std::chrono::seconds(f.value("duration_seconds", int64_t{0}));
    d.link_class = f.value("link_class", "");
    if (f.value("battery_minutes", 0) > 0) d.battery_runtime = std::chrono::minutes(f.value("battery_minutes", 0));
    d.summary = f.value("summary", "simulated for this drill");
    out.push_back(std::move(d));
  }
  engine_.SetDrillFaults(report_id, std::move(out));
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
  engine_.SetDrillFaults(report_id, {});
  online_.HoldUntil(report_id, std::chrono::steady_clock::now());
}

void DrillDesk::OnAccepted(const std::string& report_id) {
  engine_.SetDrillFaults(report_id, {});
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

void DrillDesk::Record(const DrillRow& drill, const json& faults, const std::string& actor,
                       std::function<void(Status)> done) {
  store_.Run(
      [drill, faults, actor](Store& st) -> Status {
        Store::ActorScope by(st, actor);
        LIFELINE_RETURN_IF_ERROR(st.StartDrill(drill));
        if (faults.is_array() && !faults.empty()) {
          return st.RecordEvent("drill.faults", drill.report_id, {{"faults", faults}});
        }
        return Status::Ok();
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
