// The hook runner against real programs (shell scripts written per test):
// the event arrives on stdin and as argv[1], a program past its timeout is
// killed, one that cannot start is reported, and output that is binary,
// huge or cut mid-character is kept as valid UTF-8 so its outcome can be
// journaled. And which journal entries become which events.
#include "daemon/hooks/hooks.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace lifeline {
namespace {

namespace fs = std::filesystem;

class HookRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("hooks-" + std::to_string(getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Script(const std::string& name, const std::string& body) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << "#!/bin/sh\n" << body;
    chmod(path.c_str(), 0755);
    return path;
  }
  std::string Read(const std::string& name) {
    std::ifstream in(dir_ / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Runs one event and the loop until its outcome arrives.
  HookOutcome RunOne(HookOptions options, const HookEvent& event) {
    asio::io_context io;
    HookRunner runner(io, std::move(options));
    std::optional<HookOutcome> got;
    runner.Run(event, [&](const HookOutcome& o) { got = o; });
    while (!got && io.run_one_for(std::chrono::seconds(30)) > 0) {
    }
    EXPECT_TRUE(got.has_value()) << "no outcome";
    return got.value_or(HookOutcome{});
  }
  HookEvent Event() { return {"report_accepted", {{"event", "report_accepted"}, {"seq", 7}, {"report_id", "R-1"}}}; }

  fs::path dir_;
};

TEST_F(HookRunnerTest, ProgramGetsTheEventAsJsonOnStdinAndItsNameAsArgument) {
  HookOptions o;
  o.program = Script("record.sh", "cat > \"$(dirname \"$0\")/stdin.json\"\necho \"$1 $LIFELINE_EVENT\" > \"$(dirname \"$0\")/argv\"\n");
  HookOutcome out = RunOne(o, Event());
  EXPECT_EQ(out.outcome, "ok");
  EXPECT_EQ(out.exit_status, 0);
  auto got = nlohmann::json::parse(Read("stdin.json"));
  EXPECT_EQ(got["event"], "report_accepted");
  EXPECT_EQ(got["seq"], 7);
  EXPECT_EQ(got["report_id"], "R-1");
  EXPECT_EQ(Read("argv"), "report_accepted report_accepted\n");
}

TEST_F(HookRunnerTest, NonZeroExitIsFailedWithTheStartOfItsOutput) {
  HookOptions o;
  o.program = Script("fail.sh", "cat >/dev/null\necho 'the pager gateway refused' >&2\nexit 3\n");
  HookOutcome out = RunOne(o, Event());
  EXPECT_EQ(out.outcome, "failed");
  EXPECT_EQ(out.exit_status, 3);
  EXPECT_EQ(out.detail, "the pager gateway refused\n");
}

TEST_F(HookRunnerTest, ProgramPastItsTimeoutIsKilledWithWhatItStarted) {
  HookOptions o;
  o.timeout = std::chrono::seconds(1);
  // A child of the hook that would outlive it: the whole process group goes.
  o.program = Script("hang.sh", "sleep 300 &\necho $! > \"$(dirname \"$0\")/child\"\nwait\n");
  HookOutcome out = RunOne(o, Event());
  EXPECT_EQ(out.outcome, "timeout");
  EXPECT_EQ(out.signal, SIGTERM);
  const pid_t child = std::stoi(Read("child"));
  for (int i = 0; i < 100 && kill(child, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_NE(kill(child, 0), 0) << "the hook's own child survived its timeout";
}

TEST_F(HookRunnerTest, ProgramThatIgnoresTermIsKilled) {
  HookOptions o;
  o.timeout = std::chrono::seconds(1);
  o.program = Script("stubborn.sh", "trap '' TERM\nwhile :; do sleep 1; done\n");
  HookOutcome out = RunOne(o, Event());
  EXPECT_EQ(out.outcome, "timeout");
  EXPECT_EQ(out.signal, SIGKILL);
}

TEST_F(HookRunnerTest, MissingOrNonExecutableProgramIsNotStarted) {
  HookOptions o;
  o.program = (dir_ / "absent").string();
  HookOutcome out = RunOne(o, Event());
  EXPECT_EQ(out.outcome, "not_started");
  EXPECT_NE(out.detail.find("absent"), std::string::npos) << out.detail;

  const std::string plain = (dir_ / "plain").string();
  std::ofstream(plain) << "not a program";
  o.program = plain;
  out = RunOne(o, Event());
  EXPECT_NE(out.outcome, "ok");
}

TEST_F(HookRunnerTest, BinaryHugeAndCutOutputIsKeptAsValidUtf8) {
  HookOptions o;
  // Bytes that are not UTF-8, then far more output than is kept, ending in
  // a 3-byte character that the kept length would cut.
  o.program = Script("noisy.sh",
                     "printf '\\377\\376\\000\\300bad'\n"
                     "i=0; while [ $i -lt 2000 ]; do printf '通報'; i=$((i+1)); done\n"
                     "head -c 300000 /dev/zero\n");
  HookOutcome out = RunOne(o, Event());
  EXPECT_EQ(out.outcome, "ok");
  EXPECT_LE(out.detail.size(), 1024u * 3);
  EXPECT_NO_THROW(nlohmann::json({{"output", out.detail}}).dump());
  EXPECT_NE(out.detail.find("bad"), std::string::npos);
}

TEST_F(HookRunnerTest, RunsBeyondTheLimitWaitAndBeyondTheQueueAreDropped) {
  HookOptions o;
  o.max_running = 1;
  o.max_waiting = 2;
  o.program = Script("count.sh", "cat >/dev/null\necho x >> \"$(dirname \"$0\")/runs\"\n");
  asio::io_context io;
  HookRunner runner(io, o);
  std::vector<std::string> outcomes;
  for (int i = 0; i < 4; ++i) runner.Run(Event(), [&](const HookOutcome& out) { outcomes.push_back(out.outcome); });
  while (outcomes.size() < 4 && io.run_one_for(std::chrono::seconds(30)) > 0) {
  }
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), "ok"), 3);
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), "not_started"), 1);
  EXPECT_EQ(Read("runs"), "x\nx\nx\n");
}

