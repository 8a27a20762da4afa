// The modem power-cycle sequence against a module model: a module that powers
// off and on through PWRKEY, one that hangs and needs RESET_N, one with no
// STATUS at all.
#include <gtest/gtest.h>

#include <string>

#include "modem.h"

namespace {

struct Module {
  bool on = true, hung = false, dead = false;
  uint32_t key_ms = 0;
  // A PWRKEY press of 500 ms or more toggles power when released (EC2x behaviour).
  void Drive(const modem_lines& l, uint32_t step_ms) {
    if (l.pwrkey) {
      key_ms += step_ms;
    } else {
      if (key_ms >= 500 && !hung && !dead) on = !on;
      key_ms = 0;
    }
    if (l.reset && !dead) {
      hung = false;
      on = true;
    }
  }
};

struct CycleRun {
  modem_result result = MODEM_RESULT_OK;
  std::string trace;  // K = PWRKEY pulse, R = RESET pulse
  bool done = false;
};

CycleRun Cycle(Module& mod) {
  modem m;
  modem_init(&m);
  uint32_t now = 5000;
  EXPECT_TRUE(modem_start(&m, now));
  EXPECT_FALSE(modem_start(&m, now));  // one at a time
  CycleRun r;
  bool key = false, rst = false;
  for (int i = 0; i < 10000 && !r.done; ++i) {  // 100 s at most
    now += 10;
    modem_lines l = modem_step(&m, now, mod.on && !mod.dead);
    if (l.pwrkey && !key) r.trace += "K";
    if (l.reset && !rst) r.trace += "R";
    key = l.pwrkey;
    rst = l.reset;
    mod.Drive(l, 10);
    if (l.done) {
      r.done = true;
      r.result = l.result;
    }
  }
  return r;
}

TEST(ModemTest, HealthyModulePowersOffAndOn) {
  Module mod;
  CycleRun r = Cycle(mod);
  ASSERT_TRUE(r.done);
  EXPECT_EQ(r.result, MODEM_RESULT_OK);
  EXPECT_EQ(r.trace, "KK");
  EXPECT_TRUE(mod.on);
}

TEST(ModemTest, HungModuleIsResetThroughResetLine) {
  Module mod;
  mod.hung = true;
  CycleRun r = Cycle(mod);
  ASSERT_TRUE(r.done);
  EXPECT_EQ(r.result, MODEM_RESULT_FORCED);
  EXPECT_EQ(r.trace, "KR");
  EXPECT_TRUE(mod.on);
}

TEST(ModemTest, DeadModuleIsReported) {
  Module mod;
  mod.dead = true;
  CycleRun r = Cycle(mod);
  ASSERT_TRUE(r.done);
  EXPECT_EQ(r.result, MODEM_RESULT_NO_STATUS);
  EXPECT_EQ(r.trace, "KK");
}

}  // namespace
