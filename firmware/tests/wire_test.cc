// The firmware's framing against the golden vectors: every good frame decodes to
// its fields and encodes to the same bytes; every bad one gives its error.
#include <gtest/gtest.h>

#include <cstring>

#include "crc16.h"
#include "vectors.h"
#include "wire.h"

namespace {

const char* Name(wire_result r) {
  switch (r) {
    case WIRE_NONE: return "none";
    case WIRE_FRAME: return "frame";
    case WIRE_ERR_COBS: return "cobs";
    case WIRE_ERR_SHORT: return "short";
    case WIRE_ERR_CRC: return "crc";
    case WIRE_ERR_LONG: return "long";
  }
  return "?";
}

TEST(WireTest, CrcCheckValue) {
  EXPECT_EQ(crc16_compute(reinterpret_cast<const uint8_t*>("123456789"), 9), 0x29B1);
}

TEST(WireTest, GoldenVectors) {
  auto vectors = supfw::LoadVectors();
  ASSERT_GE(vectors.size(), 20u);
  for (const auto& v : vectors) {
    wire_rx rx;
    wire_rx_init(&rx);
    wire_frame f;
    std::string last = "none";
    for (uint8_t b : v.wire) {
      wire_result r = wire_rx_feed(&rx, b, &f);
      if (r != WIRE_NONE) last = Name(r);
      if (r == WIRE_FRAME) break;
    }
    EXPECT_EQ(last, v.expect) << v.name;
    if (v.expect != "frame") continue;
    EXPECT_EQ(f.type, v.type) << v.name;
    EXPECT_EQ(f.seq, v.seq) << v.name;
    EXPECT_EQ(std::vector<uint8_t>(f.payload, f.payload + f.len), v.payload) << v.name;
    uint8_t out[WIRE_MAX_FRAME];
    size_t n = wire_encode(uint8_t(v.type), uint8_t(v.seq), v.payload.data(), v.payload.size(), out, sizeof out);
    EXPECT_EQ(std::vector<uint8_t>(out, out + n), v.wire) << v.name;
  }
}

TEST(WireTest, ReceiverRecoversAfterGarbage) {
  auto vectors = supfw::LoadVectors();
  std::vector<uint8_t> stream = {0x33, 0x44, 0x00};  // garbage, then a delimiter
  for (const auto& v : vectors) {
    if (v.name == "hello_req") stream.insert(stream.end(), v.wire.begin(), v.wire.end());
  }
  wire_rx rx;
  wire_rx_init(&rx);
  wire_frame f;
  int frames = 0, errors = 0;
  for (uint8_t b : stream) {
    wire_result r = wire_rx_feed(&rx, b, &f);
    frames += r == WIRE_FRAME;
    errors += r != WIRE_FRAME && r != WIRE_NONE;
  }
  EXPECT_EQ(frames, 1);
  EXPECT_EQ(errors, 1);
}

TEST(WireTest, CobsRoundTripsEveryLengthAndZeroPlacement) {
  for (size_t len = 0; len < 300; len += 7) {
    std::vector<uint8_t> data(len);
    for (size_t i = 0; i < len; ++i) data[i] = static_cast<uint8_t>((i * 37) % 5 == 0 ? 0 : i + 1);
    std::vector<uint8_t> enc(len + len / 254 + 2), dec(len + 1);
    size_t n = wire_cobs_encode(data.data(), len, enc.data(), enc.size());
    ASSERT_GT(n, 0u);
    EXPECT_EQ(std::memchr(enc.data(), 0, n), nullptr) << len;
    int m = wire_cobs_decode(enc.data(), n, dec.data(), dec.size());
    ASSERT_EQ(m, static_cast<int>(len));
    EXPECT_EQ(std::vector<uint8_t>(dec.begin(), dec.begin() + m), data);
  }
}

TEST(WireTest, EncodeRefusesOversizedPayload) {
  uint8_t payload[WIRE_MAX_PAYLOAD + 1] = {0};
  uint8_t out[WIRE_MAX_FRAME * 2];
  EXPECT_EQ(wire_encode(1, 0, payload, sizeof payload, out, sizeof out), 0u);
  EXPECT_EQ(wire_encode(1, 0, payload, WIRE_MAX_PAYLOAD, out, 10), 0u);
}

}  // namespace
