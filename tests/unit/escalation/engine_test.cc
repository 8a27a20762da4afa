// EscalationEngine on a real store under a simulated clock: later deadlines
// become reminders with their legal source, once ahead and once when due,
// never repeated across a restart; a level change (revision 2) is notified
// afresh while the earlier revision's open notifications are closed. No
// channel but the phone (tasks for people) is configured here, so every other
// attempt fails at once as "no such channel on this box"; the channels themselves are tested end to end in
// tests/integration/escalation. A deadline the record has met (issue 17) is
// not reminded. Fallbacks(), which the room's alarm follows, goes from under
// way to deadline near to all confirmed. A required recipient still
// unconfirmed when its due time passes is a journaled fact once (the hooks'
// deadline watch, across restarts), and stays so after the site accepts. A
// notice an operator sent by hand confirms its recipient, closes what was
// open for it, and stays confirmed across a restart.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "daemon/channels/phone/phone.h"
#include "daemon/escalation/engine.h"
#include "daemon/hooks/hooks.h"
#include "daemon/record/record.h"
#include "daemon/rules/rules.h"
#include "daemon/store/sqlite.h"
#include "tests/support/report_factory.h"

namespace lifeline {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using nlohmann::json;

const WallTime kAware = ParseRfc3339("2026-11-21T09:58:00+08:00")->instant;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / ("engine-" + NewUuidV4().value());
    std::filesystem::create_directories(dir_);
    Open();
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }

  void Open() {
    auto store = Store::Open({(dir_ / "lifeline.db").string(), (dir_ / "journal.key").string(), "",
                              kStoreSchemaVersion, ""},
                             clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    io_ = std::make_unique<asio::io_context>();
    async_ = std::make_unique<AsyncStore>(std::move(*store), *io_);
    EngineOptions o;
    o.policy.lead_time = {{"sms", minutes(10)}, {"fax", minutes(15)}, {"email", minutes(5)}, {"phone", minutes(15)}};
    o.policy.channel_order = {"sms", "fax", "email", "phone"};
    o.tick = std::chrono::milliseconds(5);
    o.reminder_ahead = hours(1);
    engine_ = std::make_unique<EscalationEngine>(*io_, *async_, clock_, DefaultDirectory().value(),
                                                 Templates::Default().value(), o);
    phone_ = std::make_unique<PhoneRunner>(*io_, *async_, minutes(5));
    engine_->SetRunner("phone", phone_.get());
    engine_->Start();
    Run();
  }
  void Close() {
    engine_.reset();
    phone_.reset();
    async_.reset();
    io_.reset();
  }

  // Lets the engine tick and the store commit: bounded, no timing assumed.
  void Run() {
    for (int i = 0; i < 40; ++i) io_->run_for(std::chrono::milliseconds(5));
  }

  StoredRevision Store(int revision, int availability, const std::string& id = "") {
    json doc = testing_support::NewDocument(revision, id.empty() ? id_ : id);
    doc["impact"] = {{"confidentiality", "none"}, {"integrity", "none"}, {"availability", availability}};
    Report report = testing_support::ToReport(doc);
    auto schedule = ComputeSchedule(DefaultRuleSet().value(), {report.Level(), report.aware_at, false});
    auto stored = std::make_shared<StoredRevision>();
    bool done = false;
    async_->Run(
        [&, stored](lifeline::Store& st) {
          auto r = st.Submit(report, "tw-2021", ScheduleToJson(*schedule));
          if (r.ok()) *stored = r->stored;
          return r.status();
        },
        [&](Status s) {
          EXPECT_TRUE(s.ok()) << s.ToString();
          done = true;
        });
    for (int i = 0; i < 200 && !done; ++i) io_->run_for(std::chrono::milliseconds(5));
    return *stored;
  }

  std::vector<std::vector<std::string>> Rows(const std::string& sql) {
    std::vector<std::vector<std::string>> out;
    auto db = sql::Db::Open((dir_ / "lifeline.db").string(), {true, ""});
    if (!db.ok()) return out;
    auto st = (*db)->Prepare(sql);
    if (!st.ok()) return out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok() || !*row) return out;
      out.push_back({st->Text(0), st->Text(1), st->Text(2)});
    }
  }

  std::filesystem::path dir_;
  SimulatedClock clock_{kAware + minutes(1)};
  std::string id_ = NewUuidV4().value();
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<AsyncStore> async_;
  std::unique_ptr<PhoneRunner> phone_;
  std::unique_ptr<EscalationEngine> engine_;
};

