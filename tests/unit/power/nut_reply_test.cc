// The upsd reply and ups.status parsers, on transcripts taken from NUT 2.8.0's upsd with the
// dummy-ups driver (Debian bookworm), and on broken replies that must fail cleanly.
#include <gtest/gtest.h>

#include "daemon/power/power.h"

namespace lifeline {
namespace {

using std::chrono::seconds;

// `LIST VAR test` from upsd 2.8.0 / dummy-ups 2.8.0 in dummy-once mode, on battery.
constexpr std::string_view kDummyUpsOnBattery =
    "BEGIN LIST VAR test\n"
    "VAR test battery.charge \"60\"\n"
    "VAR test battery.runtime \"900\"\n"
    "VAR test device.mfr \"Dummy Manufacturer\"\n"
    "VAR test device.model \"Dummy UPS\"\n"
    "VAR test device.type \"ups\"\n"
    "VAR test driver.name \"dummy-ups\"\n"
    "VAR test driver.parameter.mode \"dummy-once\"\n"
    "VAR test driver.parameter.pollinterval \"2\"\n"
    "VAR test driver.parameter.port \"/tmp/nutx/test.dev\"\n"
    "VAR test driver.parameter.synchronous \"auto\"\n"
    "VAR test driver.version \"2.8.0\"\n"
    "VAR test driver.version.internal \"0.15\"\n"
    "VAR test ups.mfr \"Dummy Manufacturer\"\n"
    "VAR test ups.model \"Dummy UPS\"\n"
    "VAR test ups.status \"OB\"\n"
    "END LIST VAR test\n";

TEST(ParseUpsStatus, OnlineIsMainsOk) {
  Result<PowerState> s = ParseUpsStatus("OL");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->known);
  EXPECT_TRUE(s->mains_ok);
  EXPECT_FALSE(s->on_battery);
  EXPECT_FALSE(s->low_battery);
  EXPECT_EQ(s->status, "OL");
}

TEST(ParseUpsStatus, OnlineChargingToleratesExtraFlags) {
  Result<PowerState> s = ParseUpsStatus("OL CHRG RB");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->mains_ok);
  EXPECT_FALSE(s->low_battery);
}

TEST(ParseUpsStatus, OnBatteryDischarging) {
  Result<PowerState> s = ParseUpsStatus("OB DISCHRG");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->mains_ok);
  EXPECT_TRUE(s->on_battery);
  EXPECT_FALSE(s->low_battery);
}

TEST(ParseUpsStatus, LowBatteryAndForcedShutdown) {
  Result<PowerState> lb = ParseUpsStatus("OB LB");
  ASSERT_TRUE(lb.ok());
  EXPECT_TRUE(lb->on_battery);
  EXPECT_TRUE(lb->low_battery);
  Result<PowerState> fsd = ParseUpsStatus("FSD OB LB");
  ASSERT_TRUE(fsd.ok());
  EXPECT_TRUE(fsd->low_battery);
}

TEST(ParseUpsStatus, RejectsWhatSaysNothingAboutMains) {
  for (std::string_view bad : {"", "   ", "OL OB", "LB", "WAIT", "ol", "OB\x01", "OB-LB", "\xff\xfe"}) {
    Result<PowerState> s = ParseUpsStatus(bad);
    EXPECT_FALSE(s.ok()) << "accepted '" << bad << "'";
    EXPECT_FALSE(s.status().message().empty());
  }
}

TEST(ParseVarLine, ValueWithEscapes) {
  Result<NutVar> v = ParseVarLine(R"(VAR ups1 ups.model "Smart \"UPS\" 1500 \\ rack")");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->ups, "ups1");
  EXPECT_EQ(v->name, "ups.model");
  EXPECT_EQ(v->value, R"(Smart "UPS" 1500 \ rack)");
}

TEST(ParseVarLine, ErrRepliesCarryTheirCode) {
  // upsd 2.8.0's words for GET VAR on a wrong UPS, a missing variable, a driver gone quiet.
  for (std::string_view err : {"ERR UNKNOWN-UPS", "ERR VAR-NOT-SUPPORTED", "ERR DATA-STALE",
                               "ERR DRIVER-NOT-CONNECTED"}) {
    Result<NutVar> v = ParseVarLine(err);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(v.status().message().find(err.substr(4)), std::string::npos) << v.status().message();
  }
}

TEST(ParseVarLine, RejectsGarbage) {
  for (std::string_view bad : {"", "VAR", "VAR ups", "VAR ups ups.status", "VAR ups ups.status OB",
                               "VAR ups ups.status \"OB", "VAR ups ups.status \"OB\" x",
                               "VAR ups ups.status \"OB\\", "OK Goodbye", "HTTP/1.1 400 Bad Request"}) {
    EXPECT_FALSE(ParseVarLine(bad).ok()) << "accepted '" << bad << "'";
  }
}

