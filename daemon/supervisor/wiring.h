// The supervisor as lifelined runs it (power.source = "supervisor"): the link
// built from [supervisor], its mains and battery handed on as PowerState (as the
// NUT source's are), and every fact journaled through the caller's sink: power
// changes, the supervisor's event log, the link coming and going, the clock
// source. Hooks for other modules: SMS health (modem power-cycles), alarm inputs
// (buzzer and LEDs), the drill button. io_context thread only.
#pragma once

#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "daemon/config/config.h"
#include "daemon/power/power.h"
#include "daemon/supervisor/supervisor.h"

namespace lifeline::supervisor {

// Journals one fact; `done` gets the commit's outcome.
using JournalSink = std::function<void(const std::string& type, const nlohmann::json& payload,
                                       std::function<void(Status)> done)>;

LinkOptions LinkOptionsFrom(const Config& config);
PowerState PowerStateFrom(const PowerReading& r);

class SupervisorService {
 public:
  // Null (and OK) when power.source is not "supervisor". `clock`, when given, is
  // anchored to the RTC when NTP is not synchronised and the RTC is valid.
  static Result<std::unique_ptr<SupervisorService>> Start(asio::io_context& io, const Config& config,
                                                          std::function<void(const PowerState&)> on_power,
                                                          JournalSink journal, SupervisedClock* clock);
  void Stop();

  // The SMS channel's health event (port_open, ready, resets): power-cycles the
  // modem when ModemWatch says so, and journals the request and its answer.
  void OnModemHealth(const nlohmann::json& health);
  // What the escalation engine knows (fallback under way, deadline near, all
  // confirmed); the outage input also follows the mains. Sends the alarm on change.
  void SetAlarmInputs(const AlarmInputs& inputs);
  std::function<void()> on_drill_button;

  SupervisorLink& link() { return *link_; }

 private:
  SupervisorService(asio::io_context& io, const Config& config, JournalSink journal, SupervisedClock* clock);
  void OnRtc(const RtcReply& rtc);
  void UpdateAlarm();
  // The SMS channel reports changes only: a port that stays gone is looked at
  // again each time ModemWatch's time for it has passed.
  void RecheckModemLater(const nlohmann::json& health);

  JournalSink journal_;
  SupervisedClock* clock_;
  std::unique_ptr<SupervisorLink> link_;
  ModemWatch modem_watch_;
  std::chrono::seconds modem_port_lost_for_;
  asio::steady_timer modem_recheck_;
  AlarmInputs inputs_;
  bool mains_lost_ = false;
  std::optional<AlarmPattern> sent_;
};

}  // namespace lifeline::supervisor
