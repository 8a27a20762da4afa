#include "daemon/core/time_format.h"

#include <gtest/gtest.h>

namespace lifeline {
namespace {

using std::chrono::hours;

TEST(Rfc3339Test, ParsesTaiwanOffsetAndRoundTrips) {
  auto t = ParseRfc3339("2026-11-21T09:58:00+08:00");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->offset_minutes, 480);
  EXPECT_EQ(FormatUtcMicros(t->instant), "2026-11-21T01:58:00.000000Z");
  EXPECT_EQ(FormatRfc3339(*t), "2026-11-21T09:58:00+08:00");
  EXPECT_EQ(FormatHuman(*t), "2026-11-21 09:58 (+08:00)");
}

TEST(Rfc3339Test, AcceptsZuluMinutesOnlyAndFractions) {
  auto z = ParseRfc3339("2026-01-01T00:00Z");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(FormatRfc3339(*z), "2026-01-01T00:00:00Z");
  auto f = ParseRfc3339("2026-01-01T00:00:01.25-05:30");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->offset_minutes, -330);
  EXPECT_EQ(FormatUtcMicros(f->instant), "2026-01-01T05:30:01.250000Z");
}

struct BadCase {
  const char* text;
  const char* why;
};

class Rfc3339RejectTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(Rfc3339RejectTest, Rejects) {
  auto t = ParseRfc3339(GetParam().text);
  ASSERT_FALSE(t.ok()) << GetParam().text;
  EXPECT_NE(t.status().message().find(GetParam().why), std::string::npos)
      << t.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Rfc3339RejectTest,
    ::testing::Values(BadCase{"2026-11-21T09:58:00", "missing UTC offset"},
                      BadCase{"2026-11-21 09:58:00+08:00", "expected"},
                      BadCase{"2026-02-29T00:00:00+08:00", "no such day"},
                      BadCase{"2026-02-30T00:00:00+08:00", "no such day"},
                      BadCase{"2026-13-01T00:00:00+08:00", "month"},
                      BadCase{"2026-11-21T24:00:00+08:00", "time of day"},
                      BadCase{"2026-11-21T09:58:00+0800", "offset must be"},
                      BadCase{"2026-11-21T09:58:00+24:00", "offset out of range"},
                      BadCase{"2026-11-21T09:58:00+08:00x", "unexpected text"},
                      BadCase{"", "expected"}));

TEST(Rfc3339Test, LeapDayInLeapYear) {
  EXPECT_TRUE(ParseRfc3339("2028-02-29T12:00:00+08:00").ok());
  EXPECT_TRUE(ParseRfc3339("2000-02-29T12:00:00+08:00").ok());
  EXPECT_FALSE(ParseRfc3339("2100-02-29T12:00:00+08:00").ok());
}

TEST(CalendarMonthsTest, ClampsToMonthEndInLocalTime) {
  auto t = ParseRfc3339("2026-01-31T23:30:00+08:00");  // 15:30Z on Jan 31
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatRfc3339(AddCalendarMonths(*t, 1)), "2026-02-28T23:30:00+08:00");
  EXPECT_EQ(FormatRfc3339(AddCalendarMonths(*t, 13)), "2027-02-28T23:30:00+08:00");
  auto u = ParseRfc3339("2026-11-21T09:58:00+08:00");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(FormatRfc3339(AddCalendarMonths(*u, 1)), "2026-12-21T09:58:00+08:00");
}

TEST(OffsetTest, SameInstantOtherOffset) {
  auto t = ParseRfc3339("2026-11-21T09:58:00+08:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatRfc3339(WithOffset(t->instant + hours(1), 0)), "2026-11-21T02:58:00Z");
}

}  // namespace
}  // namespace lifeline
