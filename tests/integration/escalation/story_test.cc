// The outage story end to end, on a 60-second "hour", against site-sim,
// modem-sim and fax-line: the site is lost, lifelined escalates with the
// reason, the superior agency is confirmed by SMS status report and the
// national centre by fax MCF before the deadline, a phone task is confirmed by
// an operator, and once the site is back the report is re-submitted late
// (補行通報) with its fallback evidence, exactly once. Variants: kill -9 of
// lifelined mid-escalation, a power outage reported by upsd/dummy-ups, and a
// drill that may only reach drill recipients. Each runs as its own ctest
// (--gtest_filter) so they run in parallel.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "daemon/core/time_format.h"
#include "tests/integration/escalation/story.h"
#include "tests/integration/power/nut_processes.h"
#include "tests/support/command.h"
#include "tests/support/report_factory.h"
#include "tests/support/skip.h"

namespace lifeline::story {
namespace {

using nlohmann::json;
using testing_support::HttpOverUnix;

TEST(StoryTest, NetworkCutNotifiesBothThenReplaysLate) {
  Story s("story-network");
  // The national centre's fax machine answers with an identity that is not
  // text (invalid UTF-8 and a control byte): its confirmation must still be
  // stored and journaled, and lifelined must live on (it once aborted here).
  s.fax_line_args.push_back("--csi-hex=2b383836ff1b3232c3");
  ASSERT_TRUE(s.Start()) << s.Log();
  ASSERT_TRUE(s.site().SetFaults({{"refuse", true}}));
  std::string id = s.FileReport(3);  // level 3: the superior agency is also phoned
  ASSERT_FALSE(id.empty()) << s.Log();

  ASSERT_TRUE(Story::WaitFor([&] { return BothConfirmed(s, id); }, 150)) << s.Log();
  EXPECT_EQ(s.ReportState(id), "fallback");
  ExpectConfirmedBeforeDeadline(s, id);
  EXPECT_EQ(s.site().Count(id), 0);
  // One store: the SMS parts are in lifeline.db, no ledger file of their own.
  EXPECT_FALSE(std::filesystem::exists(s.dir() + "/state/sms-ledger.sqlite"));
  bool odd_identity_kept = false;
  for (const auto& row : s.Query("SELECT evidence FROM attempts WHERE channel = 'fax' AND outcome = 'confirmed'")) {
    const std::string evidence = row.dump();
    odd_identity_kept |= evidence.find("2b383836ff1b3232c3") != std::string::npos;
  }
  EXPECT_TRUE(odd_identity_kept) << "the raw identity bytes are kept as evidence";

  // The level-3 phone task: an operator confirms it; bad input changes nothing.
  auto tasks = HttpOverUnix(s.daemon().socket_path(), "GET", "/v1/phone-tasks", "");
  ASSERT_EQ(tasks.status, 200);
  json superior_task;
  for (const auto& t : tasks.body["tasks"]) {
    if (t["recipient"] == "superior") superior_task = t;
  }
  ASSERT_TRUE(superior_task.is_object()) << tasks.body.dump(1);
  EXPECT_NE(superior_task["card"].get<std::string>().find("07-5550101"), std::string::npos);
  std::string confirm = "/v1/phone-tasks/" + std::to_string(superior_task["id"].get<int64_t>()) + "/confirm";
  auto bad = HttpOverUnix(s.daemon().socket_path(), "POST", confirm, R"({"answered_by": 7})");
  EXPECT_EQ(bad.status, 422);
  auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  json ok_body = {{"answered_by", "王小明 (superior window)"}, {"answered_at", FormatRfc3339(WithOffset(now, 480))}};
  EXPECT_EQ(HttpOverUnix(s.daemon().socket_path(), "POST", confirm, ok_body.dump()).status, 200);
  EXPECT_EQ(HttpOverUnix(s.daemon().socket_path(), "POST", confirm, ok_body.dump()).status, 409);

  ASSERT_TRUE(s.site().SetFaults(nullptr));
  ASSERT_TRUE(Story::WaitFor([&] { return s.ReportState(id) == "accepted_late"; }, 60)) << s.Log();
  json fallback = ExpectOneLateRecord(s, id);
  std::set<std::string> classes = {"connect", "timeout", "transport"};
  EXPECT_TRUE(classes.count(fallback.value("reason_class", ""))) << fallback.dump(1);
  EXPECT_NE(fallback.value("reason", "").find("網路中斷"), std::string::npos);
  bool phone_confirmed = false;
  for (const auto& n : fallback["notifications"]) {
    if (n["channel"] == "phone" && n["outcome"].get<std::string>().find("王小明") != std::string::npos) {
      phone_confirmed = true;
    }
  }
  EXPECT_TRUE(phone_confirmed) << fallback.dump(1);
  ASSERT_FALSE(s.modem().Submits().empty());
  for (const auto& sub : s.modem().Submits()) {
    ASSERT_TRUE(sub.decoded_ok);
    EXPECT_EQ(sub.decoded.to.ToString(), kSuperiorSms);
  }
  EXPECT_TRUE(s.JournalVerifies());
  // Stops must be clean: site-sim's with lifelined's connections still open,
  // then lifelined's with every channel runner in use.
  EXPECT_TRUE(s.site().Stop());
  EXPECT_TRUE(s.StopDaemonCleanly()) << s.Log();
}

TEST(StoryTest, KillNineMidEscalationLosesNothingAndRepeatsNothingConfirmed) {
  Story s("story-kill");
  ASSERT_TRUE(s.Start()) << s.Log();
  ASSERT_TRUE(s.site().SetFaults({{"refuse", true}}));
  std::string id = s.FileReport(2);
  ASSERT_FALSE(id.empty()) << s.Log();
  // Kill while the fax to the national centre is under way.
  auto fax_open = [&] {
    return !s.Query("SELECT a.id FROM attempts a JOIN notifications n ON n.id = a.notification_id"
                    " WHERE n.report_id = ? AND a.channel = 'fax' AND a.ended_at IS NULL",
                    id)
                .empty();
  };
  ASSERT_TRUE(Story::WaitFor(fax_open, 90)) << s.Log();
  s.KillDaemon(SIGKILL);
  auto confirmed_before = s.NotificationStates(id);
  auto attempts_before = s.Query("SELECT COUNT(*) FROM attempts")[0][0].get<std::string>();
  ASSERT_TRUE(s.RestartDaemon()) << s.Log();

  ASSERT_TRUE(Story::WaitFor([&] { return BothConfirmed(s, id); }, 150)) << s.Log();
  // A recipient confirmed before the kill got no new attempt after it.
  for (const auto& [recipient, state] : confirmed_before) {
    if (state != "confirmed") continue;
    auto later = s.Query(
        "SELECT COUNT(*) FROM attempts a JOIN notifications n ON n.id = a.notification_id"
        " WHERE n.recipient = '" + recipient + "' AND a.id > " + attempts_before,
        "");
    EXPECT_EQ(later[0][0], "0") << recipient << " was notified again after the restart";
  }
  // The fax attempt open at the kill was resumed under its id and finished.
  EXPECT_TRUE(s.Query("SELECT id FROM attempts WHERE ended_at IS NULL AND channel = 'fax'").empty());
  ExpectConfirmedBeforeDeadline(s, id);

  ASSERT_TRUE(s.site().SetFaults(nullptr));
  ASSERT_TRUE(Story::WaitFor([&] { return s.ReportState(id) == "accepted_late"; }, 60)) << s.Log();
  ExpectOneLateRecord(s, id);
  EXPECT_TRUE(s.JournalVerifies());
}

// The wall clock jumps an hour ahead in the middle of an escalation (NTP
// correcting the box, an operator's `date -s`), made by libfaketime inside the
// real lifelined while its monotonic clock runs on. On a 60-second "hour", a
// lifelined that believed the jump would find every deadline long gone. The
// step is journaled with its size and source; both recipients are still
// confirmed before their deadlines, each exactly once; nothing is sent twice.
TEST(StoryTest, WallClockStepMidEscalationMissesNoDeadline) {
  const std::string preload = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
  if (!std::filesystem::exists(preload)) LIFELINE_SKIP_OR_FAIL("libfaketime is not installed");
  Story s("story-clock-step");
  const std::string offset_file = s.dir() + "/faketime";
  std::ofstream(offset_file) << "+0\n";
  s.daemon_wrapper = {"env", "LD_PRELOAD=" + preload, "FAKETIME_TIMESTAMP_FILE=" + offset_file,
                      "FAKETIME_NO_CACHE=1", "FAKETIME_DONT_FAKE_MONOTONIC=1"};
  ASSERT_TRUE(s.Start()) << s.Log();
  ASSERT_TRUE(s.site().SetFaults({{"refuse", true}}));
  std::string id = s.FileReport(2);
  ASSERT_FALSE(id.empty()) << s.Log();
  ASSERT_TRUE(Story::WaitFor([&] { return !s.modem().Submits().empty(); }, 90)) << s.Log();
  std::ofstream(offset_file) << "+1h\n";  // mid-escalation: the SMS is out, the fax not yet

  ASSERT_TRUE(Story::WaitFor([&] { return BothConfirmed(s, id); }, 150)) << s.Log();
  ASSERT_TRUE(Story::WaitFor([&] { return s.JournalCount("clock.step") > 0; }, 10)) << s.Log();
  auto steps = s.Query("SELECT payload FROM journal WHERE type = 'clock.step'");
  ASSERT_EQ(steps.size(), 1u) << "one step, journaled once";
  const json step = json::parse(steps[0][0].get<std::string>());
  EXPECT_NEAR(step["step_seconds"].get<double>(), 3600.0, 5.0) << step.dump();
  EXPECT_EQ(step["source"], "system");
  EXPECT_TRUE(step.contains("ntp_synchronized"));
  ExpectConfirmedBeforeDeadline(s, id);
  for (const auto& [recipient, state] : s.NotificationStates(id)) EXPECT_EQ(state, "confirmed") << recipient;
  std::set<int> concat_refs;
  for (const auto& sub : s.modem().Submits()) {
    ASSERT_TRUE(sub.decoded_ok);
    concat_refs.insert(sub.decoded.concat ? sub.decoded.concat->ref : -1);
  }
  EXPECT_EQ(concat_refs.size(), 1u) << "the notice went out once";

  std::ofstream(offset_file) << "+0\n";  // and back: a second step, the other way
  ASSERT_TRUE(Story::WaitFor([&] { return s.JournalCount("clock.step") == 2; }, 10)) << s.Log();
  ASSERT_TRUE(s.site().SetFaults(nullptr));
  ASSERT_TRUE(Story::WaitFor([&] { return s.ReportState(id) == "accepted_late"; }, 60)) << s.Log();
  ExpectOneLateRecord(s, id);
  EXPECT_TRUE(s.JournalVerifies());
}

TEST(StoryTest, PowerOutageFromUpsdIsTheStatedReason) {
  testing::NutProcesses nut;
  Status started = nut.Start({"OL", 1800, 100});
  ASSERT_TRUE(started.ok()) << started.ToString() << "\n" << nut.Logs();
  Story s("story-power");
  ASSERT_TRUE(s.Start("[power]\nsource = \"nut\"\nnut_port = " + std::to_string(nut.port()) + "\nnut_ups = \"" +
                      testing::NutProcesses::kUps + "\"\npoll_interval_ms = 200\n"))
      << s.Log();
  // Mains lost: the UPS carries the box, and the network goes with the mains.
  ASSERT_TRUE(nut.SetDevice({"OB DISCHRG", 1200, 80}).ok());
  auto on_battery = [&] {
    return !s.Query("SELECT seq FROM journal WHERE type = 'power.change' AND payload LIKE '%\"on_battery\":true%'")
                .empty();
  };
  ASSERT_TRUE(Story::WaitFor(on_battery, 30)) << s.Log();
  ASSERT_TRUE(s.site().SetFaults({{"refuse", true}}));
  std::string id = s.FileReport(2);
  ASSERT_FALSE(id.empty()) << s.Log();
  ASSERT_TRUE(Story::WaitFor([&] { return BothConfirmed(s, id); }, 150)) << s.Log();
  auto fallback = s.Query("SELECT fallback FROM reports WHERE report_id = ?", id);
  ASSERT_EQ(fallback.size(), 1u);
  json why = json::parse(fallback[0][0].get<std::string>());
  EXPECT_EQ(why["reason_class"], "power") << why.dump(1);
  EXPECT_NE(why["reason_zh"].get<std::string>().find("電力中斷"), std::string::npos) << why.dump(1);

  ASSERT_TRUE(nut.SetDevice({"OL", 1200, 80}).ok());
  ASSERT_TRUE(s.site().SetFaults(nullptr));
  ASSERT_TRUE(Story::WaitFor([&] { return s.ReportState(id) == "accepted_late"; }, 60)) << s.Log();
  json late = ExpectOneLateRecord(s, id);
  EXPECT_EQ(late.value("reason_class", ""), "power");
  EXPECT_TRUE(s.JournalVerifies());
}

TEST(StoryTest, DrillReachesDrillRecipientsOnly) {
  Story s("story-drill");
  ASSERT_TRUE(s.Start()) << s.Log();
  // The real site stays up: the loss is simulated inside lifelined for the drill's report.
  std::string scenario = s.dir() + "/drill.toml";
  std::ofstream(scenario) << "[drill]\nname = \"network loss drill\"\nreport = \"" LIFELINE_SOURCE_DIR
                             "/config/sample-report.json\"\noutage_seconds = 70\n";
  std::string cli = std::string(LIFELINE_BINARY_DIR "/tools/lifeline/lifeline --config ") + s.daemon().state_dir() +
                    "/test-config.toml ";
  // The plan is drawn and its seal journaled before the drill (seed 002 5.2.1).
  const std::string plan = s.dir() + "/plan.sealed.json";
  auto drawn = testing_support::RunCommand(cli + "drill plan --roster " LIFELINE_SOURCE_DIR "/config/roster.toml "
                                           "--scenarios " LIFELINE_SOURCE_DIR "/config/drills --seed 7 --out " + plan);
  ASSERT_EQ(drawn.exit_code, 0) << drawn.output;
  auto sealed = testing_support::RunCommand(cli + "drill seal " + plan);
  ASSERT_EQ(sealed.exit_code, 0) << sealed.output;
  EXPECT_NE(testing_support::RunCommand(cli + "drill seal " + plan).exit_code, 0) << "a seal is journaled once";
  json plan_file = json::parse(std::ifstream(plan), nullptr, false);
  const std::string commitment = plan_file.value("commitment", "");
  auto bad = HttpOverUnix(s.daemon().socket_path(), "POST", "/v1/drill-plans",
                          json{{"format", "lifeline.drill-seal/1"}, {"commitment", "XYZ"}}.dump());
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(HttpOverUnix(s.daemon().socket_path(), "GET", "/v1/drill-plans", "").body["seals"].size(), 1u)
      << "nothing journaled for a refused seal";
  auto started = testing_support::RunCommand(cli + "drill start --scenario " + scenario);
  ASSERT_EQ(started.exit_code, 0) << started.output;
  auto drills = HttpOverUnix(s.daemon().socket_path(), "GET", "/v1/drills", "");
  ASSERT_EQ(drills.status, 200);
  ASSERT_EQ(drills.body["drills"].size(), 1u);
  std::string drill_id = drills.body["drills"][0]["id"], id = drills.body["drills"][0]["report_id"];
  EXPECT_EQ(HttpOverUnix(s.daemon().socket_path(), "GET", "/v1/drills/" + drill_id + "/record", "").status, 409)
      << "a running drill has no record yet";

  ASSERT_TRUE(Story::WaitFor([&] { return BothConfirmed(s, id); }, 150)) << s.Log();
  EXPECT_EQ(s.site().Count(id), 0) << "the drill's report must wait for the simulated outage to end";
  ASSERT_TRUE(Story::WaitFor([&] { return s.ReportState(id) == "accepted_late"; }, 120)) << s.Log();
  auto records = s.SiteRecords(id);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["kind"], "late");
  EXPECT_EQ(records[0]["request"]["report"].value("drill", false), true);

