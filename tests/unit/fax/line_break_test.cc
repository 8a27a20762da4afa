#include "daemon/channels/fax/line_break.h"

#include <gtest/gtest.h>

namespace lifeline::fax {
namespace {

// Every code point 10 units wide makes expectations easy to count.
int Ten(char32_t) { return 10; }

std::vector<std::u32string> Lines(const std::u32string& text, int max) {
  std::vector<std::u32string> out;
  for (auto s : BreakLines(text, Ten, max)) out.push_back(text.substr(s.begin, s.end - s.begin));
  return out;
}

TEST(LineBreak, BreaksBetweenCjkCharacters) {
  auto lines = Lines(U"資通安全事件通報單", 40);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], U"資通安全");
  EXPECT_EQ(lines[1], U"事件通報");
  EXPECT_EQ(lines[2], U"單");
}

TEST(LineBreak, KeepsLatinWordsWhole) {
  auto lines = Lines(U"中文 server 中文", 60);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], U"中文");
  EXPECT_EQ(lines[1], U"server");
  EXPECT_EQ(lines[2], U"中文");
}

TEST(LineBreak, NoLineStartsWithClosingPunctuation) {
  // The break would fall before "，"; the character before it moves down instead.
  auto lines = Lines(U"一二三四，五六", 40);
  ASSERT_GE(lines.size(), 2u);
  for (const auto& l : lines) EXPECT_FALSE(IsClosingPunct(l.front())) << lines.size();
  EXPECT_EQ(lines[0], U"一二三");
  EXPECT_EQ(lines[1], U"四，五六");
}

TEST(LineBreak, NoLineEndsWithOpeningPunctuation) {
  auto lines = Lines(U"一二三「四五」", 40);
  for (const auto& l : lines) EXPECT_FALSE(IsOpeningPunct(l.back()));
}

TEST(LineBreak, CheckboxStaysWithItsLabel) {
  std::u32string t = U"一二三";
  t.push_back(kBoxChecked);
  t += U"是";
  auto lines = Lines(t, 40);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].front(), kBoxChecked);
}

TEST(LineBreak, OverlongWordIsSplitAndNothingIsLost) {
  const std::u32string url = U"https://www.ncert.nat.gov.tw/very/long/path";
  auto lines = Lines(url, 100);
  std::u32string joined;
  for (const auto& l : lines) {
    EXPECT_LE(l.size() * 10, 100u);
    joined += l;
  }
  EXPECT_EQ(joined, url);
}

TEST(LineBreak, NewlineForcesBreakAndEmptyTextGivesNoLines) {
  EXPECT_EQ(Lines(U"一\n二", 100).size(), 2u);
  EXPECT_TRUE(Lines(U"", 100).empty());
  EXPECT_TRUE(Lines(U"   ", 100).empty());
}

TEST(LineBreak, DecodeUtf8ReplacesInvalidBytes) {
  EXPECT_EQ(DecodeUtf8("a\xff" "b"), U"a\uFFFDb");
  EXPECT_EQ(DecodeUtf8("\xe4\xb8"), U"\uFFFD\uFFFD");  // truncated sequence
  EXPECT_EQ(DecodeUtf8("通報"), U"通報");
}

}  // namespace
}  // namespace lifeline::fax
