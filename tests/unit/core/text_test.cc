// Bytes from outside as text: valid UTF-8 kept, invalid sequences (bare
// continuation bytes, overlongs, surrogates, truncated sequences) replaced by
// U+FFFD, control bytes escaped, the raw bytes in hex, and a JSON dump that
// never throws.
#include "daemon/core/text.h"

#include <gtest/gtest.h>

namespace lifeline {
namespace {

TEST(TextTest, ValidUtf8IsKept) {
  EXPECT_TRUE(IsValidUtf8("國家資通安全 +886 2 2733 1655"));
  EXPECT_EQ(SafeText("國家 ok\tend"), "國家 ok\tend");
}

TEST(TextTest, EveryKindOfInvalidSequenceIsReplaced) {
  for (const char* bad : {"\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe4\xb8",
                          "\xff", "\xfe"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << HexBytes(bad);
    std::string safe = SafeText(bad);
    EXPECT_TRUE(IsValidUtf8(safe)) << HexBytes(bad);
    EXPECT_NE(safe.find("\xEF\xBF\xBD"), std::string::npos) << HexBytes(bad);
  }
}

TEST(TextTest, ControlBytesAreEscaped) {
  EXPECT_EQ(SafeText(std::string("a\x1b[2Jb\0c\r\n", 10)), "a\\x1b[2Jb\\x00c\\x0d\\x0a");
}

TEST(TextTest, LongTextIsCutAtACharacterBoundary) {
  std::string s;
  for (int i = 0; i < 100; ++i) s += "中";
  std::string cut = SafeText(s, 10);
  EXPECT_TRUE(IsValidUtf8(cut));
  EXPECT_EQ(cut, "中中中…");
}

TEST(TextTest, EvidenceKeepsTheRawBytesOnlyWhenNeeded) {
  EXPECT_EQ(TextEvidence("+886 2 2733"), nlohmann::json("+886 2 2733"));
  nlohmann::json odd = TextEvidence("+886\xff\x1b");
  EXPECT_EQ(odd["hex"], "2b383836ff1b");
  EXPECT_EQ(odd["text"], "+886\xEF\xBF\xBD\\x1b");
}

TEST(TextTest, DumpNeverThrows) {
  nlohmann::json j = {{"csi", std::string("\xff\xfe")}};
  EXPECT_THROW((void)j.dump(), nlohmann::json::type_error);
  EXPECT_NO_THROW((void)DumpJson(j));
  EXPECT_TRUE(IsValidUtf8(DumpJson(j)));
}

}  // namespace
}  // namespace lifeline