TEST_F(EngineTest, LaterDeadlinesAreRemindedOnceAheadAndOnceDueWithTheirSource) {
  StoredRevision r = Store(1, 2);  // level 2: review within 8 h, damage control within 72 h
  engine_->OnStored(r);
  engine_->OnAccepted(r.id, 1);  // the site took it: no escalation, only reminders
  Run();
  EXPECT_TRUE(Rows("SELECT deadline FROM reminders").empty());

  clock_.Advance(hours(8));  // review_by (from notify_by + 8 h) is one hour away
  Run();
  auto given = Rows("SELECT deadline, kind, '' FROM reminders ORDER BY deadline, kind");
  ASSERT_EQ(given.size(), 1u);
  EXPECT_EQ(given[0][0], "review_by");
  EXPECT_EQ(given[0][1], "ahead");
  auto journal = Rows("SELECT payload, '', '' FROM journal WHERE type = 'reminder'");
  ASSERT_EQ(journal.size(), 1u);
  json p = json::parse(journal[0][0]);
  EXPECT_NE(p["source"].get<std::string>().find("辦法"), std::string::npos) << p.dump();

  clock_.Advance(hours(1) + minutes(1));  // review_by passed
  Run();
  Run();
  EXPECT_EQ(Rows("SELECT deadline FROM reminders WHERE deadline = 'review_by' AND kind = 'due'").size(), 1u);

  // A restart gives nothing twice.
  Close();
  Open();
  Run();
  EXPECT_EQ(Rows("SELECT deadline FROM reminders").size(), 2u);
  EXPECT_EQ(Rows("SELECT seq FROM journal WHERE type = 'reminder'").size(), 2u);

  clock_.Advance(hours(72));  // damage control (72 h) and more have passed
  Run();
  Run();
  EXPECT_EQ(Rows("SELECT deadline FROM reminders WHERE deadline = 'damage_control_by' AND kind = 'due'").size(), 1u);
}

// Issue 17: a deadline the record has met (damage control on record) gets no
// reminder, whether the engine hears of the stage at once or reads it back
// from the store after a restart; the deadlines still open do.
TEST_F(EngineTest, ADeadlineTheRecordMetIsNotReminded) {
  StoredRevision r = Store(1, 2);  // level 2: damage control within 72 h, the report within a month
  engine_->OnStored(r);
  engine_->OnAccepted(r.id, 1);
  Run();
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/tests/fixtures/stages/damage-control/valid/intrusion_full.json");
  std::stringstream text;
  text << in.rdbuf();
  json doc = json::parse(text.str());
  doc["report_id"] = r.id;
  Report report = testing_support::ToReport(r.document);
  StageOutcome stage = ValidateStageJson(Stage::kDamageControl, doc, RefOf(report));
  ASSERT_TRUE(stage.ok()) << stage.Describe();
  auto schedule = record::ScheduleWithMet(DefaultRuleSet().value(), report, {{"damage_control_by", stage.record->at}});
  ASSERT_TRUE(schedule.ok());
  bool done = false;
  async_->Run([&](lifeline::Store& st) { return st.AddStage(*stage.record, *schedule).status(); },
              [&](Status s) {
                EXPECT_TRUE(s.ok()) << s.ToString();
                done = true;
              });
  for (int i = 0; i < 200 && !done; ++i) io_->run_for(std::chrono::milliseconds(5));
  engine_->OnScheduleChanged(r.id, *schedule);
  clock_.Advance(hours(73));  // past damage_control_by
  Run();
  Run();
  EXPECT_TRUE(Rows("SELECT deadline FROM reminders WHERE deadline = 'damage_control_by'").empty());
  EXPECT_FALSE(Rows("SELECT deadline FROM reminders WHERE deadline = 'review_by'").empty()) << "others still come";
  Close();
  Open();
  clock_.Advance(hours(24 * 31));  // past report_by too
  Run();
  Run();
  EXPECT_TRUE(Rows("SELECT deadline FROM reminders WHERE deadline = 'damage_control_by'").empty())
      << "after a restart the engine reads the schedule the stage stored";
  EXPECT_FALSE(Rows("SELECT deadline FROM reminders WHERE deadline = 'report_by'").empty());
}

