#include "daemon/core/status.h"

#include <gtest/gtest.h>

namespace lifeline {
namespace {

Status FailWhen(bool fail) { return fail ? IoError("disk said no") : Status::Ok(); }

Status Chain(bool fail) {
  LIFELINE_RETURN_IF_ERROR(FailWhen(fail));
  return NotFound("reached the end");
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = ResourceExhausted("disk full");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.ToString(), "RESOURCE_EXHAUSTED: disk full");
}

TEST(StatusTest, ReturnIfErrorStopsEarly) {
  EXPECT_EQ(Chain(true).code(), StatusCode::kIoError);
  EXPECT_EQ(Chain(false).code(), StatusCode::kNotFound);
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  EXPECT_TRUE(good.status().ok());
  Result<int> bad = InvalidArgument("no");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lifeline
