#include <gtest/gtest.h>

#include "daemon/channels/sms/sms.h"

namespace lifeline::sms {
namespace {

TEST(Gsm7Test, Utf8RoundTripAndRejects) {
  auto t = DecodeUtf8("a資😀€");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, std::u32string(U"a資😀€"));
  EXPECT_EQ(EncodeUtf8(*t), "a資😀€");
  EXPECT_FALSE(DecodeUtf8("\xC0\xAF").ok());          // overlong '/'
  EXPECT_FALSE(DecodeUtf8("\xED\xA0\x80").ok());      // a surrogate written in UTF-8
  EXPECT_FALSE(DecodeUtf8("\xF4\x90\x80\x80").ok());  // past U+10FFFF
  EXPECT_FALSE(DecodeUtf8("\xE8\xB3").ok());          // truncated
  EXPECT_FALSE(DecodeUtf8("\x80").ok());
}

TEST(Gsm7Test, AlphabetMembership) {
  EXPECT_TRUE(FitsGsm7(U"Hello @£$ ÄÖÑÜ ^{}\\[~]|€"));
  EXPECT_FALSE(FitsGsm7(U"資"));
  EXPECT_FALSE(FitsGsm7(U"`"));  // backtick is not in the default alphabet
  EXPECT_EQ(GsmSeptetsFor(U'€')->size(), 2u);
  EXPECT_EQ(GsmSeptetsFor(U'@')->at(0), 0x00);
  EXPECT_FALSE(GsmSeptetsFor(char32_t(0x1B)).has_value()) << "ESC itself is not a character";
}

TEST(Gsm7Test, PackingMatchesSpecExample) {
  // 23.038 §6.1.2.1.1: "hellohello" packs to E8329BFD4697D9EC37.
  std::vector<uint8_t> septets;
  for (char c : std::string("hellohello")) septets.push_back(GsmSeptetsFor(c)->at(0));
  EXPECT_EQ(PackSeptets(septets, 0),
            (std::vector<uint8_t>{0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37}));
  for (int fill = 0; fill < 7; ++fill) {
    auto packed = PackSeptets(septets, fill);
    auto back = UnpackSeptets(packed.data(), packed.size(), septets.size(), fill);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, septets) << "fill " << fill;
  }
  EXPECT_FALSE(UnpackSeptets(nullptr, 0, 1, 0).ok());
}

TEST(Gsm7Test, Utf16Surrogates) {
  EXPECT_EQ(ToUtf16(U"😀"), std::u16string(u"\xD83D\xDE00"));
  EXPECT_EQ(*FromUtf16(u"\xD83D\xDE00"), std::u32string(U"😀"));
  EXPECT_FALSE(FromUtf16(u"\xD83D").ok());
  EXPECT_FALSE(FromUtf16(u"\xDE00").ok());
}

}  // namespace
}  // namespace lifeline::sms