  // Nothing went to a real recipient: every SMS to the drill number, every fax call to the drill fax.
  ASSERT_FALSE(s.modem().Submits().empty());
  for (const auto& sub : s.modem().Submits()) {
    ASSERT_TRUE(sub.decoded_ok);
    EXPECT_EQ(sub.decoded.to.ToString(), kDrillSuperiorSms);
  }
  auto calls = s.fax().Calls(1);
  ASSERT_FALSE(calls.empty());
  for (const auto& c : calls) EXPECT_EQ(c.value("number", ""), kDrillCentreFax) << c.dump();

  ASSERT_TRUE(Story::WaitFor([&] {
    auto d = HttpOverUnix(s.daemon().socket_path(), "GET", "/v1/drills/" + drill_id, "");
    return d.status == 200 && d.body.value("complete", false);
  }, 30));
  // The results are due a month after the drill (seed 003 5.2.1), on the drill's page and in the API.
  auto finished = HttpOverUnix(s.daemon().socket_path(), "GET", "/v1/drills/" + drill_id, "");
  auto ended = ParseRfc3339(finished.body.value("ended_at", "")), due = ParseRfc3339(finished.body.value("results_due_at", ""));
  ASSERT_TRUE(ended.ok() && due.ok()) << finished.body.dump();
  EXPECT_GE(due->instant - ended->instant, std::chrono::hours(24 * 28));
  EXPECT_LE(due->instant - ended->instant, std::chrono::hours(24 * 31));
  auto timeline = testing_support::RunCommand(cli + "drill timeline " + drill_id);
  EXPECT_EQ(timeline.exit_code, 0) << timeline.output;
  for (const char* step : {"DRILL", "report queued → fallback", "sms to +886912000901", "fax to 5550902",
                           "report fallback → accepted_late", "DRILL complete"}) {
    EXPECT_NE(timeline.output.find(step), std::string::npos) << step << "\n" << timeline.output;
  }

