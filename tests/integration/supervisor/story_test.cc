// The escalation story with the supervisor as the power source, beside the NUT
// one (tests/integration/escalation): supervisor-sim reports mains lost and a
// battery near its end, the site is lost with the mains, a filed report falls
// back at once (the battery will not last to the escalation point) with reason
// power, both recipients are confirmed, and once mains and site are back the
// report is re-submitted late with that reason.
#include <gtest/gtest.h>

#include "tests/integration/escalation/story.h"
#include "tests/integration/supervisor/processes.h"

namespace lifeline::story {
namespace {

using nlohmann::json;

TEST(SupervisorStoryTest, MainsLostAndBatteryLowFromTheSupervisor) {
  supervisor::testing::SimSupervisor sim(supervisor::testing::ScratchDir("story"));
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(sim.Control("mains 2400").ok());
  ASSERT_TRUE(sim.Control("battery 13600").ok());
  Story s("story-supervisor");
  // A one-minute full-battery runtime: at 10 % the box has six seconds, less than the
  // channels need (and sooner than the 20-second escalation point of the 60-second hour),
  // so the escalation point moves to now.
  ASSERT_TRUE(s.Start("[power]\nsource = \"supervisor\"\n[supervisor]\ndevice = \"" + sim.link() +
                      "\"\nheartbeat_ms = 200\nbattery_full_runtime_minutes = 1\n"))
      << s.Log();
  ASSERT_TRUE(sim.Control("mains 0").ok());
  ASSERT_TRUE(sim.Control("battery 11510").ok());
  auto low = [&] {
    return !s.Query("SELECT seq FROM journal WHERE type = 'power.change' AND payload LIKE '%\"low_battery\":true%'")
                .empty();
  };
  ASSERT_TRUE(Story::WaitFor(low, 30)) << s.Log();
  ASSERT_TRUE(s.site().SetFaults({{"refuse", true}}));
  std::string id = s.FileReport(2);
  ASSERT_FALSE(id.empty()) << s.Log();
  ASSERT_TRUE(Story::WaitFor([&] { return s.ReportState(id) == "fallback"; }, 30)) << s.Log();
  auto fallback = s.Query("SELECT fallback FROM reports WHERE report_id = ?", id);
  ASSERT_EQ(fallback.size(), 1u);
  json why = json::parse(fallback[0][0].get<std::string>());
  EXPECT_EQ(why["reason_class"], "power") << why.dump(1);
  EXPECT_NE(why["reason_zh"].get<std::string>().find("電力中斷"), std::string::npos) << why.dump(1);
  EXPECT_NE(why.value("why", "").find("on battery"), std::string::npos) << "escalation point not moved: " << why.dump(1);
  ASSERT_TRUE(Story::WaitFor([&] { return BothConfirmed(s, id); }, 150)) << s.Log();

  ASSERT_TRUE(sim.Control("mains 2400").ok());
  ASSERT_TRUE(sim.Control("battery 13600").ok());
  ASSERT_TRUE(s.site().SetFaults(nullptr));
  ASSERT_TRUE(Story::WaitFor([&] { return s.ReportState(id) == "accepted_late"; }, 60)) << s.Log();
  json late = ExpectOneLateRecord(s, id);
  EXPECT_EQ(late.value("reason_class", ""), "power");
  EXPECT_GT(s.JournalCount("supervisor.event"), 0);
  EXPECT_TRUE(s.JournalVerifies());
}

}  // namespace
}  // namespace lifeline::story
