// NutPowerSource against Debian's real upsd and dummy-ups driver on loopback: the UPS goes
// OL -> OB -> OB LB -> OL by rewriting the driver's .dev file, and upsd or the driver goes
// away and comes back. Waits are bounded; assertions are on the states reported.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <functional>
#include <vector>

#include "daemon/power/power.h"
#include "tests/integration/power/nut_processes.h"

namespace lifeline {
namespace {

using namespace std::chrono_literals;
using testing::NutDevice;
using testing::NutProcesses;

class NutIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status started = nut_.Start({"OL", 1800, 100});
    ASSERT_TRUE(started.ok()) << "NUT did not start, so nothing here can be tested: "
                              << started.ToString();
    NutOptions options;
    options.port = nut_.port();
    options.ups = NutProcesses::kUps;
    options.poll_interval = 200ms;
    options.request_timeout = 2s;
    // Only flag changes count here: the driver may hand upsd a new runtime a poll before
    // the new status, and that alone is not a transition under test.
    options.runtime_step = 24h;
    source_ = std::make_unique<NutPowerSource>(io_, options);
    source_->OnChange([this](const PowerState& s) { reports_.push_back(s); });
    ASSERT_TRUE(source_->Start().ok());
  }

  // Runs the loop until `n` reports have arrived; bounded at 30 s, generous for a driver
  // that looks at its file once a second.
  bool AwaitReports(size_t n) {
    for (int i = 0; i < 300 && reports_.size() < n; ++i) io_.run_for(100ms);
    return reports_.size() >= n;
  }

  std::string Reports() const {
    std::string s;
    for (const PowerState& r : reports_) s += "\n  " + DescribePowerState(r);
    return s;
  }

  void Drive(const NutDevice& device) {
    Status set = nut_.SetDevice(device);
    ASSERT_TRUE(set.ok()) << set.ToString();
    size_t want = reports_.size() + 1;
    ASSERT_TRUE(AwaitReports(want)) << "no report after ups.status " << device.status
                                    << "; reports so far:" << Reports() << "\n" << nut_.Logs();
  }

  NutProcesses nut_;
  asio::io_context io_;
  std::unique_ptr<NutPowerSource> source_;
  std::vector<PowerState> reports_;
};

TEST_F(NutIntegrationTest, ReportsOlObLowBatteryAndBackOnceEach) {
  ASSERT_TRUE(AwaitReports(1)) << nut_.Logs();
  EXPECT_TRUE(reports_[0].mains_ok);
  EXPECT_EQ(reports_[0].runtime, 1800s);

  ASSERT_NO_FATAL_FAILURE(Drive({"OB DISCHRG", 1200, 80}));
  EXPECT_TRUE(reports_[1].on_battery);
  EXPECT_FALSE(reports_[1].low_battery);
  EXPECT_EQ(reports_[1].runtime, 1200s);
  EXPECT_EQ(reports_[1].charge_percent, 80);

  ASSERT_NO_FATAL_FAILURE(Drive({"OB LB", 120, 10}));
  EXPECT_TRUE(reports_[2].on_battery);
  EXPECT_TRUE(reports_[2].low_battery);
  EXPECT_EQ(reports_[2].runtime, 120s);

  ASSERT_NO_FATAL_FAILURE(Drive({"OL CHRG", 1500, 40}));
  EXPECT_TRUE(reports_[3].mains_ok);
  EXPECT_FALSE(reports_[3].low_battery);
  EXPECT_EQ(reports_[3].runtime, 1500s);

  // Several more polls of an unchanged UPS add nothing.
  for (int i = 0; i < 15; ++i) io_.run_for(100ms);
  EXPECT_EQ(reports_.size(), 4u) << Reports();
  EXPECT_TRUE(source_->Current().mains_ok);
}

TEST_F(NutIntegrationTest, UpsdGoneIsUnknownAndItsReturnIsNoticed) {
  ASSERT_TRUE(AwaitReports(1)) << nut_.Logs();
  ASSERT_NO_FATAL_FAILURE(Drive({"OB", 900, 50}));

  nut_.StopUpsd();
  ASSERT_TRUE(AwaitReports(3)) << "no report after upsd stopped:" << Reports();
  EXPECT_FALSE(reports_[2].known);
  EXPECT_FALSE(reports_[2].mains_ok);  // unknown is never "mains ok"
  EXPECT_FALSE(source_->Current().known);

  Status restarted = nut_.StartUpsd();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  ASSERT_TRUE(AwaitReports(4)) << "no report after upsd came back:" << Reports() << "\n" << nut_.Logs();
  EXPECT_TRUE(reports_[3].on_battery);
  EXPECT_EQ(reports_[3].runtime, 900s);
}

TEST_F(NutIntegrationTest, DriverGoneIsUnknown) {
  ASSERT_TRUE(AwaitReports(1)) << nut_.Logs();
  nut_.StopDriver();
  ASSERT_TRUE(AwaitReports(2)) << "no report after the driver stopped:" << Reports() << "\n" << nut_.Logs();
  // upsd says DRIVER-NOT-CONNECTED, or first passes on the driver's parting "WAIT" status;
  // either way it is no reading of the mains.
  EXPECT_FALSE(reports_[1].known) << reports_[1].detail;
  EXPECT_FALSE(reports_[1].mains_ok);
  EXPECT_FALSE(reports_[1].detail.empty());
}

}  // namespace
}  // namespace lifeline
