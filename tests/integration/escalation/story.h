// The whole outage story on real parts, for the end-to-end tests: site-sim
// (HTTPS), modem-sim (a pty speaking AT, with status reports), fax-line
// (spandsp's T.31 modem and a fax receiver, paced 8x real time) and lifelined
// on a 60-second "hour" (rules.time_scale = 60) with a recipients file whose
// numbers lead to the simulators. The test reads lifelined's database and the
// site's ledger read-only to check what happened. Every wait is bounded.
// Optionally lifelined and site-sim run in the two sides of a NetnsPair, so a
// test can cut the real link between them; the ptys stay on the shared
// filesystem. Not thread-safe; one test owns a Story.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/fax/fax_line_process.h"
#include "tests/integration/sms/sim_process.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/netns.h"
#include "tests/support/site_sim_harness.h"

namespace lifeline::story {

// The numbers the test recipients file gives each recipient.
inline constexpr const char* kSuperiorSms = "+886912000101";
inline constexpr const char* kSuperiorFax = "5550101";
inline constexpr const char* kCentreFax = "5550201";
inline constexpr const char* kDrillSuperiorSms = "+886912000901";
inline constexpr const char* kDrillCentreFax = "5550902";

class Story {
 public:
  explicit Story(const std::string& name);
  ~Story();

  // Starts the simulators and lifelined. `extra_config` is appended to the
  // daemon's configuration (e.g. a [power] section). With `net` (borrowed; it
  // must outlive the Story, which stops its processes before the namespaces go)
  // site-sim runs in side B on its veth address and lifelined in side A, so the
  // veth is the only path between them. modem-sim and fax-line stay where the
  // test runs: lifelined opens their ptys by path, which no network namespace
  // hides.
  bool Start(const std::string& extra_config = "", testing_support::NetnsPair* net = nullptr);
  // fax-line's arguments, for a test to set before Start (an odd identity, say).
  std::vector<std::string> fax_line_args = {"--speed=8"};
  // Put before lifelined's command line (an `env` that preloads libfaketime, say).
  std::vector<std::string> daemon_wrapper;
  // Keep the folder (the daemon's store and log, the simulators' logs) after the
  // Story ends, as a failed test does.
  bool keep_dir = false;
  std::string daemon_log_level = "warn";  // lifelined's [daemon] log_level
  // rules.time_scale: the legal hour lasts 3600 / time_scale seconds.
  int time_scale = 60;
  bool RestartDaemon();  // after Kill
  void KillDaemon(int signal);
  // SIGTERM, as systemd stops it: true when lifelined exits with status 0.
  bool StopDaemonCleanly();

  // Files a new report, aware now, through the API; returns its id ("" on failure).
  std::string FileReport(int availability_level, bool drill = false);

  // Reads lifelined's database (read-only, while it runs).
  std::vector<nlohmann::json> Query(const std::string& sql, const std::string& arg = "") const;
  std::string ReportState(const std::string& id) const;
  // recipient -> notification state, for the report's latest revision.
  std::map<std::string, std::string> NotificationStates(const std::string& id) const;
  int64_t JournalCount(const std::string& type, const std::string& report_id = "") const;
  // The site's ledger rows for a report: {kind, request (parsed)}.
  std::vector<nlohmann::json> SiteRecords(const std::string& id) const;
  bool JournalVerifies() const;

  // Polls `done` every 200 ms for at most `seconds`.
  static bool WaitFor(const std::function<bool()>& done, int seconds);

  testing_support::SiteSim& site() { return *site_; }
  sms::testing::SimProcess& modem() { return *modem_; }
  testing::FaxLineProcess& fax() { return *fax_; }
  testing_support::DaemonProcess& daemon() { return *daemon_; }
  const testing_support::DaemonProcess& daemon() const { return *daemon_; }
  const std::string& dir() const { return dir_; }
  std::string Log() const;  // the daemon's output, for failure messages

 private:
  std::string dir_, config_;
  std::unique_ptr<testing_support::SiteSim> site_;
  std::unique_ptr<sms::testing::SimProcess> modem_;
  std::unique_ptr<testing::FaxLineProcess> fax_;
  std::unique_ptr<testing_support::DaemonProcess> daemon_;
};

// Checks shared by the stories. Both recipients of the report's latest revision confirmed.
bool BothConfirmed(const Story& s, const std::string& id);
// Each notification confirmed once, before the deadline it was due by.
void ExpectConfirmedBeforeDeadline(const Story& s, const std::string& id);
// Exactly one site record, a late submission whose evidence names both
// recipients' confirmed channels and the reason; returns its fallback evidence.
nlohmann::json ExpectOneLateRecord(const Story& s, const std::string& id);

}  // namespace lifeline::story