TEST(ParseVarList, DummyUpsTranscript) {
  auto vars = ParseVarList(kDummyUpsOnBattery, "test");
  ASSERT_TRUE(vars.ok()) << vars.status().ToString();
  EXPECT_EQ(vars->size(), 15u);
  EXPECT_EQ(vars->at("ups.status"), "OB");
  Result<PowerState> s = PowerStateFromVars(*vars);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->on_battery);
  EXPECT_EQ(s->runtime, seconds(900));
  EXPECT_EQ(s->charge_percent, 60);
  EXPECT_EQ(DescribePowerState(*s), "on battery, runtime 900 s, charge 60% [OB]");
}

TEST(ParseVarList, AcceptsCrLf) {
  auto vars = ParseVarList("BEGIN LIST VAR u\r\nVAR u ups.status \"OL\"\r\nEND LIST VAR u\r\n", "u");
  ASSERT_TRUE(vars.ok()) << vars.status().ToString();
  EXPECT_EQ(vars->at("ups.status"), "OL");
}

TEST(ParseVarList, ErrInsteadOfList) {
  auto vars = ParseVarList("ERR UNKNOWN-UPS\n", "nope");
  ASSERT_FALSE(vars.ok());
  EXPECT_EQ(vars.status().code(), StatusCode::kUnavailable);
}

TEST(ParseVarList, TruncatedAtEveryByteFailsCleanly) {
  std::string_view full = kDummyUpsOnBattery;
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_FALSE(ParseVarList(full.substr(0, n), "test").ok()) << "accepted the first " << n << " bytes";
  }
}

TEST(ParseVarList, RejectsOtherUpsAndMissingBegin) {
  EXPECT_FALSE(ParseVarList(kDummyUpsOnBattery, "other").ok());
  EXPECT_FALSE(ParseVarList("VAR test ups.status \"OL\"\nEND LIST VAR test\n", "test").ok());
  EXPECT_FALSE(ParseVarList("BEGIN LIST VAR test\nVAR x ups.status \"OL\"\nEND LIST VAR test\n", "test").ok());
  EXPECT_FALSE(ParseVarList("BEGIN LIST VAR test\ngarbage\nEND LIST VAR test\n", "test").ok());
}

TEST(PowerStateFromVars, NeedsStatus) {
  Result<PowerState> s = PowerStateFromVars({{"battery.runtime", "100"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
}

TEST(PowerStateFromVars, UnreadableNumbersAreLeftOutNotFatal) {
  // Losing "on battery" because a driver garbled the runtime would be the worse mistake.
  Result<PowerState> s = PowerStateFromVars(
      {{"ups.status", "OB LB"}, {"battery.runtime", "soon"}, {"battery.charge", "140"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->low_battery);
  EXPECT_FALSE(s->runtime.has_value());
  EXPECT_FALSE(s->charge_percent.has_value());
  EXPECT_NE(s->detail.find("battery.runtime"), std::string::npos);
  EXPECT_NE(s->detail.find("battery.charge"), std::string::npos);
}

TEST(PowerStateFromVars, FractionalValuesRound) {
  Result<PowerState> s = PowerStateFromVars(
      {{"ups.status", "OL"}, {"battery.runtime", "1799.6"}, {"battery.charge", "99.5"}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->runtime, seconds(1800));
  EXPECT_EQ(s->charge_percent, 100);
}

PowerState Known(std::string_view status, std::optional<seconds> runtime) {
  PowerState s = *ParseUpsStatus(status);
  s.runtime = runtime;
  return s;
}

TEST(IsReportableChange, FlagsAndKnowingAreNews) {
  const seconds step(60);
  PowerState unknown;
  EXPECT_TRUE(IsReportableChange(unknown, Known("OL", seconds(1800)), step));
  EXPECT_TRUE(IsReportableChange(Known("OL", seconds(1800)), Known("OB", seconds(1800)), step));
  EXPECT_TRUE(IsReportableChange(Known("OB", seconds(900)), Known("OB LB", seconds(900)), step));
  EXPECT_TRUE(IsReportableChange(Known("OB", seconds(900)), unknown, step));
  EXPECT_FALSE(IsReportableChange(Known("OB", seconds(900)), Known("OB DISCHRG", seconds(900)), step));
  PowerState other_reason;
  other_reason.detail = "timeout";
  EXPECT_FALSE(IsReportableChange(unknown, other_reason, step));
}

TEST(IsReportableChange, RuntimeOnlyWhenItMovesAStep) {
  const seconds step(60);
  EXPECT_FALSE(IsReportableChange(Known("OB", seconds(900)), Known("OB", seconds(870)), step));
  EXPECT_TRUE(IsReportableChange(Known("OB", seconds(900)), Known("OB", seconds(840)), step));
  EXPECT_TRUE(IsReportableChange(Known("OB", seconds(900)), Known("OB", std::nullopt), step));
}

}  // namespace
}  // namespace lifeline
