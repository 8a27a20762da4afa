// The supervisor module's pure parts: status to power reading, the modem watch,
// the alarm choice, the clock decision, the supervised clock, the cursor file.
#include <fcntl.h>
#include <sys/timex.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "daemon/supervisor/supervisor.h"

namespace lifeline::supervisor {

std::string_view AlarmPatternName(AlarmPattern p) {
  switch (p) {
    case AlarmPattern::kNormal: return "normal";
    case AlarmPattern::kAllConfirmed: return "all_confirmed";
    case AlarmPattern::kOutage: return "outage";
    case AlarmPattern::kFallback: return "fallback";
    case AlarmPattern::kDeadlineNear: return "deadline_near";
  }
  return "?";
}

PowerReading PowerFromStatus(const StatusReply& s) {
  PowerReading p;
  char detail[96];
  std::snprintf(detail, sizeof detail, "mains sense %d mV, battery %d.%02d V (%d %%)", s.mains_mv,
                s.battery_mv / 1000, (s.battery_mv % 1000) / 10, s.battery_percent);
  p.detail = detail;
  if (!s.mains_known) {
    p.detail = "the supervisor has no mains reading yet (" + p.detail + ")";
    return p;
  }
  p.known = true;
  p.mains_ok = s.mains_ok;
  p.on_battery = !s.mains_ok;
  if (s.battery_known) {
    p.low_battery = s.battery_low;
    p.charge_percent = s.battery_percent;
    p.runtime = std::chrono::seconds(s.runtime_s);
  }
  return p;
}

bool IsPowerChange(const PowerReading& a, const PowerReading& b, std::chrono::seconds step) {
  if (a.known != b.known || a.mains_ok != b.mains_ok || a.on_battery != b.on_battery ||
      a.low_battery != b.low_battery || a.charge_percent.has_value() != b.charge_percent.has_value()) {
    return true;
  }
  if (!a.known && a.detail != b.detail) return true;
  if (a.runtime && b.runtime) {
    auto d = *a.runtime - *b.runtime;
    return (d < std::chrono::seconds(0) ? -d : d) >= step;
  }
  return false;
}

bool ModemWatch::Observe(bool port_open, bool ready, int resets, MonoTime now) {
  bool want = false;
  if (resets_seen_ >= 0 && resets > resets_seen_ && !ready) want = true;  // its own reset did not help
  resets_seen_ = resets;
  if (port_open || ready) {
    port_lost_since_.reset();
  } else if (!port_lost_since_) {
    port_lost_since_ = now;
  } else if (now - *port_lost_since_ >= o_.port_lost_for) {
    want = true;
  }
  if (!want || (last_cycle_ && now - *last_cycle_ < o_.min_interval)) return false;
  last_cycle_ = now;
  port_lost_since_.reset();
  return true;
}

AlarmPattern AlarmFor(const AlarmInputs& in) {
  if (in.deadline_near) return AlarmPattern::kDeadlineNear;
  if (in.fallback_under_way) return AlarmPattern::kFallback;
  if (in.power_outage) return AlarmPattern::kOutage;
  if (in.all_confirmed) return AlarmPattern::kAllConfirmed;
  return AlarmPattern::kNormal;
}

ClockDecision DecideClock(bool ntp, WallTime now, const RtcReply& rtc, std::chrono::seconds tolerance) {
  ClockDecision d;
  int64_t system_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (rtc.valid) d.rtc_offset_s = int64_t(rtc.seconds) - system_s;
  if (ntp) {
    d.source = "ntp";
    d.set_rtc = !rtc.valid || (*d.rtc_offset_s < 0 ? -*d.rtc_offset_s : *d.rtc_offset_s) >= tolerance.count();
    return d;
  }
  d.source = rtc.valid ? "rtc" : "system";
  return d;
}

bool NtpSynchronised() {
  timex tx{};
  int state = adjtimex(&tx);
  return state != -1 && state != TIME_ERROR && !(tx.status & STA_UNSYNC);
}

namespace {
int64_t Us(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}
}  // namespace

WallTime SupervisedClock::Now() const {
  if (!rtc_.load()) return SystemClock().Now();
  int64_t us = anchor_wall_us_.load() + (Us(std::chrono::steady_clock::now().time_since_epoch()) - anchor_mono_us_.load());
  return WallTime(std::chrono::microseconds(us));
}

MonoTime SupervisedClock::Monotonic() const { return std::chrono::steady_clock::now(); }

std::string_view SupervisedClock::Source() const { return rtc_.load() ? "rtc" : "system"; }

void SupervisedClock::UseRtc(uint32_t rtc_seconds, MonoTime read_at) {
  anchor_wall_us_ = int64_t(rtc_seconds) * 1000000;
  anchor_mono_us_ = Us(read_at.time_since_epoch());
  rtc_ = true;
}

void SupervisedClock::UseSystem() { rtc_ = false; }

Result<uint32_t> ReadCursor(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("no cursor file " + path);
  std::string text;
  std::getline(in, text);
  char* end = nullptr;
  unsigned long v = std::strtoul(text.c_str(), &end, 10);
  if (text.empty() || *end != 0 || v > 0xFFFFFFFFul) return Corruption("cursor file " + path + " holds '" + text + "'");
  return uint32_t(v);
}

Status WriteCursor(const std::string& path, uint32_t next) {
  std::string tmp = path + ".tmp", text = std::to_string(next) + "\n";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return IoError("cannot write " + tmp + ": " + std::strerror(errno));
  bool ok = write(fd, text.data(), text.size()) == ssize_t(text.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) return IoError("cannot write " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace lifeline::supervisor
