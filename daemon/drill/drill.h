// Drills: a scenario files a report marked DRILL and simulates the loss of the
// national site for that report inside lifelined (the host's network is not
// touched): the report is held back from the site, the escalation engine sees
// an outage (of the scenario's kind, on battery while it says mains are lost,
// with its SMS or fax attempts failing while it says so) and notifies drill
// recipients only (the directory's separate set), and when the simulated
// outage ends the report is replayed as a late submission (補行通報) carrying
// its fallback evidence. Every step is in the
// journal under the report's id, so the drill's timeline can be printed.
//
// The desk knows no API: the API layer (daemon/intake) files the drill's
// report and calls Hold/Record/List/Show. io_context thread only.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/escalation/engine.h"
#include "daemon/journal/journal.h"
#include "daemon/online/online.h"
#include "daemon/store/store.h"

namespace lifeline {

// A drill with its report's journal, for its timeline.
struct DrillView {
  DrillRow drill;
  std::vector<JournalEntry> entries;
  std::string report_state;
};

class DrillDesk {
 public:
  DrillDesk(asio::io_context& io, AsyncStore& store, const Clock& clock, EscalationEngine& engine,
            OnlinePath& online);
  ~DrillDesk();
  // Restores drills still inside their simulated outage.
  void Start();
  // The report is held back from the site and the engine sees the site lost,
  // until `until`; then the replay sends it as a late submission. Called
  // before the report is stored: a stored report goes to the site at once.
  void Hold(const std::string& report_id, WallTime until);
  // The drill's other faults (DeskPlan::faults, seconds from `started`) for its
  // report, handed to the escalation engine; [] = none.
  void SimulateFaults(const std::string& report_id, const nlohmann::json& faults, WallTime started);
  // Undoes Hold for a report that was not stored after all.
  void Release(const std::string& report_id);
  // Records a drill whose report is stored, and the faults it simulates (so a
  // restart simulates them again); `actor` started it.
  void Record(const DrillRow& drill, const nlohmann::json& faults, const std::string& actor,
              std::function<void(Status)> done);
  void List(std::function<void(Result<std::vector<DrillRow>>)> done);
  // By drill id or report id; NotFound when neither.
  void Show(const std::string& id, std::function<void(Result<DrillView>)> done);
  // The site accepted a report: the drill it belongs to is over.
  void OnAccepted(const std::string& report_id);

 private:
  void RestoreFaults(const std::vector<DrillRow>& drills);
  asio::io_context& io_;
  AsyncStore& store_;
  const Clock& clock_;
  EscalationEngine& engine_;
  OnlinePath& online_;
  std::list<asio::steady_timer> timers_;  // one per simulated outage
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// One readable line per journal entry, with its time since `origin`:
// "+00:21  10:05:12  escalated: ...". Used by the drill timeline and the demo.
std::string TimelineLine(const JournalEntry& entry, WallTime origin, int offset_minutes);

}  // namespace lifeline
