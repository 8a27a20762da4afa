// The supervising agency's view end to end: real lifelined boxes publishing
// over TLS with their own certificates to a real mosquitto (client
// certificates required, CN as the user name, an ACL that lets a unit write
// only its own topics), and the real lifeline-fleet subscribing and keeping
// its SQLite view. Every wait is bounded and fails saying what it waited for;
// nothing asserts how long anything took.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "daemon/core/uuid.h"
#include "tests/support/command.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/mosquitto_harness.h"
#include "tests/support/report_factory.h"

namespace lifeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing_support::DaemonProcess;
using testing_support::HttpOverUnix;
using testing_support::MosquittoBroker;
using testing_support::RunCommand;

constexpr const char* kAgency = "kcg";
const std::string kFleetBin = LIFELINE_BINARY_DIR "/tools/fleet/lifeline-fleet";

// Waits up to `seconds` for `done`; false when it never held.
bool WaitFor(const std::function<bool()>& done, int seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

// Integers from a database another process writes (read-only, WAL).
std::vector<int64_t> Ints(const std::string& db, const std::string& sql) {
  std::vector<int64_t> out;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return out;
  }
  sqlite3_busy_timeout(h, 2000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) out.push_back(sqlite3_column_int64(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

bool Exec(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  bool ok = sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK &&
            sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(h);
  return ok;
}

class FleetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string((fs::path(::testing::TempDir()) / ("fleet-" + NewUuidV4().value())).string());
    fs::create_directories(*dir_);
    broker_ = new MosquittoBroker(*dir_ + "/broker",
                                  std::string("user fleet\ntopic read lifeline/") + kAgency + "/#\n" +
                                      "topic write lifeline/" + kAgency + "/+/replay\n\n" +
                                      "pattern write lifeline/" + kAgency + "/%u/#\n" +
                                      "pattern read lifeline/" + kAgency + "/%u/replay\n");
    certificates_made_ = broker_->MakeCertificates({"fleet", "u01", "u02", "u03"});
  }
  static void TearDownTestSuite() {
    delete broker_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(certificates_made_) << broker_->error();
    ASSERT_TRUE(broker_->Start()) << broker_->error();
    fleet_dir_ = *dir_ + "/fleet-" + NewUuidV4().value();
    fs::create_directories(fleet_dir_);
    WriteFleetConfig("fleet-" + NewUuidV4().value().substr(0, 8));
    StartFleet();
    // A box's messages before the view's first subscription have no session to
    // wait in; the view finds them missing and asks for them (see
    // AViewSubscribedAfterTheBoxPublishedGetsEverything).
    ASSERT_TRUE(WaitFor([&] { return FleetLog().find("fleet: subscribed") != std::string::npos; }, 10))
        << "lifeline-fleet never subscribed\n" << FleetLog() << "\n" << broker_->log();
  }
  // The view's configuration with its session's client id (a new one: a view
  // that never subscribed before).
  void WriteFleetConfig(const std::string& client_id) {
    const auto cert = broker_->Client("fleet");
    std::ofstream(fleet_dir_ + "/fleet.toml")
        << "[fleet]\nstore = \"" << fleet_dir_ << "/fleet.db\"\nagency = \"" << kAgency
        << "\"\nunits = [\"u01\", \"u02\", \"u03\", \"u09\"]\nsilent_after_seconds = 3\nmax_message_bytes = 4096\n"
        << "[broker]\nhost = \"localhost\"\nport = " << broker_->port() << "\nca_file = \"" << broker_->ca_file()
        << "\"\ncert_file = \"" << cert.cert << "\"\nkey_file = \"" << cert.key << "\"\nclient_id = \""
        << client_id << "\"\n"
        << "[hooks]\nprogram = \"" << fleet_dir_ << "/alert.sh\"\ntimeout_seconds = 5\n";
    // The agency's program: keeps each alert it is given, one file per run.
    std::ofstream(fleet_dir_ + "/alert.sh") << "#!/bin/sh\ncat > " << fleet_dir_ << "/alert-$1-$$.json\n";
    fs::permissions(fleet_dir_ + "/alert.sh", fs::perms::owner_all);
  }
  // The alerts the agency's program was given, by event.
  std::vector<json> AlertsGiven(const std::string& event) {
    std::vector<json> out;
    for (const auto& f : fs::directory_iterator(fleet_dir_)) {
      const std::string name = f.path().filename().string();
      if (name.rfind("alert-" + event + "-", 0) != 0) continue;
      std::ifstream in(f.path());
      json j = json::parse(in, nullptr, false);
      if (!j.is_discarded()) out.push_back(j);
    }
    return out;
  }
  void TearDown() override {
    StopFleet();
    for (auto& [unit, box] : boxes_) box.reset();
    boxes_.clear();
    broker_->Stop();
  }

  void StartFleet() {
    fleet_pid_ = fork();
    if (fleet_pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // a test that dies leaves no subscriber behind
      std::string log = fleet_dir_ + "/fleet.log";
      freopen(log.c_str(), "a", stdout);
      freopen(log.c_str(), "a", stderr);
      execl(kFleetBin.c_str(), kFleetBin.c_str(), "--config", (fleet_dir_ + "/fleet.toml").c_str(), "--log-level",
            "debug", "run", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  void StopFleet() {
    if (fleet_pid_ <= 0) return;
    kill(fleet_pid_, SIGTERM);
    int status = 0;
    waitpid(fleet_pid_, &status, 0);
    fleet_pid_ = -1;
  }
  bool FleetAlive() { return fleet_pid_ > 0 && waitpid(fleet_pid_, nullptr, WNOHANG) == 0; }
  std::string FleetLog() {
    std::ifstream in(fleet_dir_ + "/fleet.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string FleetDb() const { return fleet_dir_ + "/fleet.db"; }

  json Status() {
    auto r = RunCommand(kFleetBin + " --config " + fleet_dir_ + "/fleet.toml status --json");
    if (r.exit_code != 0) return json::object();
    json j = json::parse(r.output, nullptr, false);
    return j.is_object() ? j : json::object();
  }
  json ReportInView(const std::string& id) {
    for (const json& r : Status().value("reports", json::array())) {
      if (r.value("report_id", "") == id) return r;
    }
    return nullptr;
  }
  json UnitInView(const std::string& unit) {
    for (const json& u : Status().value("units", json::array())) {
      if (u.value("unit", "") == unit) return u;
    }
    return nullptr;
  }

  DaemonProcess& StartBox(const std::string& unit, const std::string& more = "") {
    const auto cert = broker_->Client(unit);
    std::string extra = more + "[fleet]\nenabled = true\nagency = \"" + std::string(kAgency) + "\"\nunit = \"" + unit +
                        "\"\nhost = \"localhost\"\nport = " + std::to_string(broker_->port()) + "\nca_file = \"" +
                        broker_->ca_file() + "\"\ncert_file = \"" + cert.cert + "\"\nkey_file = \"" + cert.key +
                        "\"\nheartbeat_seconds = 1\nreconnect_max_seconds = 1\nwindow = 8\n";
    auto& box = boxes_[unit];
    // Short: the socket's path must fit sun_path.
    const std::string state = *dir_ + "/box-" + unit + "-" + NewUuidV4().value().substr(0, 8);
    box = std::make_unique<DaemonProcess>(state, std::vector<std::string>{}, extra, "info");
    EXPECT_TRUE(box->Start()) << box->log();
    return *box;
  }
  std::string Submit(DaemonProcess& box) {
    json doc = testing_support::AwareNow(testing_support::NewDocument());
    auto r = HttpOverUnix(box.socket_path(), "POST", "/v1/reports", doc.dump());
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return doc["id"].get<std::string>();
  }
  static std::string BoxDb(const DaemonProcess& box) { return box.state_dir() + "/lifeline.db"; }

  static std::string* dir_;
  static MosquittoBroker* broker_;
  static bool certificates_made_;
  std::string fleet_dir_;
  int fleet_pid_ = -1;
  std::map<std::string, std::unique_ptr<DaemonProcess>> boxes_;
};

std::string* FleetTest::dir_ = nullptr;
MosquittoBroker* FleetTest::broker_ = nullptr;
bool FleetTest::certificates_made_ = false;

TEST_F(FleetTest, AUnitsReportAppearsInTheViewWithTheReviewDueFromReceiptAndIsReviewed) {
  // This box is on the agency's own machine: its console shows the fleet view too.
  DaemonProcess& box = StartBox("u01", "[console]\nlisten = \"127.0.0.1\"\nport = 0\nfleet_view = \"" + fleet_dir_ +
                                           "/fleet.toml\"\n");
  const std::string id = Submit(box);
  json r;
  ASSERT_TRUE(WaitFor([&] { return !(r = ReportInView(id)).is_null(); }, 15))
      << "report " << id << " never reached the fleet view\nfleet log:\n" << FleetLog() << "\nbox log:\n" << box.log()
      << "\nbroker log:\n" << broker_->log();
  EXPECT_EQ(r["unit"], "u01");
  EXPECT_EQ(r["level"], 3);
  EXPECT_EQ(r["category"], "intrusion");
  // The console's fleet page reads the same view (GET /v1/fleet), the review counting down.
  auto page = HttpOverUnix(box.socket_path(), "GET", "/v1/fleet", "");
  ASSERT_EQ(page.status, 200) << page.body.dump();
  EXPECT_EQ(page.body["agency"], kAgency);
  bool listed = false;
  for (const json& pr : page.body["reports"]) {
    if (pr.value("report_id", "") != id) continue;
    listed = true;
    EXPECT_EQ(pr["review_due"], r["review_due"]);
    EXPECT_EQ(pr.value("review", "").rfind("in ", 0), 0u) << pr.dump();
  }
  EXPECT_TRUE(listed) << page.body.dump();
  bool unit_listed = false;
  for (const json& u : page.body["units"]) unit_listed |= u.value("unit", "") == "u01" && !u.value("silent", true);
  EXPECT_TRUE(unit_listed) << page.body.dump();
  EXPECT_EQ(HttpOverUnix(box.socket_path(), "POST", "/v1/fleet", "{}").status, 405);
  auto received = ParseRfc3339(r["received_at"].get<std::string>());
  auto due = ParseRfc3339(r["review_due"].get<std::string>());
  ASSERT_TRUE(received.ok() && due.ok()) << r.dump();
  EXPECT_EQ(due->instant - received->instant, std::chrono::hours(2)) << "levels 3-4: 2 h from receipt";
  // The agency's review: refused without a reason, then recorded with the level changed.
  const std::string cli = kFleetBin + " --config " + fleet_dir_ + "/fleet.toml review u01 " + id;
  EXPECT_EQ(RunCommand(cli + " --level 4 --reason '' --by chen 2>&1").exit_code, 1);
  EXPECT_EQ(RunCommand(kFleetBin + " --config " + fleet_dir_ + "/fleet.toml review u01 no-such --keep --reason x --by chen 2>&1").exit_code, 1);
  auto done = RunCommand(cli + " --level 4 --reason '影響關鍵基礎設施核心業務' --by chen 2>&1");
  ASSERT_EQ(done.exit_code, 0) << done.output;
  r = ReportInView(id);
  EXPECT_EQ(r["reviewed_level"], 4);
  EXPECT_EQ(r["review"], "level changed to 4");
  EXPECT_FALSE(r.value("authority_notice_due", "").empty());
}

// The broker keeps a session's messages only once the session exists: what a
// box published before the view ever subscribed was dropped. The view sees
// from the box's heartbeat (heard_seq) that it lacks entries and asks for
// them on the box's replay topic; the box publishes its journal again from
// there, and the view takes each entry once.
TEST_F(FleetTest, AViewSubscribedAfterTheBoxPublishedGetsEverything) {
  StopFleet();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(FleetDb() + suffix);
  WriteFleetConfig("fleet-late-" + NewUuidV4().value().substr(0, 8));  // a session the broker never had
  DaemonProcess& box = StartBox("u01");
  std::vector<std::string> ids = {Submit(box), Submit(box)};
  // The broker acknowledged them (the box's cursor passed them) with no one to give them to.
  ASSERT_TRUE(WaitFor([&] {
    auto cursor = Ints(BoxDb(box), "SELECT acked_seq FROM fleet_cursor");
    auto top = Ints(BoxDb(box), "SELECT MAX(seq) FROM journal WHERE type = 'report.received'");
    return !cursor.empty() && !top.empty() && cursor[0] >= top[0];
  }, 20)) << "the box never published its reports\n" << box.log();
  StartFleet();
  for (const std::string& id : ids) {
    ASSERT_TRUE(WaitFor([&] { return !ReportInView(id).is_null(); }, 30))
        << "report " << id << " published before the view subscribed never reached it\n" << FleetLog() << "\n"
        << box.log();
  }
  EXPECT_NE(box.log().find("asked for entries from 1"), std::string::npos) << box.log();
  const json unit = UnitInView("u01");
  EXPECT_GE(unit.value("heard_through", int64_t{0}), unit.value("last_seq", int64_t{-1}))
      << "the view holds every entry through the last it saw: " << unit.dump();
  EXPECT_EQ(Ints(FleetDb(), "SELECT count(*) FROM reports WHERE unit = 'u01'"), std::vector<int64_t>{2});
  // The request is on the view's record.
  bool recorded = false;
  for (const json& a : Status().value("alerts", json::array())) {
    recorded |= a.value("event", "") == "replay_asked" && a["detail"].value("unit", "") == "u01" &&
                a["detail"].value("from_seq", 0) == 1;
  }
  EXPECT_TRUE(recorded) << Status().dump(2);
}

TEST_F(FleetTest, TheBrokerStoppedAndRestartedLosesAndRepeatsNothing) {
  DaemonProcess& box = StartBox("u02");
  std::set<std::string> ids = {Submit(box)};
  ASSERT_TRUE(WaitFor([&] { return !ReportInView(*ids.begin()).is_null(); }, 15)) << FleetLog();
  broker_->Stop();
  // The box's own work does not wait for the broker.
  for (int i = 0; i < 3; ++i) ids.insert(Submit(box));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // an outage, not a blink
  ASSERT_TRUE(broker_->Start()) << broker_->error();
  for (const std::string& id : ids) {
    ASSERT_TRUE(WaitFor([&] { return !ReportInView(id).is_null(); }, 20))
        << "report " << id << " lost across the broker's restart\n" << FleetLog() << "\n" << box.log();
  }
  // Every entry the box published, through its cursor, is in the view once.
  std::vector<int64_t> cursor;
  ASSERT_TRUE(WaitFor([&] {
    cursor = Ints(BoxDb(box), "SELECT acked_seq FROM fleet_cursor");
    auto top = Ints(BoxDb(box), "SELECT MAX(seq) FROM journal WHERE type = 'report.received'");
    return !cursor.empty() && !top.empty() && cursor[0] >= top[0];
  }, 20)) << "the box's cursor never passed its last report";
  const std::string routed =
      "SELECT seq FROM journal WHERE seq <= " + std::to_string(cursor[0]) +
      " AND type IN ('report.received','report.revision_added','report.state','report.site_receipt',"
      "'report.stage_receipt','report.signoff','notification.required','notification.state',"
      "'notification.deadline_missed','attempt.end','power.change','link.outage','link.recovered','channel.health',"
      "'supervisor.link','contact.down','contact.restored','daemon.started','daemon.stopped','drill.start','drill.end')"
      " ORDER BY seq";
  const std::vector<int64_t> sent = Ints(BoxDb(box), routed);
  ASSERT_FALSE(sent.empty());
  std::vector<int64_t> seen;
  ASSERT_TRUE(WaitFor([&] {
    seen = Ints(FleetDb(), "SELECT seq FROM messages WHERE unit = 'u02' AND seq <= " + std::to_string(cursor[0]) +
                               " ORDER BY seq");
    return seen.size() >= sent.size();
  }, 10)) << "the view has " << seen.size() << " of the box's " << sent.size() << " entries";
  RecordProperty("entries_compared", static_cast<int>(sent.size()));
  EXPECT_EQ(seen, sent) << "each published entry exactly once, none invented";
  EXPECT_EQ(Ints(FleetDb(), "SELECT count(*) FROM reports WHERE unit = 'u02'"), std::vector<int64_t>{4});

  // Now every one of them again: the box killed, its cursor put back to the
  // start, restarted. The view drops each repeat; no receipt time (the
  // agency's review clock) moves.
  const json before = Status()["reports"];
  box.Kill(SIGKILL);
  ASSERT_TRUE(Exec(BoxDb(box), "UPDATE fleet_cursor SET acked_seq = 0"));
  ASSERT_TRUE(box.Start()) << box.log();
  ASSERT_TRUE(WaitFor([&] {
    auto again = Ints(BoxDb(box), "SELECT acked_seq FROM fleet_cursor");
    return !again.empty() && again[0] >= cursor[0];
  }, 20)) << "the restarted box never published its journal again";
  EXPECT_NE(FleetLog().find("u02 seq " + std::to_string(sent.front()) + " again, dropped"), std::string::npos)
      << "the repeat of entry " << sent.front() << " never reached the view\n" << FleetLog();
  seen = Ints(FleetDb(), "SELECT seq FROM messages WHERE unit = 'u02' AND seq <= " + std::to_string(cursor[0]) +
                             " ORDER BY seq");
  EXPECT_EQ(seen, sent);
  const json after = Status()["reports"];
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i]["received_at"], before[i]["received_at"]) << before[i]["report_id"];
    EXPECT_EQ(after[i]["review_due"], before[i]["review_due"]) << before[i]["report_id"];
  }
}

TEST_F(FleetTest, AUnitPublishingToAnotherUnitsTopicIsRefusedAndBadMessagesChangeNothing) {
  const auto u01 = broker_->Client("u01");
  const std::string pub = "mosquitto_pub -h localhost -p " + std::to_string(broker_->port()) + " --cafile " +
                          broker_->ca_file() + " --cert " + u01.cert + " --key " + u01.key + " -q 1 -i forger-" +
                          NewUuidV4().value().substr(0, 8);
  json forged = {{"schema", "lifeline.fleet/1"}, {"agency", kAgency}, {"unit", "u03"}, {"kind", "report"},
                 {"at", "2026-11-21T01:58:00.000000Z"}, {"seq", 999999}, {"type", "report.received"},
                 {"report_id", "forged"}, {"level", 4},
                 {"detail", {{"revision", 1}, {"level", 4}, {"aware_at", "2026-11-21T09:58:00+08:00"}}}};
  std::ofstream(fleet_dir_ + "/forged.json") << forged.dump();
  auto sent = RunCommand(pub + " -t lifeline/" + kAgency + "/u03/report/forged -f " + fleet_dir_ + "/forged.json 2>&1");
  ASSERT_EQ(sent.exit_code, 0) << sent.output;  // MQTT 3.1.1: the broker acknowledges and drops it
  // Bad messages on u01's own topics, which the broker lets through: each refused by the view.
  std::ofstream(fleet_dir_ + "/big.json") << std::string(5000, 'x');
  std::ofstream(fleet_dir_ + "/latin1.json") << "{\"schema\":\"\xe9t\xe9\"}";
  json wrong = forged;
  wrong["unit"] = "u01";
  wrong["seq"] = "1";
  std::ofstream(fleet_dir_ + "/wrong.json") << wrong.dump();
  const std::string own = " -t lifeline/" + std::string(kAgency) + "/u01/report/forged";
  for (const std::string& arg : {own + " -m 'not json'", own + " -f " + fleet_dir_ + "/big.json",
                                 own + " -f " + fleet_dir_ + "/latin1.json", own + " -f " + fleet_dir_ + "/wrong.json"}) {
    auto r = RunCommand(pub + arg + " 2>&1");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  int64_t refused = 0;
  ASSERT_TRUE(WaitFor([&] {
    refused = 0;
    const json rejected = Status().value("rejected", json::object());
    for (const auto& [reason, count] : rejected.items()) refused += count.get<int64_t>();
    return refused >= 4;
  }, 15)) << "the view counted " << refused << " of 4 bad messages\n" << FleetLog();
  EXPECT_TRUE(FleetAlive()) << FleetLog();
  EXPECT_TRUE(ReportInView("forged").is_null()) << "the forged report is in the view";
  EXPECT_TRUE(Ints(FleetDb(), "SELECT count(*) FROM messages") == std::vector<int64_t>{0}) << "no bad message taken";
  EXPECT_NE(broker_->log().find("Denied PUBLISH from forger-"), std::string::npos) << broker_->log();
}

// A box whose fleet settings cannot work (its key file gone) still does its
// own job, and says why it publishes nothing.
TEST_F(FleetTest, ABoxWithoutItsFleetFilesStillTakesReports) {
  DaemonProcess box(*dir_ + "/nokey-" + NewUuidV4().value().substr(0, 8), {},
                    "[fleet]\nenabled = true\nagency = \"kcg\"\nunit = \"u01\"\nhost = \"localhost\"\nport = " +
                        std::to_string(broker_->port()) + "\nca_file = \"" + broker_->ca_file() +
                        "\"\ncert_file = \"/nonexistent/u01.crt\"\nkey_file = \"/nonexistent/u01.key\"\n",
                    "info");
  ASSERT_TRUE(box.Start()) << box.log();
  Submit(box);
  EXPECT_TRUE(WaitFor([&] {
    return Ints(BoxDb(box), "SELECT count(*) FROM journal WHERE type = 'fleet.unavailable'") == std::vector<int64_t>{1};
  }, 10)) << box.log();
  EXPECT_NE(box.log().find("fleet: not publishing"), std::string::npos) << box.log();
  auto page = HttpOverUnix(box.socket_path(), "GET", "/v1/fleet", "");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, json({{"fleet_view", false}})) << "a box that is not the agency's shows no fleet";
}

TEST_F(FleetTest, ASilentBoxIsFlagged) {
  ASSERT_TRUE(WaitFor([&] { return UnitInView("u09").value("silent", false); }, 10))
      << "an expected unit never heard is silent";
  DaemonProcess& box = StartBox("u03");
  ASSERT_TRUE(WaitFor([&] {
    json u = UnitInView("u03");
    return !u.is_null() && !u.value("last_seen", "").empty() && !u.value("silent", true);
  }, 15)) << "u03 never heard\n" << FleetLog() << "\n" << box.log();
  box.Kill(SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return UnitInView("u03").value("silent", false); }, 15))
      << "u03 not flagged after going quiet";
  ASSERT_TRUE(WaitFor([&] { return FleetLog().find("unit u03 silent for more than 3 s (last heard 2") != std::string::npos; }, 5))
      << "the subscriber did not log u03 going silent after it was heard\n" << FleetLog();
  // The agency's program was given the alarm, once, and its outcome is kept.
  std::vector<json> given;
  ASSERT_TRUE(WaitFor([&] {
    given = AlertsGiven("unit_silent");
    return std::any_of(given.begin(), given.end(), [](const json& a) { return a.value("unit", "") == "u03"; });
  }, 10)) << "the alert program never heard of u03's silence\n" << FleetLog();
  int for_u03 = 0;
  for (const json& a : given) for_u03 += a.value("unit", "") == "u03";
  EXPECT_EQ(for_u03, 1) << "raised once";
  bool outcome_kept = false;
  ASSERT_TRUE(WaitFor([&] {
    for (const json& a : Status().value("alerts", json::array())) {
      if (a.value("event", "") == "unit_silent" && a["detail"].value("unit", "") == "u03" && a.value("outcome", "") == "ok") {
        outcome_kept = true;
      }
    }
    return outcome_kept;
  }, 10)) << Status().dump(2);
}

}  // namespace
}  // namespace lifeline
