// The power module: whether the box runs on mains or battery, and how long the battery lasts.
// The parsers are pure functions over upsd's text (NUT network protocol). PowerSource is the
// narrow interface escalation reads; NutPowerSource polls upsd on the caller's io_context.
// Single-threaded: call everything, and expect every callback, on that io_context's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/status.h"

namespace asio {
class io_context;
}

namespace lifeline {

struct PowerState {
  // False when upsd cannot be reached or has no fresh data: nothing below is then known,
  // and in particular mains is NOT assumed to be fine.
  bool known = false;
  bool mains_ok = false;     // OL
  bool on_battery = false;   // OB
  bool low_battery = false;  // LB, or FSD (upsd is about to shut everything down)
  std::optional<std::chrono::seconds> runtime;  // battery.runtime, when the UPS says
  std::optional<int> charge_percent;            // battery.charge, when the UPS says
  std::string status;  // ups.status as upsd sent it, for the journal ("OB LB")
  std::string detail;  // why the state is unknown, for people

  bool operator==(const PowerState&) const = default;
};

// "OL", "OB DISCHRG", "OB LB"... in words for logs and the timeline.
std::string DescribePowerState(const PowerState& state);

// ups.status flags into a PowerState (known, mains_ok, on_battery, low_battery, status).
// Unknown flags (CHRG, RB, BYPASS...) are tolerated; no flag at all, or OL together with
// OB, is an error.
Result<PowerState> ParseUpsStatus(std::string_view status);

// One `VAR <ups> <name> "<value>"` line (GET VAR's reply). `ERR <code>` gives an error
// whose message holds the code. Backslash escapes in the value are undone.
struct NutVar {
  std::string ups;
  std::string name;
  std::string value;
};
Result<NutVar> ParseVarLine(std::string_view line);

// LIST VAR's whole reply (BEGIN LIST VAR <ups> ... END LIST VAR <ups>, lines ending in \n)
// into name -> value. A truncated list, lines for another UPS or garbage is an error.
Result<std::map<std::string, std::string>> ParseVarList(std::string_view reply, std::string_view ups);

// ups.status, battery.runtime and battery.charge into a PowerState; ups.status is required.
Result<PowerState> PowerStateFromVars(const std::map<std::string, std::string>& vars);

// Whether `next` is worth telling anyone about, given what was last reported: a change
// in the flags or in being known, or runtime moving by at least `runtime_step`.
bool IsReportableChange(const PowerState& last, const PowerState& next,
                        std::chrono::seconds runtime_step);

class PowerSource {
 public:
  using ChangeCallback = std::function<void(const PowerState&)>;
  virtual ~PowerSource() = default;
  // The latest state; known == false until the first successful reading.
  virtual PowerState Current() const = 0;
  // Called once per reportable change, on the io_context's thread. One callback; a later
  // call replaces it.
  virtual void OnChange(ChangeCallback callback) = 0;
};

struct NutOptions {
  // An IP address: no name lookup, since the outage that matters may take DNS with it.
  std::string host = "127.0.0.1";
  uint16_t port = 3493;
  std::string ups = "ups";  // the [section] name in upsd's ups.conf
  std::chrono::milliseconds poll_interval{2000};
  // A reply slower than this counts as upsd being unreachable; the connection is dropped.
  std::chrono::milliseconds request_timeout{3000};
  // On battery the runtime ticks down every poll; only a move this large is reported.
  std::chrono::seconds runtime_step{60};
};

// Polls `LIST VAR <ups>` over one TCP connection, reconnecting on the next poll when the
// connection fails. Unreachable upsd, ERR replies (DATA-STALE, DRIVER-NOT-CONNECTED, ...)
// and garbage all make the state unknown. Destroy it before the io_context it runs on.
class NutPowerSource final : public PowerSource {
 public:
  NutPowerSource(asio::io_context& io, NutOptions options);
  ~NutPowerSource() override;  // stops polling; no callback runs afterwards
  NutPowerSource(const NutPowerSource&) = delete;
  NutPowerSource& operator=(const NutPowerSource&) = delete;

  // Starts polling at once. InvalidArgument for options that cannot work.
  Status Start();
  void Stop();

  PowerState Current() const override;
  void OnChange(ChangeCallback callback) override;

 private:
  class Session;  // the poll loop; shared with its in-flight async operations
  NutOptions options_;
  std::shared_ptr<Session> session_;
};

}  // namespace lifeline