TEST_F(EngineTest, LevelChangeIsNotifiedAfreshAndClosesTheEarlierRevision) {
  StoredRevision r1 = Store(1, 2);
  Conditions outage;
  outage.site_outage = true;
  outage.link_class = "connect";
  engine_->SetConditions(outage);
  engine_->OnStored(r1);
  clock_.Advance(minutes(25));  // past the escalation point, site in outage
  Run();
  EXPECT_EQ(Rows("SELECT state FROM reports WHERE revision = 1")[0][0], "fallback");
  auto first = Rows("SELECT recipient, state, '' FROM notifications WHERE revision = 1 ORDER BY recipient");
  ASSERT_EQ(first.size(), 2u);  // superior agency and national centre

  StoredRevision r2 = Store(2, 3, r1.id);  // level 3 now
  engine_->OnStored(r2);
  Run();
  Run();
  EXPECT_EQ(Rows("SELECT state FROM reports WHERE revision = 2")[0][0], "fallback")
      << "revision 2 is already past its hour with the site down: it escalates at once";
  auto second = Rows("SELECT recipient, state, '' FROM notifications WHERE revision = 2 ORDER BY recipient");
  EXPECT_EQ(second.size(), 2u);
  for (const auto& n : Rows("SELECT recipient, state, '' FROM notifications WHERE revision = 1")) {
    EXPECT_TRUE(n[1] == "cancelled" || n[1] == "confirmed") << n[0] << " " << n[1];
  }
  // Level 3: the superior agency's phone task belongs to revision 2.
  auto tasks = Rows("SELECT revision, recipient, state FROM phone_tasks WHERE state = 'open'");
  ASSERT_FALSE(tasks.empty());
  for (const auto& t : tasks) EXPECT_EQ(t[0], "2");
}

// What the room's alarm is driven by: nothing before the escalation point, a
// fallback under way after it, the deadline near within louder_before of it,
// and all confirmed once each recipient's phone task is.
TEST_F(EngineTest, FallbacksFollowTheFallbackFromUnderWayToAllConfirmed) {
  StoredRevision r = Store(1, 2);
  engine_->OnStored(r);
  Run();
  EXPECT_EQ(engine_->Fallbacks(), FallbackSummary{}) << "fell back before the escalation point";

  clock_.Advance(minutes(20));  // past the escalation point (20 min after awareness)
  Run();
  Run();
  FallbackSummary under_way = engine_->Fallbacks();
  EXPECT_TRUE(under_way.under_way);
  EXPECT_FALSE(under_way.deadline_near);
  EXPECT_FALSE(under_way.all_confirmed);

  clock_.Advance(minutes(31));  // 9 minutes left, less than louder_before
  Run();
  EXPECT_TRUE(engine_->Fallbacks().deadline_near);

  auto tasks = Rows("SELECT id, '', '' FROM phone_tasks WHERE state = 'open'");
  ASSERT_FALSE(tasks.empty());
  for (const auto& t : tasks) {
    bool confirmed = false;
    phone_->Confirm(std::stoll(t[0]), "王小明", FormatRfc3339(WithOffset(clock_.Now(), 8 * 60)), "", "tester",
                      [&](Result<PhoneTask> task) { confirmed = task.ok(); });
    Run();
    EXPECT_TRUE(confirmed) << "task " << t[0];
  }
  Run();
  FallbackSummary done = engine_->Fallbacks();
  EXPECT_FALSE(done.under_way);
  EXPECT_FALSE(done.deadline_near);
  EXPECT_TRUE(done.all_confirmed);
}