  // The 演練時間紀錄表 from the drill's own journal: every step, each deadline met with its time.
  const std::string saved = s.dir() + "/drill-record.json", pdf = s.dir() + "/time-record.pdf";
  auto printed = testing_support::RunCommand(cli + "drill record --drill " + drill_id + " --save " + saved +
                                             " --pdf " + pdf + " --csv " + s.dir() + "/time-record.csv");
  ASSERT_EQ(printed.exit_code, 0) << printed.output;
  std::ifstream in(saved);
  json record = json::parse(in, nullptr, false);
  ASSERT_TRUE(record.is_object()) << "the saved record is JSON";
  ASSERT_EQ(record["units"].size(), 1u);
  const json& unit = record["units"][0];
  EXPECT_EQ(unit["report_id"], id);
  EXPECT_EQ(record["drill"].value("plan_commitment", ""), commitment) << "the plan sealed before the drill";
  auto audit = testing_support::RunCommand(cli + "drill check-seal " + plan + " --journaled");
  EXPECT_EQ(audit.exit_code, 0) << audit.output;
  EXPECT_NE(audit.output.find("SEAL OK"), std::string::npos) << audit.output;
  std::multiset<std::string> kinds;
  std::set<std::string> confirmed;
  for (const auto& step : unit["steps"]) {
    kinds.insert(step["kind"].get<std::string>());
    if (step["kind"] == "confirmed") confirmed.insert(step["channel"].get<std::string>());
  }
  for (const char* kind : {"aware", "filed", "outage_declared", "fallback_started", "notified", "confirmed",
                           "recovered", "late_accepted"}) {
    EXPECT_GE(kinds.count(kind), 1u) << kind << "\n" << unit["steps"].dump(1);
  }
  EXPECT_EQ(kinds.count("late_accepted"), 1u);
  EXPECT_TRUE(confirmed.count("sms") && confirmed.count("fax")) << unit["steps"].dump(1);
  bool fallback_met = false;
  for (const auto& d : unit["deadlines"]) {
    if (d["key"] != "fallback_notify_by") continue;
    ASSERT_TRUE(d["done_at"].is_string()) << d.dump();
    auto due = ParseRfc3339(d["due_at"].get<std::string>()), done = ParseRfc3339(d["done_at"].get<std::string>());
    ASSERT_TRUE(due.ok() && done.ok()) << d.dump();
    fallback_met = done->instant <= due->instant;
  }
  EXPECT_TRUE(fallback_met) << "both drill recipients confirmed within the hour: " << unit["deadlines"].dump(1);
  std::ifstream pdf_in(pdf, std::ios::binary);
  std::string head(5, '\0');
  pdf_in.read(head.data(), 5);
  EXPECT_EQ(head, "%PDF-");
  EXPECT_TRUE(s.JournalVerifies());
}

}  // namespace
}  // namespace lifeline::story
