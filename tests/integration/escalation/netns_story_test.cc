// The network-cut story over a real link: lifelined runs in one network
// namespace and site-sim in another, joined only by a veth pair, and the cut is
// that veth taken down with `ip`, not site-sim's "refuse" fault, so nothing
// answers at all while it lasts. The superior agency must still be confirmed by
// SMS and the national centre by fax before the deadline, the stated reason must
// be a network one, and once the link is back the report goes in late, exactly
// once, with its fallback evidence. Needs root (network namespaces); skips with
// the reason otherwise.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "tests/integration/escalation/story.h"
#include "tests/support/skip.h"
#include "tests/support/netns.h"

namespace lifeline::story {
namespace {

using nlohmann::json;
using testing_support::NetnsPair;

TEST(NetnsStoryTest, RealLinkCutNotifiesBothThenReplaysLate) {
  std::string why;
  if (!NetnsPair::Available(&why)) LIFELINE_SKIP_OR_FAIL("needs network namespaces, which this host refuses: " + why);
  std::string error;
  // Declared before the Story so that the Story stops its processes before the namespaces go.
  std::unique_ptr<NetnsPair> net = NetnsPair::Create(&error);
  ASSERT_TRUE(net) << error;
  Story s("story-netns");
  ASSERT_TRUE(s.Start("", net.get())) << s.Log();

  ASSERT_TRUE(net->LinkDown(&error)) << error;
  std::string id = s.FileReport(2);
  ASSERT_FALSE(id.empty()) << s.Log();

  ASSERT_TRUE(Story::WaitFor([&] { return BothConfirmed(s, id); }, 150)) << s.Log();
  EXPECT_EQ(s.ReportState(id), "fallback");
  ExpectConfirmedBeforeDeadline(s, id);
  // site-sim's admin port is inside its own namespace, reachable while the veth is down.
  EXPECT_EQ(s.site().Count(id), 0);
  const std::set<std::string> network_classes = {"connect", "timeout", "transport"};
  auto stored = s.Query("SELECT fallback FROM reports WHERE report_id = ?", id);
  ASSERT_EQ(stored.size(), 1u);
  json reason = json::parse(stored[0][0].get<std::string>(), nullptr, false);
  ASSERT_TRUE(reason.is_object()) << stored[0][0];
  EXPECT_TRUE(network_classes.count(reason.value("reason_class", ""))) << reason.dump(1);

  ASSERT_TRUE(net->LinkUp(&error)) << error;
  ASSERT_TRUE(Story::WaitFor([&] { return s.ReportState(id) == "accepted_late"; }, 60)) << s.Log();
  json fallback = ExpectOneLateRecord(s, id);
  EXPECT_TRUE(network_classes.count(fallback.value("reason_class", ""))) << fallback.dump(1);
  EXPECT_NE(fallback.value("reason", "").find("網路中斷"), std::string::npos) << fallback.dump(1);
  ASSERT_FALSE(s.modem().Submits().empty());
  for (const auto& sub : s.modem().Submits()) {
    ASSERT_TRUE(sub.decoded_ok);
    EXPECT_EQ(sub.decoded.to.ToString(), kSuperiorSms);
  }
  EXPECT_TRUE(s.JournalVerifies());
}

}  // namespace
}  // namespace lifeline::story
