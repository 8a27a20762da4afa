// Drills: a scenario files a report marked DRILL and simulates the loss of the
// national site for that report inside lifelined (the host's network is not
// touched): the report is held back from the site, the escalation engine sees
// an outage and notifies drill recipients only (the directory's separate
// set), and when the simulated outage ends the report is replayed as a late
// submission (補行通報) carrying its fallback evidence. Every step is in the
// journal under the report's id, so the drill's timeline can be printed.
//
// API (proto/console-api.yaml): POST /v1/drills {name, scenario,
// outage_seconds, report}; GET /v1/drills; GET /v1/drills/{id} with the
// timeline. io_context thread only.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <list>
#include <memory>
#include <string>

#include "daemon/core/clock.h"
#include "daemon/escalation/engine.h"
#include "daemon/intake/intake.h"
#include "daemon/journal/journal.h"
#include "daemon/online/online.h"
#include "daemon/store/store.h"

namespace lifeline {

class DrillDesk {
 public:
  DrillDesk(asio::io_context& io, AsyncStore& store, const Clock& clock, IntakeApi& api, EscalationEngine& engine,
            OnlinePath& online);
  ~DrillDesk();
  // Registers /v1/drills and restores drills still inside their simulated outage.
  void Start();
  // The site accepted a report: the drill it belongs to is over.
  void OnAccepted(const std::string& report_id);

 private:
  void Handle(const http::Request& req, const std::vector<std::string>& path, IntakeApi::Reply reply);
  void Begin(const http::Request& req, IntakeApi::Reply reply);
  void Show(const std::string& id, IntakeApi::Reply reply);
  void List(IntakeApi::Reply reply);
  void Hold(const std::string& report_id, WallTime until);
  void Release(const std::string& report_id);

  asio::io_context& io_;
  AsyncStore& store_;
  const Clock& clock_;
  IntakeApi& api_;
  EscalationEngine& engine_;
  OnlinePath& online_;
  std::list<asio::steady_timer> timers_;  // one per simulated outage
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// One readable line per journal entry, with its time since `origin`:
// "+00:21  10:05:12  escalated: ...". Used by the drill timeline and the demo.
std::string TimelineLine(const JournalEntry& entry, WallTime origin, int offset_minutes);

}  // namespace lifeline