TEST_F(EngineTest, AMissedDeadlineIsAFactOnceAndOutlivesTheLateAcceptance) {
  StoredRevision r = Store(1, 2);
  engine_->OnStored(r);
  Run();
  clock_.Advance(minutes(20));  // the escalation point: phone tasks raised, nobody answers
  Run();
  Run();
  const auto open = Rows("SELECT id, recipient, due_at FROM notifications WHERE state != 'confirmed'");
  ASSERT_FALSE(open.empty()) << "the report did not fall back";
  const std::string missed_sql = "SELECT json_extract(payload, '$.notification'), json_extract(payload, "
                                 "'$.recipient'), json_extract(payload, '$.due_at') FROM journal "
                                 "WHERE type = 'notification.deadline_missed' ORDER BY seq";

  // The deadline watch (lifelined's, in the hooks module) before the due time: nothing is missed.
  auto watch = [&] {
    EventHooks hooks(*io_, *async_, clock_, HookOptions{});
    hooks.Start();
    Run();
  };
  watch();
  EXPECT_TRUE(Rows(missed_sql).empty());

  clock_.Advance(minutes(45));  // past the hour: every open notification is now missed
  watch();
  auto missed = Rows(missed_sql);
  using Rowset = std::set<std::vector<std::string>>;
  EXPECT_EQ(Rowset(missed.begin(), missed.end()), Rowset(open.begin(), open.end()))
      << "each open notification once, with its recipient and due time";
  watch();  // a restart of the watch repeats nothing
  EXPECT_EQ(Rows(missed_sql).size(), open.size());

  // The late submission is accepted: what was still open is closed, the misses stay.
  engine_->OnAccepted(r.id, r.revision);
  Run();
  EXPECT_TRUE(Rows("SELECT id, '', '' FROM notifications WHERE state IN ('pending', 'in_progress')").empty());
  EXPECT_EQ(Rows(missed_sql).size(), open.size());
  auto view = std::make_shared<Result<record::RecordView>>(NotFound(""));
  bool loaded = false;
  async_->Run([&, view](lifeline::Store& st) {
    *view = record::LoadRecord(st, r.id);
    return view->status();
  },
              [&](Status) { loaded = true; });
  for (int i = 0; i < 200 && !loaded; ++i) io_->run_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(view->ok()) << view->status().ToString();
  size_t in_record = 0;
  for (const auto& e : (*view)->journal) in_record += e.type == "notification.deadline_missed";
  EXPECT_EQ(in_record, open.size()) << "the record's journal keeps every miss";
}

TEST_F(EngineTest, ANoticeSentByHandConfirmsItsRecipientAndOutlivesARestart) {
  StoredRevision r = Store(1, 2);
  engine_->OnStored(r);
  Run();
  NoticeByHand notice{r.id, "national_centre", "fax",
                      {{"sent_at", FormatRfc3339(WithOffset(clock_.Now(), 8 * 60))},
                       {"proof", "transmission report OK, 2 pages"}},
                      "operator1"};
  auto record = [&](const NoticeByHand& n) {
    auto out = std::make_shared<Result<json>>(Internal("no answer"));
    engine_->RecordNoticeByHand(n, [out](Result<json> r) { *out = std::move(r); });
    Run();
    return *out;
  };
  EXPECT_EQ(record(notice).status().code(), StatusCode::kFailedPrecondition) << "nothing is due before the fallback";

  clock_.Advance(minutes(20));  // the escalation point: sms, fax, e-mail fail here, phone tasks wait
  Run();
  Run();
  const std::string open_tasks = "SELECT t.id, n.recipient, '' FROM phone_tasks t JOIN attempts a ON a.id = t.attempt_id "
                                 "JOIN notifications n ON n.id = a.notification_id WHERE t.state = 'open'";
  auto tasks = Rows(open_tasks);
  ASSERT_EQ(tasks.size(), 2u) << "a phone task for each recipient";

  NoticeByHand stranger = notice;
  stranger.recipient = "nobody";
  EXPECT_EQ(engine_->ByHandProblems(stranger).at(0)["path"], "/recipient");
  NoticeByHand by_pigeon = notice;
  by_pigeon.channel = "pigeon";
  EXPECT_EQ(engine_->ByHandProblems(by_pigeon).at(0)["path"], "/channel");
  EXPECT_EQ(record(by_pigeon).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Rows(open_tasks).size(), 2u) << "a refused notice changes nothing";

  auto recorded = record(notice);
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ((*recorded)["channel"], "fax");
  EXPECT_FALSE((*recorded)["address"].get<std::string>().empty()) << "the directory's fax number";
  EXPECT_EQ((*recorded)["cancelled"].size(), 1u) << "the national centre's open phone task";
  auto left = Rows(open_tasks);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0][1], "superior");
  auto attempt = Rows("SELECT outcome, json_extract(evidence, '$.evidence.proof'), "
                      "json_extract(evidence, '$.evidence.recorded_by') FROM attempts WHERE id = " +
                      std::to_string((*recorded)["attempt"].get<int64_t>()));
  ASSERT_EQ(attempt.size(), 1u);
  EXPECT_EQ(attempt[0], (std::vector<std::string>{"confirmed", "transmission report OK, 2 pages", "operator1"}));
  EXPECT_EQ(Rows("SELECT state, '', '' FROM notifications WHERE recipient = 'national_centre'").at(0)[0], "confirmed");
  auto by = Rows("SELECT json_extract(payload, '$.by'), '', '' FROM journal WHERE type = 'attempt.end' AND "
                 "json_extract(payload, '$.attempt') = " + std::to_string((*recorded)["attempt"].get<int64_t>()));
  ASSERT_EQ(by.size(), 1u);
  EXPECT_EQ(by[0][0], "operator1") << "journaled with who recorded it";
  EXPECT_EQ(record(notice).status().code(), StatusCode::kFailedPrecondition) << "already confirmed";

  // After a restart the plan finds the recipient confirmed: nothing new starts for it.
  const std::string attempts_sql = "SELECT count(*), '', '' FROM attempts a JOIN notifications n ON n.id = "
                                   "a.notification_id WHERE n.recipient = 'national_centre'";
  const std::string before = Rows(attempts_sql).at(0)[0];
  Close();
  Open();
  clock_.Advance(minutes(35));  // past louder_before: every channel of an unconfirmed recipient at once
  Run();
  Run();
  EXPECT_EQ(Rows(attempts_sql).at(0)[0], before);
  EXPECT_EQ(Rows("SELECT state, '', '' FROM notifications WHERE recipient = 'national_centre'").at(0)[0], "confirmed");
  EXPECT_TRUE(engine_->Fallbacks().under_way) << "the superior is still to be reached";
}

