// The supervisor's hooks as lifelined wires them, on the story's real parts
// with supervisor-sim as the supervisor: the SMS modem's port lost past
// modem_port_lost_seconds, or the modem still failing after the SMS engine's
// own reset, brings a modem power-cycle request to the supervisor; a report in fallback during an outage changes the alarm the room
// sees (outage, fallback under way, outage again once everyone is confirmed);
// the drill button starts the configured scenario, a second press while it
// runs is journaled and ignored, and the drill's fallback shows through to all
// confirmed.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/integration/escalation/story.h"
#include "tests/integration/supervisor/processes.h"

namespace lifeline::story {
namespace {

using nlohmann::json;

std::string SupervisorConfig(const supervisor::testing::SimSupervisor& sim) {
  return "[power]\nsource = \"supervisor\"\n[supervisor]\ndevice = \"" + sim.link() +
         "\"\nheartbeat_ms = 200\nmodem_port_lost_seconds = 1\n";
}

bool Journaled(const Story& s, const std::string& type, const std::string& like) {
  return !s.Query("SELECT seq FROM journal WHERE type = '" + type + "' AND payload LIKE ?", like).empty();
}

// The seq of the first journal entry of `type` whose payload is LIKE `like`; -1 when none.
int64_t FirstSeq(const Story& s, const std::string& type, const std::string& like) {
  auto rows = s.Query("SELECT MIN(seq) FROM journal WHERE type = '" + type + "' AND payload LIKE ?", like);
  std::string seq = rows.size() == 1 ? rows[0][0].get<std::string>() : "";
  return seq.empty() ? -1 : std::stoll(seq);
}

// The payload of the last alarm pattern journaled as sent.
std::string LastAlarm(const Story& s) {
  auto rows = s.Query("SELECT payload FROM journal WHERE type = 'supervisor.alarm' ORDER BY seq DESC LIMIT 1");
  return rows.empty() ? "" : rows[0][0].get<std::string>();
}

std::string Output(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return "(cannot run " + command + ")";
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  return out;
}

class SupervisorWiringTest : public ::testing::Test {
 protected:
  SupervisorWiringTest() : dir_(supervisor::testing::ScratchDir(Name())), sim_(dir_) {}
  // Kept when the test failed: its log and flash are the evidence.
  ~SupervisorWiringTest() override {
    sim_.Stop();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  static std::string Name() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }

  void StartSupervisor() {
    ASSERT_TRUE(sim_.Start().ok());
    ASSERT_TRUE(sim_.Control("mains 2400").ok());
    ASSERT_TRUE(sim_.Control("battery 13600").ok());
  }
  // Bounded: the link's handshake is journaled once the supervisor answered.
  void WaitForLink(const Story& s) {
    ASSERT_TRUE(Story::WaitFor([&] { return Journaled(s, "supervisor.link", "%\"up\":true%"); }, 15))
        << "lifelined never reached the supervisor\n" << s.Log();
  }