TEST(JournalSafeOutput, ReplacesWhatIsNotUtf8AndKeepsTheRest) {
  EXPECT_EQ(JournalSafeOutput("ok 通報\n"), "ok 通報\n");
  EXPECT_EQ(JournalSafeOutput(std::string("a\xff" "b", 3)), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(JournalSafeOutput(std::string("\xe9\x80", 2)), "\xEF\xBF\xBD");  // a character cut short
  EXPECT_EQ(JournalSafeOutput(""), "");
}

JournalEntry Entry(std::string type, std::string payload, std::string report = "R-1") {
  JournalEntry e;
  e.seq = 12;
  e.wall_time = "2026-11-21T02:05:00.000000Z";
  e.type = std::move(type);
  e.report_id = std::move(report);
  e.payload = std::move(payload);
  return e;
}

TEST(HookEventFor, MapsJournalFactsToNamedEvents) {
  std::optional<bool> mains;
  auto ev = HookEventFor(Entry("report.state", R"({"from":"queued","to":"accepted"})"), &mains);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->name, "report_accepted");
  EXPECT_EQ(ev->event["report_id"], "R-1");
  EXPECT_EQ(ev->event["seq"], 12);
  EXPECT_EQ(ev->event["detail"]["from"], "queued");
  EXPECT_EQ(HookEventFor(Entry("report.state", R"({"to":"fallback"})"), &mains)->name, "fallback_started");
  EXPECT_EQ(HookEventFor(Entry("report.state", R"({"to":"accepted_late"})"), &mains)->name, "late_submission_accepted");
  EXPECT_EQ(HookEventFor(Entry("notification.state", R"({"to":"confirmed"})"), &mains)->name, "recipient_confirmed");
  EXPECT_FALSE(HookEventFor(Entry("notification.state", R"({"to":"in_progress"})"), &mains));
  EXPECT_EQ(HookEventFor(Entry("link.outage", "{}", ""), &mains)->event["cause"], "network");
  EXPECT_EQ(HookEventFor(Entry("link.recovered", "{}", ""), &mains)->name, "recovery");
  EXPECT_EQ(HookEventFor(Entry("contact.down", R"({"channel":"fax"})", ""), &mains)->name, "contact_channel_down");
}

TEST(HookEventFor, PowerIsAnEventOnlyWhenTheMainsChange) {
  std::optional<bool> mains;
  EXPECT_FALSE(HookEventFor(Entry("power.change", R"({"known":true,"on_battery":false})", ""), &mains));
  auto out = HookEventFor(Entry("power.change", R"({"known":true,"on_battery":true})", ""), &mains);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->name, "outage");
  EXPECT_EQ(out->event["cause"], "power");
  EXPECT_FALSE(HookEventFor(Entry("power.change", R"({"known":true,"on_battery":true,"charge_percent":80})", ""), &mains));
  EXPECT_EQ(HookEventFor(Entry("power.change", R"({"known":true,"on_battery":false})", ""), &mains)->name, "recovery");
}

TEST(HookEventFor, PayloadThatIsNotJsonIsNoEvent) {
  std::optional<bool> mains;
  EXPECT_FALSE(HookEventFor(Entry("report.state", "{not json"), &mains));
  EXPECT_FALSE(HookEventFor(Entry("report.state", "[1,2]"), &mains));
  EXPECT_FALSE(HookEventFor(Entry("report.state", std::string("\xff\xfe", 2)), &mains));
}

}  // namespace
}  // namespace lifeline