// A drill's faults for its report only: while the scenario says the SMS
// channel fails, the drill's SMS attempts fail at once with the drill's words
// (and the plan moves on); while it says mains are lost, the reason stated is
// the power's. A real report at the same time is untouched.
TEST_F(EngineTest, ADrillsFaultsActOnItsReportOnly) {
  json doc = testing_support::NewDocument();
  doc["drill"] = true;
  doc["impact"] = {{"confidentiality", "none"}, {"integrity", "none"}, {"availability", 2}};
  Report report = testing_support::ToReport(doc);
  auto schedule = ComputeSchedule(DefaultRuleSet().value(), {report.Level(), report.aware_at, false});
  auto stored = std::make_shared<StoredRevision>();
  bool done = false;
  async_->Run(
      [&, stored](lifeline::Store& st) {
        auto r = st.Submit(report, "tw-2021", ScheduleToJson(*schedule));
        if (r.ok()) *stored = r->stored;
        return r.status();
      },
      [&](Status st) {
        EXPECT_TRUE(st.ok()) << st.ToString();
        done = true;
      });
  for (int i = 0; i < 200 && !done; ++i) io_->run_for(std::chrono::milliseconds(5));
  const std::string drill_id = stored->id;
  const WallTime now = clock_.Now();
  engine_->SetDrillOutage(drill_id, now + hours(2));
  engine_->SetDrillFaults(drill_id, {{"sms", now, now + hours(2), "", std::nullopt, "演練模擬：簡訊通道失效"},
                                     {"mains", now, now + hours(2), "", minutes(20), "演練模擬：市電中斷"}});
  engine_->OnStored(*stored);
  StoredRevision real = Store(1, 2);  // a real report, the site up for it
  engine_->OnStored(real);
  Run();
  clock_.Advance(minutes(20));  // both at their escalation point
  Run();
  Run();
  auto sms = Rows("SELECT a.outcome, json_extract(a.evidence, '$.summary'), n.report_id FROM attempts a JOIN "
                  "notifications n ON n.id = a.notification_id WHERE a.channel = 'sms' ORDER BY a.id");
  bool drill_sms = false, real_sms = false;
  for (const auto& a : sms) {
    if (a[2] == drill_id) {
      drill_sms = true;
      EXPECT_EQ(a[0], "failed");
      EXPECT_EQ(a[1], "演練模擬：簡訊通道失效") << "the drill's words, not the box's missing channel";
    } else {
      real_sms = true;
      EXPECT_EQ(a[1], "no sms channel on this box") << "the real report is not touched by the drill";
    }
  }
  EXPECT_TRUE(drill_sms && real_sms);
  auto reasons = Rows("SELECT report_id, json_extract(fallback, '$.reason_class'), '' FROM reports");
  for (const auto& r : reasons) {
    if (r[0] == drill_id) EXPECT_EQ(r[1], "power") << "mains lost in the drill: the power is the reason";
    else EXPECT_NE(r[1], "power");
  }
}

}  // namespace
}  // namespace lifeline