  std::string dir_;
  supervisor::testing::SimSupervisor sim_;
};

TEST_F(SupervisorWiringTest, ModemPortLostIsPowerCycledThroughTheSupervisor) {
  StartSupervisor();
  Story s("sup-modem");
  ASSERT_TRUE(s.Start(SupervisorConfig(sim_))) << s.Log();
  WaitForLink(s);
  ASSERT_TRUE(Story::WaitFor([&] { return Journaled(s, "channel.health", "%\"ready\":true%"); }, 15))
      << "the modem never became ready\n" << s.Log();
  ASSERT_EQ(sim_.StatusField("modem_cycles"), 0);

  ASSERT_TRUE(s.modem().Control("unplug 0").ok());  // gone for good: only its power can bring it back
  ASSERT_TRUE(Story::WaitFor([&] { return sim_.StatusField("modem_cycles") >= 1; }, 15))
      << "the supervisor was never asked to power-cycle the modem\n" << s.Log();
  ASSERT_TRUE(Story::WaitFor([&] { return Journaled(s, "supervisor.modem_power_cycle", "%\"started\":true%"); }, 10))
      << "the supervisor's answer was not journaled\n" << s.Log();
  EXPECT_TRUE(Journaled(s, "supervisor.modem_power_cycle", "%\"port_open\":false%\"requested\":true%"));
  EXPECT_TRUE(Story::WaitFor([&] { return Journaled(s, "supervisor.event", "%\"event\":\"modem_cycle\"%"); }, 10))
      << "the supervisor's own log of the cycle was not journaled\n" << s.Log();
  EXPECT_EQ(sim_.StatusField("modem_cycles"), 1) << "cycled again within modem_cycle_min_interval_seconds";
  EXPECT_TRUE(s.JournalVerifies());
}

// The SMS engine's own remedy first: K sends refused as modem trouble make it
// reset the modem; a reset that leaves it not ready brings the power cycle.
TEST_F(SupervisorWiringTest, ModemTroubleAfterItsResetIsPowerCycledThroughTheSupervisor) {
  StartSupervisor();
  Story s("sup-modem-reset");
  s.time_scale = 120;  // the escalation point, and the first SMS, 10 s after awareness
  ASSERT_TRUE(s.Start(SupervisorConfig(sim_))) << s.Log();
  WaitForLink(s);
  ASSERT_TRUE(Story::WaitFor([&] { return Journaled(s, "channel.health", "%\"ready\":true%"); }, 15))
      << "the modem never became ready\n" << s.Log();
  ASSERT_TRUE(s.modem().Control("cms 300 always").ok());  // ME failure on every AT+CMGS
  ASSERT_TRUE(s.site().SetFaults({{"refuse", true}}));
  std::string id = s.FileReport(2);
  ASSERT_FALSE(id.empty()) << s.Log();
  ASSERT_TRUE(Story::WaitFor([&] { return Journaled(s, "channel.health", "%\"resets\":1%"); }, 25))
      << "the SMS engine never reset the modem\n" << s.Log();
  ASSERT_TRUE(Story::WaitFor([&] { return sim_.StatusField("modem_cycles") >= 1; }, 10))
      << "the supervisor was never asked to power-cycle the modem\n" << s.Log();
  ASSERT_TRUE(Story::WaitFor([&] { return Journaled(s, "supervisor.modem_power_cycle", "%\"started\":true%"); }, 10))
      << s.Log();
  EXPECT_TRUE(Journaled(s, "supervisor.modem_power_cycle", "%\"resets\":1%\"requested\":true%"));
  EXPECT_TRUE(s.JournalVerifies());
}

TEST_F(SupervisorWiringTest, FallbackInAnOutageShowsUntilEveryoneIsConfirmed) {
  StartSupervisor();
  Story s("sup-alarm");
  s.time_scale = 120;  // a 30-second hour: the escalation point 10 s after awareness
  ASSERT_TRUE(s.Start(SupervisorConfig(sim_))) << s.Log();
  WaitForLink(s);
  ASSERT_TRUE(s.site().SetFaults({{"refuse", true}}));
  std::string id = s.FileReport(2);
  ASSERT_FALSE(id.empty()) << s.Log();
  ASSERT_TRUE(Story::WaitFor([&] { return Journaled(s, "supervisor.alarm", "%\"pattern\":\"outage\"%"); }, 15))
      << "the supervisor never showed the site's outage\n" << s.Log();
  ASSERT_TRUE(Story::WaitFor([&] { return s.ReportState(id) == "fallback"; }, 25)) << s.Log();
  ASSERT_TRUE(Story::WaitFor([&] { return Journaled(s, "supervisor.alarm", "%\"pattern\":\"fallback\"%"); }, 10))
      << "the supervisor never showed the fallback under way\n" << s.Log();
  ASSERT_TRUE(Story::WaitFor([&] { return BothConfirmed(s, id); }, 25)) << s.Log();
  // Everyone reached: the fallback's pattern ends; the outage, which outranks all confirmed, remains.
  ASSERT_TRUE(Story::WaitFor([&] { return sim_.StatusField("alarm") == 3; }, 10))
      << "the supervisor still shows alarm " << sim_.StatusField("alarm") << " with everyone confirmed\n" << s.Log();
  EXPECT_TRUE(Story::WaitFor([&] { return LastAlarm(s).find("\"outage\"") != std::string::npos; }, 10)) << LastAlarm(s);
  EXPECT_GT(FirstSeq(s, "supervisor.alarm", "%\"pattern\":\"fallback\"%"),
            FirstSeq(s, "supervisor.alarm", "%\"pattern\":\"outage\"%"));
  EXPECT_TRUE(s.JournalVerifies());
}

// A drill's report falls back on its own simulated loss of the site, with no
// outage of the box's link: the room sees its fallback through to all confirmed.
TEST_F(SupervisorWiringTest, DrillButtonStartsTheConfiguredScenarioOnce) {
  StartSupervisor();
  Story s("sup-drill");
  s.time_scale = 120;
  ASSERT_TRUE(s.Start("[console]\nlisten = \"127.0.0.1\"\nport = 0\ndrill_scenarios = \"" LIFELINE_SOURCE_DIR
                      "/config/drills\"\n" + SupervisorConfig(sim_)))
      << s.Log();
  WaitForLink(s);
  ASSERT_TRUE(sim_.Control("press drill").ok());
  ASSERT_TRUE(Story::WaitFor([&] { return Journaled(s, "drill.button", "%\"started\":true%"); }, 15))
      << "the drill button started no drill\n" << s.Log();
  EXPECT_TRUE(Journaled(s, "drill.button", "%\"scenario\":\"network-loss\"%\"started\":true%"));
  EXPECT_TRUE(Journaled(s, "drill.start", "%\"by\":\"supervisor:drill-button\"%"))
      << "the drill is not journaled as started by the drill button";
  EXPECT_TRUE(Story::WaitFor([&] { return Journaled(s, "supervisor.event", "%\"event\":\"drill_button\"%"); }, 10));
  const std::string cli = LIFELINE_BINARY_DIR "/tools/lifeline/lifeline --socket " + s.daemon().socket_path();
  std::string list = Output(cli + " drill list");
  EXPECT_NE(list.find("1 drill(s)"), std::string::npos) << list;
  EXPECT_NE(list.find("running"), std::string::npos) << list;
  auto press = s.Query("SELECT payload FROM journal WHERE type = 'drill.button' AND payload LIKE ?", "%\"started\":true%");
  ASSERT_EQ(press.size(), 1u);
  std::string drill_id = json::parse(press[0][0].get<std::string>()).value("drill_id", "");
  std::string timeline = Output(cli + " drill timeline " + drill_id);
  EXPECT_NE(timeline.find("drill button (scenario network-loss)"), std::string::npos) << timeline;

  ASSERT_TRUE(sim_.Control("press drill").ok());
  ASSERT_TRUE(Story::WaitFor([&] { return Journaled(s, "drill.button", "%\"started\":false%still running%"); }, 15))
      << "the second press was not journaled as ignored\n" << s.Log();
  list = Output(cli + " drill list");
  EXPECT_NE(list.find("1 drill(s)"), std::string::npos) << "a second drill was started:\n" << list;

  ASSERT_TRUE(Story::WaitFor([&] { return Journaled(s, "supervisor.alarm", "%\"pattern\":\"fallback\"%"); }, 25))
      << "the drill's fallback never showed on the supervisor\n" << s.Log();
  ASSERT_TRUE(Story::WaitFor([&] { return sim_.StatusField("alarm") == 1; }, 25))
      << "the supervisor does not show all confirmed (alarm " << sim_.StatusField("alarm") << ")\n" << s.Log();
  EXPECT_GT(FirstSeq(s, "supervisor.alarm", "%\"pattern\":\"all_confirmed\"%"),
            FirstSeq(s, "supervisor.alarm", "%\"pattern\":\"fallback\"%"));
  EXPECT_TRUE(s.JournalVerifies());
}

}  // namespace
}  // namespace lifeline::story
