#include "daemon/supervisor/wire.h"

#include <array>

namespace lifeline::supervisor {
namespace {

uint16_t Get16(const std::vector<uint8_t>& p, size_t at) { return uint16_t(p[at] | (p[at + 1] << 8)); }
uint32_t Get32(const std::vector<uint8_t>& p, size_t at) {
  return uint32_t(p[at]) | uint32_t(p[at + 1]) << 8 | uint32_t(p[at + 2]) << 16 | uint32_t(p[at + 3]) << 24;
}
void Put16(std::vector<uint8_t>& p, uint16_t v) {
  p.push_back(uint8_t(v));
  p.push_back(uint8_t(v >> 8));
}
void Put32(std::vector<uint8_t>& p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p.push_back(uint8_t(v >> (8 * i)));
}

Status BadLength(const char* what, size_t got, size_t want) {
  return InvalidArgument(std::string(what) + " payload of " + std::to_string(got) + " bytes (expected " +
                         std::to_string(want) + ")");
}

}  // namespace

uint16_t Crc16(const uint8_t* data, size_t len) {
  uint16_t crc = 0xFFFF;
  for (size_t i = 0; i < len; ++i) {
    crc ^= uint16_t(data[i] << 8);
    for (int b = 0; b < 8; ++b) crc = (crc & 0x8000) ? uint16_t((crc << 1) ^ 0x1021) : uint16_t(crc << 1);
  }
  return crc;
}

std::vector<uint8_t> CobsEncode(const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out(1, 0);
  size_t code_at = 0;
  for (uint8_t b : in) {
    if (b != 0) out.push_back(b);
    if (b == 0 || out.size() - code_at == 0xFF) {
      out[code_at] = uint8_t(out.size() - code_at);
      code_at = out.size();
      out.push_back(0);
    }
  }
  out[code_at] = uint8_t(out.size() - code_at);
  return out;
}

std::optional<std::vector<uint8_t>> CobsDecode(const uint8_t* in, size_t len) {
  std::vector<uint8_t> out;
  size_t i = 0;
  while (i < len) {
    uint8_t code = in[i++];
    if (code == 0 || i + code - 1 > len) return std::nullopt;
    for (int k = 1; k < code; ++k) {
      if (in[i] == 0) return std::nullopt;
      out.push_back(in[i++]);
    }
    if (code != 0xFF && i < len) out.push_back(0);
  }
  return out;
}

Result<std::vector<uint8_t>> EncodeFrame(const Frame& f) {
  if (f.payload.size() > kMaxPayload) return InvalidArgument("supervisor frame payload over 64 bytes");
  std::vector<uint8_t> body = {f.type, f.seq};
  body.insert(body.end(), f.payload.begin(), f.payload.end());
  uint16_t crc = Crc16(body.data(), body.size());
  body.push_back(uint8_t(crc >> 8));
  body.push_back(uint8_t(crc));
  std::vector<uint8_t> out = CobsEncode(body);
  out.push_back(0);
  return out;
}

Result<Frame> DecodeFrame(const uint8_t* encoded, size_t len) {
  if (len > kMaxEncoded) return InvalidArgument("long");
  auto body = CobsDecode(encoded, len);
  // A body longer than the longest frame's is refused as the firmware refuses
  // it (its buffer holds no more): 70 encoded bytes can carry a 65-byte payload.
  if (!body || body->size() > 2 + kMaxPayload + 2) return InvalidArgument("cobs");
  if (body->size() < 4) return InvalidArgument("short");
  size_t n = body->size();
  uint16_t want = uint16_t(((*body)[n - 2] << 8) | (*body)[n - 1]);
  if (Crc16(body->data(), n - 2) != want) return InvalidArgument("crc");
  return Frame{(*body)[0], (*body)[1], std::vector<uint8_t>(body->begin() + 2, body->end() - 2)};
}

std::vector<Result<Frame>> FrameDecoder::Feed(const uint8_t* bytes, size_t len) {
  std::vector<Result<Frame>> out;
  for (size_t i = 0; i < len; ++i) {
    if (bytes[i] != 0) {
      if (buf_.size() < kMaxEncoded) buf_.push_back(bytes[i]);
      else overflow_ = true;
      continue;
    }
    if (overflow_) out.push_back(InvalidArgument("long"));
    else if (!buf_.empty()) out.push_back(DecodeFrame(buf_.data(), buf_.size()));
    buf_.clear();
    overflow_ = false;
  }
  return out;
}

std::string LogEntry::Name() const {
  static const std::array<const char*, 17> kNames = {
      "unknown",     "boot",        "mains_lost",         "mains_back",  "battery_low", "battery_ok",
      "host_silent", "host_reset",  "host_reset_withheld", "host_back",  "modem_cycle", "modem_done",
      "rtc_set",     "ack_button",  "drill_button",       "log_format",  "watchdog_set"};
  return code > 0 && size_t(code) < kNames.size() ? kNames[size_t(code)] : "unknown";
}

std::vector<uint8_t> HelloRequest() { return {kProtocolVersion, kProtocolVersion}; }

std::vector<uint8_t> RtcSetRequest(uint32_t seconds) {
  std::vector<uint8_t> p;
  Put32(p, seconds);
  return p;
}

std::vector<uint8_t> AlarmRequest(int pattern) { return {uint8_t(pattern)}; }

std::vector<uint8_t> ConfigRequest(const WatchdogConfig& c) {
  std::vector<uint8_t> p;
  Put16(p, uint16_t(c.timeout_s));
  Put16(p, uint16_t(c.off_s));
  Put16(p, uint16_t(c.grace_s));
  p.push_back(uint8_t(c.max_per_hour));
  Put16(p, uint16_t(c.battery_full_runtime_min));
  return p;
}

std::vector<uint8_t> LogReadRequest(uint32_t from, int max) {
  std::vector<uint8_t> p;
  Put32(p, from);
  p.push_back(uint8_t(max));
  return p;
}

Result<HelloReply> ParseHello(const std::vector<uint8_t>& p) {
  if (p.size() != 19) return BadLength("HELLO", p.size(), 19);
  HelloReply h;
  h.protocol = p[0];
  h.fw_major = p[1];
  h.fw_minor = p[2];
  h.board = p[3];
  h.boot_count = Get16(p, 4);
  h.reset_cause = p[6];
  h.uptime_s = Get32(p, 7);
  h.log_first = Get32(p, 11);
  h.log_next = Get32(p, 15);
  if (h.protocol != kProtocolVersion) return InvalidArgument("supervisor chose protocol " + std::to_string(h.protocol));
  return h;
}

Result<StatusReply> ParseStatus(const std::vector<uint8_t>& p) {
  if (p.size() != 26) return BadLength("STATUS", p.size(), 26);
  StatusReply s;
  uint16_t f = Get16(p, 0);
  s.mains_known = f & 1, s.mains_ok = f & 2, s.battery_known = f & 4, s.battery_low = f & 8;
  s.rtc_valid = f & 16, s.watchdog_armed = f & 32, s.modem_cycling = f & 64, s.silenced = f & 128;
  s.host_relay = f & 256, s.log_fault = f & 512;
  s.mains_mv = Get16(p, 2);
  s.battery_mv = Get16(p, 4);
  s.battery_percent = p[6];
  s.runtime_s = Get32(p, 7);
  s.alarm = p[11];
  s.ack_presses = Get16(p, 12);
  s.drill_presses = Get16(p, 14);
  s.host_resets = Get16(p, 16);
  s.modem_cycles = Get16(p, 18);
  s.log_next = Get32(p, 20);
  s.rx_errors = Get16(p, 24);
  if (s.battery_percent > 100) return InvalidArgument("STATUS battery percent " + std::to_string(s.battery_percent));
  return s;
}

Result<RtcReply> ParseRtc(const std::vector<uint8_t>& p) {
  if (p.size() != 5) return BadLength("RTC", p.size(), 5);
  if (p[0] > 1) return InvalidArgument("RTC valid flag " + std::to_string(p[0]));
  return RtcReply{p[0] == 1, Get32(p, 1)};
}

Result<WatchdogConfig> ParseConfig(const std::vector<uint8_t>& p) {
  if (p.size() != 9) return BadLength("CONFIG", p.size(), 9);
  return WatchdogConfig{Get16(p, 0), Get16(p, 2), Get16(p, 4), p[6], Get16(p, 7)};
}

Result<std::vector<LogEntry>> ParseLog(const std::vector<uint8_t>& p) {
  if (p.empty() || p[0] > 4 || p.size() != 1 + size_t(p[0]) * 13) {
    return InvalidArgument("LOG_READ payload of " + std::to_string(p.size()) + " bytes does not match its count");
  }
  std::vector<LogEntry> out;
  for (size_t i = 0; i < p[0]; ++i) {
    size_t at = 1 + i * 13;
    out.push_back({Get32(p, at), Get32(p, at + 4), p[at + 8], Get32(p, at + 9)});
  }
  return out;
}

std::string DescribeError(const std::vector<uint8_t>& p) {
  if (p.size() != 2) return "malformed ERROR reply";
  static const char* kWhy[] = {"?", "no HELLO yet", "no common protocol version", "unknown message",
                               "wrong payload length", "value out of range"};
  std::string why = p[1] < 6 ? kWhy[p[1]] : "error " + std::to_string(p[1]);
  return "request type " + std::to_string(p[0]) + " refused: " + why;
}

}  // namespace lifeline::supervisor
