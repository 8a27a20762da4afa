// The daemon's frame codec against proto/supervisor/vectors.txt, the same bytes
// the firmware's tests read: good frames decode to their fields and encode to
// the same bytes; corrupt and truncated ones give the named error or nothing.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "daemon/supervisor/wire.h"

namespace lifeline::supervisor {
namespace {

std::vector<uint8_t> Hex(const std::string& s) {
  std::vector<uint8_t> out;
  if (s == "-") return out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(uint8_t(std::stoul(s.substr(i, 2), nullptr, 16)));
  return out;
}

TEST(SupervisorWireTest, GoldenVectors) {
  std::ifstream in(LIFELINE_SOURCE_DIR "/proto/supervisor/vectors.txt");
  int checked = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    std::string name, expect, type, seq, payload, wire;
    f >> name >> expect >> type >> seq >> payload >> wire;
    auto bytes = Hex(wire);
    FrameDecoder d;
    auto results = d.Feed(bytes.data(), bytes.size());
    std::string got = "none";
    for (const auto& r : results) got = r.ok() ? "frame" : r.status().message();
    if (expect == "frame") {
      ASSERT_EQ(results.size(), 1u) << name;
      ASSERT_TRUE(results[0].ok()) << name << ": " << results[0].status().ToString();
      EXPECT_EQ(results[0]->type, std::stoi(type, nullptr, 16)) << name;
      EXPECT_EQ(results[0]->seq, std::stoi(seq, nullptr, 16)) << name;
      EXPECT_EQ(results[0]->payload, Hex(payload)) << name;
      auto encoded = EncodeFrame(*results[0]);
      ASSERT_TRUE(encoded.ok());
      EXPECT_EQ(*encoded, bytes) << name;
    } else if (name == "cut_then_next_frame") {
      ASSERT_EQ(results.size(), 1u) << name;  // the cut frame swallows the next one's start
      EXPECT_EQ(got, expect) << name;
    } else {
      EXPECT_EQ(got, expect) << name;
    }
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

TEST(SupervisorWireTest, Crc16CheckValue) {
  const char* s = "123456789";
  EXPECT_EQ(Crc16(reinterpret_cast<const uint8_t*>(s), 9), 0x29B1);
}

TEST(SupervisorWireTest, PayloadParsersRejectWrongLengthsAndValues) {
  EXPECT_FALSE(ParseStatus(std::vector<uint8_t>(25)).ok());
  std::vector<uint8_t> status(26);
  status[6] = 101;  // percent
  EXPECT_FALSE(ParseStatus(status).ok());
  EXPECT_FALSE(ParseHello(std::vector<uint8_t>(18)).ok());
  EXPECT_FALSE(ParseRtc({2, 0, 0, 0, 0}).ok());
  EXPECT_FALSE(ParseLog({5}).ok());
  EXPECT_FALSE(ParseLog({1, 0, 0}).ok());
  EXPECT_FALSE(ParseLog({}).ok());
  EXPECT_TRUE(ParseLog({0}).ok());
  EXPECT_FALSE(EncodeFrame({1, 0, std::vector<uint8_t>(65)}).ok());
}

TEST(SupervisorWireTest, StatusFieldsFromTheGoldenReply) {
  // status_resp of vectors.txt: flags 0x17, mains 2400 mV, battery 12650 mV, 92 %, 13248 s.
  auto f = DecodeFrame(Hex("048205170860096a315cc03301010201010101010201022a010101010329a7").data(), 31);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto s = ParseStatus(f->payload);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->mains_known && s->mains_ok && s->battery_known && s->rtc_valid);
  EXPECT_FALSE(s->battery_low);
  EXPECT_EQ(s->mains_mv, 2400);
  EXPECT_EQ(s->battery_mv, 12650);
  EXPECT_EQ(s->battery_percent, 92);
  EXPECT_EQ(s->runtime_s, 13248u);
  EXPECT_EQ(s->log_next, 42u);
}

}  // namespace
}  // namespace lifeline::supervisor
