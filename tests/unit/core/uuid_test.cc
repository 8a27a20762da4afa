#include "daemon/core/uuid.h"

#include <gtest/gtest.h>

#include <set>

namespace lifeline {
namespace {

TEST(UuidTest, GeneratesDistinctVersion4Ids) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto id = NewUuidV4();
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(IsUuid(*id)) << *id;
    EXPECT_EQ((*id)[14], '4');
    seen.insert(*id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(UuidTest, RecognisesCanonicalFormOnly) {
  EXPECT_TRUE(IsUuid("0f8fad5b-d9cb-469f-a165-70867728950e"));
  EXPECT_FALSE(IsUuid("0f8fad5bd9cb469fa16570867728950e"));
  EXPECT_FALSE(IsUuid("0f8fad5b-d9cb-469f-a165-70867728950g"));
}

}  // namespace
}  // namespace lifeline
