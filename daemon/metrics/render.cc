// The exposition lifelined serves. Every name here is listed, with its
// meaning, in packaging/README.md; a series whose labels are known in advance
// (report and notification states) is written even at zero, so an alert rule
// never depends on a series appearing.
#include "daemon/metrics/metrics.h"

namespace lifeline {
namespace {

constexpr const char* kReportStates[] = {"queued", "accepted", "fallback", "accepted_late"};
constexpr const char* kNotificationStates[] = {"pending", "in_progress", "confirmed", "failed", "cancelled"};
constexpr const char* kLinkStates[] = {"up", "outage", "unknown", "not_configured"};

double Seconds(std::chrono::microseconds d) { return static_cast<double>(d.count()) / 1e6; }

void Reports(Exposition& out, const StoreCounts& c, WallTime now) {
  out.Family("lifeline_reports", "gauge", "Reports by the state of their latest revision; drill reports apart.");
  for (bool drill : {false, true}) {
    for (const char* state : kReportStates) {
      auto it = c.reports.find({state, drill});
      out.Sample("lifeline_reports", {{"state", state}, {"drill", drill ? "true" : "false"}},
                 it == c.reports.end() ? 0 : static_cast<double>(it->second));
    }
  }
  out.Family("lifeline_oldest_unaccepted_report_age_seconds", "gauge",
             "Seconds since awareness of the oldest revision the national site has not accepted (0: none; drills aside).");
  double age = 0;
  if (c.oldest_unaccepted_aware_at_us) {
    auto aware = WallTime(std::chrono::microseconds(*c.oldest_unaccepted_aware_at_us));
    age = std::max(0.0, Seconds(std::chrono::duration_cast<std::chrono::microseconds>(now - aware)));
  }
  out.Sample("lifeline_oldest_unaccepted_report_age_seconds", age);
  out.Family("lifeline_notifications", "gauge", "Required notifications (one per recipient and revision) by state.");
  for (const char* state : kNotificationStates) {
    auto it = c.notifications.find(state);
    out.Sample("lifeline_notifications", {{"state", state}}, it == c.notifications.end() ? 0 : static_cast<double>(it->second));
  }
  out.Family("lifeline_channel_attempts_total", "counter",
             "Finished channel attempts (sms, fax, email, phone) by outcome: confirmed, failed, cancelled.");
  for (const auto& [key, n] : c.attempts) {
    if (key.second != "open") out.Sample("lifeline_channel_attempts_total", {{"channel", key.first}, {"outcome", key.second}}, static_cast<double>(n));
  }
  out.Family("lifeline_channel_attempts_open", "gauge", "Channel attempts under way, by channel.");
  for (const auto& [key, n] : c.attempts) {
    if (key.second == "open") out.Sample("lifeline_channel_attempts_open", {{"channel", key.first}}, static_cast<double>(n));
  }
  out.Family("lifeline_phone_tasks_open", "gauge", "Phone tasks waiting for an operator to confirm who answered.");
  out.Sample("lifeline_phone_tasks_open", static_cast<double>(c.phone_tasks_open));
  out.Family("lifeline_journal_entries", "gauge", "Entries in the hash-chained journal.");
  out.Sample("lifeline_journal_entries", static_cast<double>(c.journal_entries));
}

void Deadline(Exposition& out, const LiveState& live, WallTime now) {
  if (!live.nearest_deadline) return;  // no open deadline: no sample
  out.Family("lifeline_nearest_deadline_seconds", "gauge",
             "Seconds to the nearest legal deadline of a report the site has not accepted; negative once passed.");
  out.Sample("lifeline_nearest_deadline_seconds",
             Seconds(std::chrono::duration_cast<std::chrono::microseconds>(*live.nearest_deadline - now)));
}

void Link(Exposition& out, const LiveState& live) {
  out.Family("lifeline_site_link_up", "gauge", "1 while the national site is reachable, else 0.");
  out.Sample("lifeline_site_link_up", live.site_state == "up" ? 1 : 0);
  out.Family("lifeline_site_link_state", "gauge", "The link monitor's state, one-hot, with the outage's reason.");
  for (const char* state : kLinkStates) {
    MetricLabels labels = {{"state", state}};
    if (std::string_view(state) == "outage") labels.push_back({"reason", live.site_state == "outage" ? live.site_reason : ""});
    out.Sample("lifeline_site_link_state", labels, live.site_state == state ? 1 : 0);
  }
}

void Power(Exposition& out, const LiveState& live) {
  out.Family("lifeline_power_known", "gauge", "1 when a power source (UPS or supervisor) reports the mains.");
  out.Sample("lifeline_power_known", live.power_known ? 1 : 0);
  out.Family("lifeline_power_on_battery", "gauge", "1 while the box runs on battery (mains lost).");
  out.Sample("lifeline_power_on_battery", live.on_battery ? 1 : 0);
  out.Family("lifeline_power_low_battery", "gauge", "1 when the power source says the battery is low.");
  out.Sample("lifeline_power_low_battery", live.low_battery ? 1 : 0);
  if (live.battery_runtime_seconds) {
    out.Family("lifeline_battery_runtime_seconds", "gauge", "Runtime left on battery, as the power source estimates it.");
    out.Sample("lifeline_battery_runtime_seconds", *live.battery_runtime_seconds);
  }
  if (live.battery_charge_percent) {
    out.Family("lifeline_battery_charge_ratio", "gauge", "Battery charge, 0 to 1.");
    out.Sample("lifeline_battery_charge_ratio", *live.battery_charge_percent / 100.0);
  }
}

void Modem(Exposition& out, const LiveState& live) {
  out.Family("lifeline_modem_configured", "gauge", "1 when an SMS modem is configured.");
  out.Sample("lifeline_modem_configured", live.modem ? 1 : 0);
  if (!live.modem) return;
  out.Family("lifeline_modem_ready", "gauge", "1 when the SMS modem is open, initialised and registered.");
  out.Sample("lifeline_modem_ready", live.modem->ready ? 1 : 0);
  out.Family("lifeline_modem_registered", "gauge", "1 when the modem is registered on a network (CS, GPRS or EPS).");
  out.Sample("lifeline_modem_registered", live.modem->registered ? 1 : 0);
  if (live.modem->signal_dbm) {
    out.Family("lifeline_modem_signal_dbm", "gauge", "Received signal strength from AT+CSQ, in dBm.");
    out.Sample("lifeline_modem_signal_dbm", *live.modem->signal_dbm);
  }
}

void Contacts(Exposition& out, const LiveState& live) {
  out.Family("lifeline_contact_channel_up", "gauge",
             "1 while the agency's own contact channel passes its check (sms, fax, site, email).");
  for (const auto& c : live.contacts) out.Sample("lifeline_contact_channel_up", {{"channel", c.channel}}, c.up ? 1 : 0);
  out.Family("lifeline_contact_channel_down_seconds", "gauge", "Seconds the contact channel has been failing its check (0 when up).");
  for (const auto& c : live.contacts) {
    out.Sample("lifeline_contact_channel_down_seconds", {{"channel", c.channel}}, c.down_seconds.value_or(0));
  }
  out.Family("lifeline_contact_channel_alert", "gauge", "1 once the channel has been down longer than allowed and the alert went out.");
  for (const auto& c : live.contacts) out.Sample("lifeline_contact_channel_alert", {{"channel", c.channel}}, c.alerted ? 1 : 0);
}

void Process(Exposition& out, const ProcessMemory& m, const LiveState& live, const Histogram& commit) {
  commit.Write(out, "lifeline_store_commit_seconds", "Time each store batch's COMMIT took (WAL, synchronous=FULL).");
  out.Family("lifeline_store_background_failures_total", "counter", "Store writes no caller waited on that failed (logged each).");
  out.Sample("lifeline_store_background_failures_total", static_cast<double>(live.store_background_failures));
  out.Family("lifeline_hook_runs_total", "counter", "Event hook runs by event and outcome (ok, failed, timeout, not_started).");
  for (const auto& [key, n] : live.hook_runs) {
    out.Sample("lifeline_hook_runs_total", {{"event", key.first}, {"outcome", key.second}}, static_cast<double>(n));
  }
  out.Family("process_resident_memory_bytes", "gauge", "Resident memory (VmRSS).");
  out.Sample("process_resident_memory_bytes", static_cast<double>(m.rss));
  out.Family("lifeline_process_rss_anon_bytes", "gauge", "Private resident memory (RssAnon): heap, stacks.");
  out.Sample("lifeline_process_rss_anon_bytes", static_cast<double>(m.rss_anon));
  out.Family("lifeline_process_rss_file_bytes", "gauge", "Resident pages of mapped files (RssFile): the program and its libraries.");
  out.Sample("lifeline_process_rss_file_bytes", static_cast<double>(m.rss_file));
  out.Family("lifeline_process_resident_peak_bytes", "gauge", "Peak resident memory since start (VmHWM).");
  out.Sample("lifeline_process_resident_peak_bytes", static_cast<double>(m.vm_hwm));
}

}  // namespace

std::string RenderMetrics(const StoreCounts& counts, const LiveState& live, const ProcessMemory& memory,
                          const Histogram& commit_latency, WallTime now, std::string_view version) {
  Exposition out;
  out.Family("lifeline_build_info", "gauge", "Always 1; the version of lifelined.");
  out.Sample("lifeline_build_info", {{"version", std::string(version)}}, 1);
  Reports(out, counts, now);
  Deadline(out, live, now);
  Link(out, live);
  Power(out, live);
  Modem(out, live);
  Contacts(out, live);
  Process(out, memory, live, commit_latency);
  return out.text();
}

DaemonMetrics::DaemonMetrics(AsyncStore& store, const Clock& clock, std::function<LiveState()> live)
    : store_(store), clock_(clock), live_(std::move(live)) {}

void DaemonMetrics::Render(std::function<void(Result<std::string>)> done) {
  auto counts = std::make_shared<StoreCounts>();
  store_.Run(
      [counts](Store& st) {
        auto c = st.Counts();
        if (c.ok()) *counts = std::move(*c);
        return c.status();
      },
      [this, counts, done = std::move(done), alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired()) return;
        if (!s.ok()) return done(s);
        LiveState live = live_ ? live_() : LiveState{};
        done(RenderMetrics(*counts, live, ReadProcessMemory(), *commit_latency_, clock_.Now(), LIFELINE_VERSION));
      });
}

}  // namespace lifeline
