// The supervisor protocol's bytes (proto/supervisor.md, version 1): COBS frames
// with a CRC-16/CCITT-FALSE, and the payloads of each message. Pure functions
// over bytes; nothing from the wire is trusted: every length is checked and a
// malformed payload is an error, never a crash. Plain values, any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline::supervisor {

inline constexpr size_t kMaxPayload = 64;
inline constexpr size_t kMaxEncoded = 2 + kMaxPayload + 2 + 2;  // body plus COBS overhead
inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr uint8_t kResponse = 0x80;

enum class MsgType : uint8_t {
  kHello = 0x01, kHeartbeat = 0x02, kStatus = 0x03, kRtcGet = 0x04, kRtcSet = 0x05,
  kModemCycle = 0x06, kAlarm = 0x07, kConfig = 0x08, kLogRead = 0x09, kError = 0x7F,
};

struct Frame {
  uint8_t type = 0;
  uint8_t seq = 0;
  std::vector<uint8_t> payload;
  bool operator==(const Frame&) const = default;
};

uint16_t Crc16(const uint8_t* data, size_t len);
std::vector<uint8_t> CobsEncode(const std::vector<uint8_t>& in);
std::optional<std::vector<uint8_t>> CobsDecode(const uint8_t* in, size_t len);

// The frame on the wire, delimiter included; InvalidArgument for a payload over 64 bytes.
Result<std::vector<uint8_t>> EncodeFrame(const Frame& frame);
// One COBS-encoded frame without its delimiter. The error message names the
// failure as the vectors do: "cobs", "short", "crc", "long".
Result<Frame> DecodeFrame(const uint8_t* encoded, size_t len);

// Cuts a byte stream at 0x00 delimiters. Feed() returns, for each delimiter in
// `bytes`, the frame or the error of the bytes before it (empty runs give nothing).
class FrameDecoder {
 public:
  std::vector<Result<Frame>> Feed(const uint8_t* bytes, size_t len);

 private:
  std::vector<uint8_t> buf_;
  bool overflow_ = false;
};

// ---- payloads ----

struct HelloReply {
  int protocol = 0, fw_major = 0, fw_minor = 0, board = 0, boot_count = 0, reset_cause = 0;
  uint32_t uptime_s = 0, log_first = 0, log_next = 0;
};

struct StatusReply {
  bool mains_known = false, mains_ok = false, battery_known = false, battery_low = false;
  bool rtc_valid = false, watchdog_armed = false, modem_cycling = false, silenced = false;
  bool host_relay = false, log_fault = false;
  int mains_mv = 0, battery_mv = 0, battery_percent = 0;
  uint32_t runtime_s = 0;
  int alarm = 0, ack_presses = 0, drill_presses = 0, host_resets = 0, modem_cycles = 0, rx_errors = 0;
  uint32_t log_next = 0;
  bool operator==(const StatusReply&) const = default;
};

struct RtcReply {
  bool valid = false;
  uint32_t seconds = 0;  // since 1970, UTC
};

struct WatchdogConfig {
  int timeout_s = 60, off_s = 10, grace_s = 300, max_per_hour = 3;
  int battery_full_runtime_min = 240;
  bool operator==(const WatchdogConfig&) const = default;
};

struct LogEntry {
  uint32_t seq = 0;
  uint32_t time = 0;  // RTC seconds, 0 when the supervisor's clock was not set
  int code = 0;
  uint32_t arg = 0;
  std::string Name() const;  // "mains_lost", "host_reset", ...
};

std::vector<uint8_t> HelloRequest();
std::vector<uint8_t> RtcSetRequest(uint32_t seconds);
std::vector<uint8_t> AlarmRequest(int pattern);
std::vector<uint8_t> ConfigRequest(const WatchdogConfig& c);
std::vector<uint8_t> LogReadRequest(uint32_t from, int max);

Result<HelloReply> ParseHello(const std::vector<uint8_t>& p);
Result<StatusReply> ParseStatus(const std::vector<uint8_t>& p);
Result<RtcReply> ParseRtc(const std::vector<uint8_t>& p);  // RTC_GET's and RTC_SET's (the previous time)
Result<WatchdogConfig> ParseConfig(const std::vector<uint8_t>& p);
Result<std::vector<LogEntry>> ParseLog(const std::vector<uint8_t>& p);
// An ERROR reply's payload in words: "HEARTBEAT refused: no HELLO yet".
std::string DescribeError(const std::vector<uint8_t>& p);

}  // namespace lifeline::supervisor
