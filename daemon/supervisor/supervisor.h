// The supervisor module: lifelined's side of the supervisor MCU (firmware/,
// proto/supervisor.md). SupervisorLink speaks the protocol over a serial port on
// the caller's io_context: handshake, watchdog configuration, heartbeats whose
// replies carry mains and battery, the event log read back for the journal, the
// RTC, the alarm and modem power-cycles. The policies beside it are pure: when a
// modem needs its power cycled, which alarm the room should hear, whether the
// RTC or the system clock is the wall clock. Single-threaded (io_context thread),
// except SupervisedClock, which any thread may read.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/core/clock.h"
#include "daemon/core/status.h"
#include "daemon/supervisor/wire.h"

namespace asio {
class io_context;
}

namespace lifeline::supervisor {

// The patterns lifelined asks for (the wire's numbers; 2 is the supervisor's own "host down").
enum class AlarmPattern { kNormal = 0, kAllConfirmed = 1, kOutage = 3, kFallback = 4, kDeadlineNear = 5 };
std::string_view AlarmPatternName(AlarmPattern p);

struct LinkOptions {
  std::string device;  // the UART's tty, or supervisor-sim's / QEMU's pty
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds reply_timeout{400};
  int retransmits = 3;  // a request unanswered after this many resends: the link is down
  std::chrono::milliseconds reopen_delay{1000};
  WatchdogConfig watchdog;
  // Where the next log seq to read is kept (a small file; "" = start at the oldest each time).
  std::string cursor_file;
  std::chrono::seconds runtime_step{60};  // runtime moves smaller than this are not a change
};

// What the supervisor last said, as lifelined uses it.
struct PowerReading {
  bool known = false;  // mains sense known and a reply within the last heartbeats
  bool mains_ok = false, on_battery = false, low_battery = false;
  std::optional<int> charge_percent;
  std::optional<std::chrono::seconds> runtime;
  std::string detail;  // why unknown, or "mains 2400 mV, battery 12.65 V"
  bool operator==(const PowerReading&) const = default;
};
PowerReading PowerFromStatus(const StatusReply& s);
bool IsPowerChange(const PowerReading& last, const PowerReading& next, std::chrono::seconds runtime_step);

class SupervisorLink {
 public:
  SupervisorLink(asio::io_context& io, LinkOptions options);
  ~SupervisorLink();  // stops; no callback runs afterwards
  SupervisorLink(const SupervisorLink&) = delete;
  SupervisorLink& operator=(const SupervisorLink&) = delete;

  // Opens the port (retrying in the background), then handshakes and beats.
  Status Start();
  void Stop();

  // Called after each handshake, with what the supervisor said of itself.
  std::function<void(const HelloReply&)> on_connected;
  // Called when the link is lost (port gone, or a request unanswered after its resends).
  std::function<void(const Status&)> on_lost;
  // Called for each reportable change of mains/battery (and once when first known or lost).
  std::function<void(const PowerReading&)> on_power;
  // Each event log entry, in order. `done(true)` once it is journaled moves the cursor;
  // `done(false)` leaves it, so the entry comes again.
  std::function<void(const LogEntry&, std::function<void(bool)> done)> on_log;
  // The RTC as read after each handshake.
  std::function<void(const RtcReply&)> on_rtc;
  // The drill button was pressed (once per press).
  std::function<void()> on_drill_button;
  // Bytes on the line that were no frame (noise, a cut frame, a CRC that does
  // not match), dropped: called at the first of them and then at most once a
  // minute while more come, with the count since the link started and the
  // last one's failure ("crc", "cobs", "short", "long").
  std::function<void(uint64_t bad_frames, const Status& last)> on_bad_frames;

  void RequestModemPowerCycle(std::function<void(Result<bool>)> done);  // true: started
  void SetAlarm(AlarmPattern pattern, std::function<void(Status)> done);
  void ReadRtc(std::function<void(Result<RtcReply>)> done);
  void SetRtc(uint32_t unix_seconds, std::function<void(Status)> done);

  bool connected() const;
  uint64_t bad_frames() const;  // since Start
  std::optional<StatusReply> last_status() const;

 private:
  class Session;  // the port, the request queue and the timers; shared with in-flight operations
  std::shared_ptr<Session> session_;
};

// ---- policies (pure) ----

// When the SMS engine has given up on the modem: each software reset it makes
// (after its K consecutive faults) that leaves the modem not ready, or the port
// gone for `port_lost_for`, asks for a power cycle, at most once per `min_interval`.
class ModemWatch {
 public:
  struct Options {
    std::chrono::seconds port_lost_for{60};
    std::chrono::seconds min_interval{600};
  };
  explicit ModemWatch(Options o) : o_(o) {}
  // One health report from the SMS channel (its JSON fields port_open, ready, resets).
  // True: power-cycle the modem now.
  bool Observe(bool port_open, bool ready, int resets, MonoTime now);

 private:
  Options o_;
  int resets_seen_ = -1;
  std::optional<MonoTime> port_lost_since_, last_cycle_;
};

struct AlarmInputs {
  bool power_outage = false;        // mains lost, or the national site in outage
  bool fallback_under_way = false;  // a report is being notified by other means
  bool deadline_near = false;       // a recipient unconfirmed close to the deadline
  bool all_confirmed = false;       // the last fallback reached everyone
};
AlarmPattern AlarmFor(const AlarmInputs& in);

// Which wall clock to trust: with NTP synchronised, the system's (and the RTC is
// set when it is off by `tolerance` or not valid); without, the RTC's when valid.
struct ClockDecision {
  std::string source;            // "ntp", "rtc", "system" (neither NTP nor a valid RTC)
  bool set_rtc = false;          // write the system time to the RTC
  std::optional<int64_t> rtc_offset_s;  // RTC minus system, when the RTC is valid
};
ClockDecision DecideClock(bool ntp_synchronised, WallTime system_now, const RtcReply& rtc,
                          std::chrono::seconds tolerance);
// Whether the kernel's clock is NTP-synchronised (adjtimex; false when unknown).
bool NtpSynchronised();

// A Clock whose wall time is the system's until UseRtc() anchors it to an RTC
// reading; then the RTC's time plus monotonic time since the reading. Source()
// says which ("system" or "rtc"). Safe to read from any thread.
class SupervisedClock final : public Clock {
 public:
  WallTime Now() const override;
  MonoTime Monotonic() const override;
  std::string_view Source() const override;
  void UseRtc(uint32_t rtc_seconds, MonoTime read_at);
  void UseSystem();

 private:
  std::atomic<bool> rtc_{false};
  std::atomic<int64_t> anchor_wall_us_{0}, anchor_mono_us_{0};
};

// The log cursor file: the next seq to journal. Written atomically (temp + rename + fsync).
Result<uint32_t> ReadCursor(const std::string& path);  // NotFound when absent
Status WriteCursor(const std::string& path, uint32_t next);

}  // namespace lifeline::supervisor
