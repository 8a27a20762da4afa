#include "tests/integration/escalation/story.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon/core/time_format.h"
#include "daemon/journal/journal.h"
#include "daemon/store/sqlite.h"
#include "tests/support/report_factory.h"

namespace lifeline::story {
namespace {

using nlohmann::json;

// Real and drill recipients whose numbers reach modem-sim and fax-line. The
// national centre has no SMS, as in the real directory: its notice goes by fax.
std::string RecipientsToml() {
  auto entry = [](const char* table, const char* key, const char* role, const std::string& channels) {
    return std::string("[[") + table + "]]\nkey = \"" + key + "\"\nrole = \"" + role + "\"\nname = \"" + key +
           " (test)\"\nsource = \"test directory\"\nverified = \"2026-11-01\"\nchannels = [\n" + channels + "]\n\n";
  };
  std::string s;
  s += entry("recipient", "superior", "superior_agency",
             std::string("  { kind = \"sms\", address = \"") + kSuperiorSms + "\" },\n  { kind = \"fax\", address = \"" +
                 kSuperiorFax + "\" },\n  { kind = \"phone\", address = \"07-5550101\" },\n");
  s += entry("recipient", "national_centre", "national_centre",
             std::string("  { kind = \"fax\", address = \"") + kCentreFax +
                 "\" },\n  { kind = \"phone\", address = \"02-5550201\" },\n");
  s += entry("drill_recipient", "superior", "superior_agency",
             std::string("  { kind = \"sms\", address = \"") + kDrillSuperiorSms +
                 "\" },\n  { kind = \"phone\", address = \"07-5550901\" },\n");
  s += entry("drill_recipient", "national_centre", "national_centre",
             std::string("  { kind = \"fax\", address = \"") + kDrillCentreFax +
                 "\" },\n  { kind = \"phone\", address = \"02-5550902\" },\n");
  return s;
}

}  // namespace

Story::Story(const std::string& name) {
  dir_ = (std::filesystem::path(::testing::TempDir()) / (name + "-" + NewUuidV4().value().substr(0, 8))).string();
  std::filesystem::create_directories(dir_ + "/site");
  std::filesystem::create_directories(dir_ + "/modem");
  std::filesystem::create_directories(dir_ + "/fax");
}

Story::~Story() {
  daemon_.reset();
  fax_.reset();
  modem_.reset();
  site_.reset();
  if (!keep_dir && !::testing::Test::HasFailure()) std::filesystem::remove_all(dir_);
}

bool Story::Start(const std::string& extra_config, testing_support::NetnsPair* net) {
  using Side = testing_support::NetnsPair::Side;
  testing_support::SiteSimOptions where;
  if (net) where = {net->address(Side::kB), net->Wrapper(Side::kB)};
  site_ = std::make_unique<testing_support::SiteSim>(dir_ + "/site", where);
  if (!site_->Start()) return false;
  auto modem = sms::testing::SimProcess::Start(dir_ + "/modem", {"--report", "delivered"});
  if (!modem.ok()) return false;
  modem_ = std::move(*modem);
  fax_ = std::make_unique<testing::FaxLineProcess>(dir_ + "/fax");
  if (!fax_->Start(fax_line_args)) return false;
  std::ofstream(dir_ + "/recipients.toml") << RecipientsToml();
  std::string config = "[rules]\ntime_scale = " + std::to_string(time_scale) + "\n" + site_->DaemonConfig() +
                       "[escalation]\nrecipients_file = \"" + dir_ + "/recipients.toml\"\ntick_ms = 200\n" +
                       "[sms]\ndevice = \"" + modem_->link() + "\"\nretry_delay_ms = 500\n" +
                       "[fax]\ndevice = \"" + fax_->modem() + "\"\nmax_attempts = 3\nbusy_retry_seconds = 2\n" +
                       "[agency]\nname = \"測試機關\"\ncontact_phone = \"07-5550000\"\n" +
                       // The contact watch's dial-tone check would show as a call on fax-line's log
                       // (tests/integration/appliance covers it).
                       "[watch]\nenabled = false\n" + extra_config;
  std::vector<std::string> wrapper = net ? net->Wrapper(Side::kA) : std::vector<std::string>{};
  wrapper.insert(wrapper.end(), daemon_wrapper.begin(), daemon_wrapper.end());
  daemon_ = std::make_unique<testing_support::DaemonProcess>(dir_ + "/state", wrapper, config, daemon_log_level);
  return daemon_->Start();
}

bool Story::RestartDaemon() { return daemon_->Start(); }

void Story::KillDaemon(int signal) { daemon_->Kill(signal); }

bool Story::StopDaemonCleanly() { return daemon_->Kill(SIGTERM) == 0; }

std::string Story::FileReport(int availability_level, bool drill) {
  json doc = testing_support::NewDocument();
  auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  std::string stamp = FormatRfc3339(WithOffset(now, 8 * 60));
  doc["aware_at"] = doc["filed_at"] = doc["discovered_at"] = stamp;
  doc["impact"] = {{"confidentiality", "none"}, {"integrity", "none"}, {"availability", availability_level}};
  doc["drill"] = drill;
  auto reply = testing_support::HttpOverUnix(daemon_->socket_path(), "POST", "/v1/reports", doc.dump());
  return reply.status == 201 ? doc["id"].get<std::string>() : "";
}

// Queries here read at most this many columns; the rest come back empty.
constexpr int kColumns = 8;

std::vector<json> Story::Query(const std::string& sql_text, const std::string& arg) const {
  std::vector<json> rows;
  auto db = sql::Db::Open(dir_ + "/state/lifeline.db", {true, ""});
  if (!db.ok()) return rows;
  auto st = (*db)->Prepare(sql_text);
  if (!st.ok()) return rows;
  if (!arg.empty()) st->Bind(1, arg);
  for (;;) {
    auto row = st->Step();
    if (!row.ok() || !*row) break;
    json r = json::array();
    for (int i = 0; i < kColumns; ++i) r.push_back(st->IsNull(i) ? "" : st->Text(i));
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string Story::ReportState(const std::string& id) const {
  auto rows = Query("SELECT state FROM reports WHERE report_id = ? ORDER BY revision DESC LIMIT 1", id);
  return rows.empty() ? "" : rows[0][0].get<std::string>();
}

std::map<std::string, std::string> Story::NotificationStates(const std::string& id) const {
  std::map<std::string, std::string> out;
  auto rows = Query(
      "SELECT recipient, state FROM notifications WHERE report_id = ?1 AND revision ="
      " (SELECT MAX(revision) FROM reports WHERE report_id = ?1)",
      id);
  for (const auto& r : rows) out[r[0].get<std::string>()] = r[1].get<std::string>();
  return out;
}

int64_t Story::JournalCount(const std::string& type, const std::string& report_id) const {
  auto rows = report_id.empty()
                  ? Query("SELECT COUNT(*) FROM journal WHERE type = '" + type + "'")
                  : Query("SELECT COUNT(*) FROM journal WHERE type = '" + type + "' AND report_id = ?", report_id);
  return rows.empty() ? -1 : std::stoll(rows[0][0].get<std::string>());
}

std::vector<json> Story::SiteRecords(const std::string& id) const {
  std::vector<json> out;
  auto db = sql::Db::Open(dir_ + "/site/ledger.sqlite", {true, ""});
  if (!db.ok()) return out;
  auto st = (*db)->Prepare("SELECT kind, request FROM records WHERE report_id = ?");
  if (!st.ok()) return out;
  st->Bind(1, id);
  for (;;) {
    auto row = st->Step();
    if (!row.ok() || !*row) break;
    out.push_back({{"kind", st->Text(0)}, {"request", json::parse(st->Text(1), nullptr, false)}});
  }
  return out;
}

bool Story::JournalVerifies() const {
  auto db = sql::Db::Open(dir_ + "/state/lifeline.db", {true, ""});
  auto key = JournalKey::Load(dir_ + "/state/journal.key");
  if (!db.ok() || !key.ok()) return false;
  return VerifyJournal(**db, *key).ok;
}

bool Story::WaitFor(const std::function<bool()>& done, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return done();
}

std::string Story::Log() const { return daemon_ ? daemon_->log() : ""; }

bool BothConfirmed(const Story& s, const std::string& id) {
  auto n = s.NotificationStates(id);
  return n["superior"] == "confirmed" && n["national_centre"] == "confirmed";
}

void ExpectConfirmedBeforeDeadline(const Story& s, const std::string& id) {
  auto rows = s.Query("SELECT due_at, recipient FROM notifications WHERE report_id = ?", id);
  ASSERT_FALSE(rows.empty());
  for (const auto& r : rows) {
    auto due = ParseRfc3339(r[0].get<std::string>());
    ASSERT_TRUE(due.ok());
    auto confirmed = s.Query(
        "SELECT j.wall_time FROM journal j WHERE j.type = 'notification.state' AND j.report_id = ?"
        " AND json_extract(j.payload, '$.to') = 'confirmed' AND json_extract(j.payload, '$.notification') ="
        " (SELECT id FROM notifications WHERE report_id = j.report_id AND recipient = '" +
            r[1].get<std::string>() + "')",
        id);
    ASSERT_EQ(confirmed.size(), 1u) << r[1];
    auto at = ParseRfc3339(confirmed[0][0].get<std::string>());
    ASSERT_TRUE(at.ok());
    EXPECT_LT(at->instant, due->instant) << r[1] << " confirmed after its deadline";
  }
}

json ExpectOneLateRecord(const Story& s, const std::string& id) {
  auto records = s.SiteRecords(id);
  EXPECT_EQ(records.size(), 1u) << "exactly one site record per report revision";
  if (records.size() != 1) return json();
  EXPECT_EQ(records[0]["kind"], "late");
  json fallback = records[0]["request"].value("fallback", json::object());
  bool sms_to_superior = false, fax_to_centre = false;
  for (const auto& n : fallback.value("notifications", json::array())) {
    std::string who = n.value("recipient", ""), outcome = n.value("outcome", "");
    if (outcome.rfind("confirmed", 0) != 0) continue;
    if (n["channel"] == "sms" && who.find("superior") == 0) sms_to_superior = true;
    if (n["channel"] == "fax" && who.find("national_centre") == 0) fax_to_centre = true;
  }
  EXPECT_TRUE(sms_to_superior) << fallback.dump(1);
  EXPECT_TRUE(fax_to_centre) << fallback.dump(1);
  EXPECT_FALSE(fallback.value("reason", "").empty());
  // The record says whether the receipt still came within the report's hour.
  auto report = testing_support::HttpOverUnix(s.daemon().socket_path(), "GET", "/v1/reports/" + id, "");
  auto record = testing_support::HttpOverUnix(s.daemon().socket_path(), "GET", "/v1/reports/" + id + "/record", "");
  EXPECT_EQ(report.status, 200);
  EXPECT_EQ(record.status, 200);
  if (report.status == 200 && record.status == 200) {
    const json rev = record.body["revisions"].back();
    std::optional<WallTime> hour;
    for (const auto& d : report.body["revisions"].back()["schedule"]["deadlines"]) {
      if (d.value("key", "") == "notify_by") hour = ParseRfc3339(d.value("at", ""))->instant;
    }
    auto receipt_at = ParseRfc3339(rev.value("site_receipt_at", ""));
    EXPECT_TRUE(hour && receipt_at.ok()) << rev.dump();
    if (hour && receipt_at.ok()) {
      EXPECT_EQ(rev.value("site_in_time", !(receipt_at->instant <= *hour)), receipt_at->instant <= *hour) << rev.dump();
    }
  }
  return fallback;
}

}  // namespace lifeline::story
