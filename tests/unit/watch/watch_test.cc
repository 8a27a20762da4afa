// ContactWatch with a real store and a simulated wall clock: a channel that
// fails its check is journaled as failing, and once down longer than
// alert_after the alert is journaled (contact.down, which the hooks hear),
// shown in Status and sent to each internal recipient on another message
// channel, naming the temporary contact; its return is announced the same
// way. Each check advances the simulated clock by half an hour, so an hour's
// outage takes three checks of one second.
#include "daemon/watch/watch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <thread>

#include "daemon/core/uuid.h"

namespace lifeline {
namespace {

namespace fs = std::filesystem;

class RecordingRunner final : public ChannelRunner {
 public:
  void Start(const NoticeJob& job, Progress, Done done) override {
    jobs.push_back(job);
    done({NoticeOutcome::Kind::kConfirmed, "sent", nlohmann::json::object()});
  }
  void Cancel(int64_t) override {}
  void Stop() override {}
  std::vector<NoticeJob> jobs;
};

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("watch-" + NewUuidV4().value());
    fs::create_directories(dir_);
    StoreOptions o{(dir_ / "lifeline.db").string(), (dir_ / "journal.key").string(), "", kStoreSchemaVersion, ""};
    auto s = Store::Open(o, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::make_unique<AsyncStore>(std::move(*s), io_);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  WatchOptions Options() {
    WatchOptions o;
    o.interval = o.retry_while_failing = std::chrono::seconds(1);
    o.alert_after = std::chrono::seconds(3600);
    o.temporary_contact = "備援電話 07-7995678#5253";
    o.agency = "測試機關";
    return o;
  }
  // Runs the loop until `done` holds (30 s at most). The store's worker posts
  // completions, so the loop may have no work of its own for a while.
  void RunUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      if (io_.run_one_for(std::chrono::milliseconds(25)) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // Journal types in order, read through the store's worker.
  std::vector<std::string> JournalTypes() {
    std::vector<std::string> types;
    bool done = false;
    store_->Run(
        [&](Store& st) {
          auto entries = ReadJournal(st.db(), std::nullopt);
          if (!entries.ok()) return entries.status();
          for (const auto& e : *entries) {
            if (e.type.rfind("contact.", 0) == 0) types.push_back(e.type);
          }
          return Status::Ok();
        },
        [&](Status) { done = true; });
    // The worker posts the completion: the loop may have no work of its own meanwhile.
    RunUntil([&] { return done; });
    EXPECT_TRUE(done);
    return types;
  }
  // Runs the loop until `checks` checks have been answered.
  void RunChecks(int& answered, int checks) {
    RunUntil([&] { return answered >= checks; });
    ASSERT_GE(answered, checks) << "the checks did not run";
  }

  fs::path dir_;
  asio::io_context io_;
  SimulatedClock clock_{ParseRfc3339("2026-11-21T10:00:00+08:00")->instant};
  std::unique_ptr<AsyncStore> store_;
};

TEST_F(WatchTest, AnHourDownRaisesTheAlertOnAnotherChannelAndTheReturnIsAnnounced) {
  RecordingRunner sms, email;
  ContactWatch watch(io_, *store_, clock_, Options());
  // fails, fails, fails (an hour since the first failure), then works again.
  const std::vector<bool> results = {false, false, false, true};
  int answered = 0, changes = 0;
  watch.Add("fax", [&](std::function<void(bool, std::string)> done) {
    const bool up = results[std::min<size_t>(answered, results.size() - 1)];
    if (answered > 0) clock_.Advance(std::chrono::minutes(30));
    ++answered;
    done(up, up ? "dial tone" : "NO DIALTONE");
  });
  watch.on_change = [&] { ++changes; };
  InternalContact it{"it_desk", "資訊室", {{"fax", "07-1234567", ""}, {"sms", "+886912345678", ""}, {"email", "it@agency.example", ""}}};
  watch.SetMessengers({{"sms", &sms}, {"email", &email}}, {it});
  watch.Start();

  RunChecks(answered, 2);
  ASSERT_EQ(watch.Status().size(), 1u);
  EXPECT_FALSE(watch.Status()[0].up);
  EXPECT_FALSE(watch.Status()[0].alerted) << "half an hour down is not yet an alert";
  EXPECT_TRUE(sms.jobs.empty());

  RunChecks(answered, 3);
  EXPECT_TRUE(watch.Status()[0].alerted);
  ASSERT_EQ(sms.jobs.size(), 1u) << "one message per person, on the first other message channel";
  EXPECT_TRUE(email.jobs.empty());
  EXPECT_EQ(sms.jobs[0].address.address, "+886912345678");
  EXPECT_NE(sms.jobs[0].text.find("備援電話 07-7995678#5253"), std::string::npos) << sms.jobs[0].text;
  EXPECT_NE(sms.jobs[0].text.find("NO DIALTONE"), std::string::npos);
  EXPECT_LT(sms.jobs[0].attempt_id, 0) << "not a report's attempt";

  RunChecks(answered, 4);
  EXPECT_TRUE(watch.Status()[0].up);
  EXPECT_FALSE(watch.Status()[0].alerted);
  ASSERT_EQ(sms.jobs.size(), 2u);
  EXPECT_NE(sms.jobs[1].text.find("恢復"), std::string::npos) << sms.jobs[1].text;
  watch.Stop();
  EXPECT_EQ(changes, 3) << "down, alerted, back";
  EXPECT_EQ(JournalTypes(), (std::vector<std::string>{"contact.failing", "contact.down", "contact.alert_sent",
                                                      "contact.restored", "contact.alert_sent"}));
}

TEST_F(WatchTest, AShortFailureIsJournaledButRaisesNoAlert) {
  RecordingRunner sms;
  ContactWatch watch(io_, *store_, clock_, Options());
  int answered = 0;
  watch.Add("sms", [&](std::function<void(bool, std::string)> done) {
    clock_.Advance(std::chrono::minutes(10));
    done(answered++ != 0, "not registered");
  });
  InternalContact it{"it_desk", "資訊室", {{"sms", "+886912345678", ""}, {"email", "it@agency.example", ""}}};
  watch.SetMessengers({{"sms", &sms}}, {it});
  watch.Start();
  RunChecks(answered, 2);
  watch.Stop();
  EXPECT_TRUE(sms.jobs.empty()) << "the failed channel is never the one used, and ten minutes is no alert";
  EXPECT_EQ(JournalTypes(), (std::vector<std::string>{"contact.failing", "contact.ok"}));
}

TEST(ContactAlertText, NamesTheChannelTheTimeAndTheTemporaryContactOrItsAbsence) {
  ContactStatus s;
  s.channel = "email";
  s.detail = "connection refused";
  s.failing_since = ParseRfc3339("2026-11-21T09:00:00+08:00")->instant;
  const std::string down = ContactAlertText("測試機關", s, "", false);
  EXPECT_NE(down.find("電子郵件伺服器"), std::string::npos);
  EXPECT_NE(down.find("2026-11-21T09:00:00"), std::string::npos) << down;
  EXPECT_NE(down.find("no temporary contact configured"), std::string::npos);
  EXPECT_NE(ContactAlertText("測試機關", s, "", true).find("works again"), std::string::npos);
}

}  // namespace
}  // namespace lifeline
