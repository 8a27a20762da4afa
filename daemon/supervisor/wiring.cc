#include "daemon/supervisor/wiring.h"

#include <type_traits>

#include "daemon/core/log.h"

namespace lifeline::supervisor {

using nlohmann::json;
using std::chrono::seconds;

LinkOptions LinkOptionsFrom(const Config& config) {
  const auto& s = config.supervisor;
  LinkOptions o;
  o.device = s.device;
  o.heartbeat_interval = std::chrono::milliseconds(s.heartbeat_ms);
  o.watchdog = {s.watchdog_seconds, s.host_off_seconds, s.host_boot_seconds, s.max_resets_per_hour,
                s.battery_full_runtime_minutes};
  o.cursor_file = config.state_dir + "/supervisor-log.cursor";
  return o;
}

PowerState PowerStateFrom(const PowerReading& r) {
  PowerState p;
  p.known = r.known;
  p.mains_ok = r.mains_ok;
  p.on_battery = r.on_battery;
  p.low_battery = r.low_battery;
  p.runtime = r.runtime;
  p.charge_percent = r.charge_percent;
  // In NUT's words, so the journal and the timeline read the same for both sources.
  p.status = !r.known ? "" : r.on_battery ? (r.low_battery ? "OB LB" : "OB") : "OL";
  p.detail = r.detail;
  return p;
}

SupervisorService::SupervisorService(asio::io_context& io, const Config& config, JournalSink journal,
                                     SupervisedClock* clock)
    : journal_(std::move(journal)),
      clock_(clock),
      link_(std::make_unique<SupervisorLink>(io, LinkOptionsFrom(config))),
      modem_watch_({seconds(config.supervisor.modem_port_lost_seconds),
                    seconds(config.supervisor.modem_cycle_min_interval_seconds)}),
      modem_port_lost_for_(config.supervisor.modem_port_lost_seconds),
      modem_recheck_(io) {}

Result<std::unique_ptr<SupervisorService>> SupervisorService::Start(
    asio::io_context& io, const Config& config, std::function<void(const PowerState&)> on_power,
    JournalSink journal, SupervisedClock* clock) {
  if (config.power.source != "supervisor") return std::unique_ptr<SupervisorService>();
  std::unique_ptr<SupervisorService> s(new SupervisorService(io, config, std::move(journal), clock));
  SupervisorService* self = s.get();
  auto ignore = [](Status st) {
    if (!st.ok()) spdlog::warn("supervisor: journal: {}", st.ToString());
  };
  s->link_->on_power = [self, on_power, ignore](const PowerReading& r) {
    PowerState p = PowerStateFrom(r);
    on_power(p);
    json payload = {{"known", p.known}, {"mains_ok", p.mains_ok}, {"on_battery", p.on_battery},
                    {"low_battery", p.low_battery}, {"status", p.status}, {"detail", p.detail},
                    {"source", "supervisor"}};
    if (p.runtime) payload["runtime_seconds"] = p.runtime->count();
    if (p.charge_percent) payload["charge_percent"] = *p.charge_percent;
    spdlog::warn("power: {}", DescribePowerState(p));
    self->journal_("power.change", payload, ignore);
    self->mains_lost_ = p.known && p.on_battery;
    self->UpdateAlarm();
  };
  s->link_->on_log = [self](const LogEntry& e, std::function<void(bool)> done) {
    json payload = {{"seq", e.seq}, {"event", e.Name()}, {"code", e.code}, {"arg", e.arg}, {"rtc_time", e.time}};
    self->journal_("supervisor.event", payload, [done](Status st) { done(st.ok()); });
  };
  s->link_->on_connected = [self, ignore](const HelloReply& h) {
    self->sent_.reset();  // a restarted supervisor forgot the alarm
    self->journal_("supervisor.link", {{"up", true}, {"firmware", std::to_string(h.fw_major) + "." +
                                       std::to_string(h.fw_minor)}, {"board", h.board}, {"boot_count", h.boot_count},
                                       {"reset_cause", h.reset_cause}, {"uptime_seconds", h.uptime_s}}, ignore);
    self->UpdateAlarm();
  };
  s->link_->on_lost = [self, ignore](const Status& why) {
    self->journal_("supervisor.link", {{"up", false}, {"why", why.message()}}, ignore);
  };
  s->link_->on_bad_frames = [self, ignore](uint64_t count, const Status& last) {
    self->journal_("supervisor.bad_frames", {{"count", count}, {"last", last.message()}}, ignore);
  };
  s->link_->on_rtc = [self](const RtcReply& rtc) { self->OnRtc(rtc); };
  s->link_->on_drill_button = [self] {
    if (self->on_drill_button) self->on_drill_button();
  };
  LIFELINE_RETURN_IF_ERROR(s->link_->Start());
  return s;
}

void SupervisorService::Stop() {
  modem_recheck_.cancel();
  link_->Stop();
}

void SupervisorService::OnRtc(const RtcReply& rtc) {
  WallTime now = SystemClock().Now();
  ClockDecision d = DecideClock(NtpSynchronised(), now, rtc, seconds(2));
  json payload = {{"source", d.source}, {"rtc_valid", rtc.valid}, {"set_rtc", d.set_rtc}};
  if (d.rtc_offset_s) payload["rtc_minus_system_seconds"] = *d.rtc_offset_s;
  journal_("clock.source", payload, [](Status) {});
  if (d.source == "rtc" && clock_) clock_->UseRtc(rtc.seconds, std::chrono::steady_clock::now());
  if (d.source == "ntp" && clock_) clock_->UseSystem();
  if (!d.set_rtc) return;
  auto secs = std::chrono::duration_cast<seconds>(now.time_since_epoch()).count();
  link_->SetRtc(uint32_t(secs), [](Status s) {
    if (!s.ok()) spdlog::warn("supervisor: setting the RTC failed: {}", s.ToString());
  });
}

namespace {

// A field of the wrong type reads as its default: a health report never ends the daemon.
template <typename T>
T Field(const json& h, const char* name, T fallback) {
  auto it = h.find(name);
  if (it == h.end()) return fallback;
  if constexpr (std::is_same_v<T, bool>) return it->is_boolean() ? it->get<bool>() : fallback;
  else return it->is_number_integer() ? it->get<T>() : fallback;
}

}  // namespace

void SupervisorService::OnModemHealth(const json& h) {
  if (!h.is_object()) return;
  const bool port_open = Field(h, "port_open", false), ready = Field(h, "ready", false);
  bool want = modem_watch_.Observe(port_open, ready, Field(h, "resets", 0), std::chrono::steady_clock::now());
  modem_recheck_.cancel();
  // Still gone after a cycle too: another one once min_interval has passed.
  if (!port_open && !ready) RecheckModemLater(h);
  if (!want) return;
  journal_("supervisor.modem_power_cycle", {{"requested", true}, {"health", h}}, [](Status) {});
  link_->RequestModemPowerCycle([this](Result<bool> r) {
    json outcome = r.ok() ? json{{"started", *r}} : json{{"error", r.status().message()}};
    journal_("supervisor.modem_power_cycle", outcome, [](Status) {});
  });
}

void SupervisorService::RecheckModemLater(const json& health) {
  modem_recheck_.expires_after(modem_port_lost_for_ + std::chrono::milliseconds(100));
  modem_recheck_.async_wait([this, health](const std::error_code& ec) {
    if (!ec) OnModemHealth(health);
  });
}

void SupervisorService::SetAlarmInputs(const AlarmInputs& in) {
  inputs_ = in;
  UpdateAlarm();
}

void SupervisorService::UpdateAlarm() {
  AlarmInputs in = inputs_;
  in.power_outage = in.power_outage || mains_lost_;
  AlarmPattern p = AlarmFor(in);
  if (sent_ == p || !link_->connected()) return;
  sent_ = p;
  link_->SetAlarm(p, [this, p](Status s) {
    if (!s.ok()) sent_.reset();  // try again at the next change or handshake
    else journal_("supervisor.alarm", {{"pattern", std::string(AlarmPatternName(p))}}, [](Status) {});
  });
}

}  // namespace lifeline::supervisor
