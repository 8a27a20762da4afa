#include "daemon/config/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <tuple>

#include "daemon/core/toml_reader.h"

namespace lifeline {
namespace embedded {
extern const std::string_view default_config;
}  // namespace embedded

std::string_view DefaultConfigText() { return embedded::default_config; }

namespace {

// A dotted key ("site.base_url") in the merged document. The defaults hold
// every key with its type and Overlay refuses anything else, so a lookup of a
// listed key cannot fail.
constexpr std::string_view kDefaultsOrigin = "embedded:config/lifeline.toml";

struct Located {
  TomlTable table;
  std::string key;
};

Located Locate(const TomlTable& root, std::string_view dotted) {
  size_t dot = dotted.find('.');
  auto section = root.Table(dotted.substr(0, dot));
  return {section.ok() && *section ? **section : root, std::string(dotted.substr(dot + 1))};
}

std::string Str(const TomlTable& t, const char* path) {
  Located at = Locate(t, path);
  std::string v;
  at.table.Get(at.key, &v).IgnoreError();  // listed in the defaults: see Locate
  return v;
}

int Int(const TomlTable& t, const char* path) {
  Located at = Locate(t, path);
  int v = 0;
  at.table.Get(at.key, &v).IgnoreError();
  return v;
}

std::vector<std::string> StrList(const TomlTable& t, const char* path) {
  Located at = Locate(t, path);
  std::vector<std::string> v;
  at.table.Get(at.key, &v).IgnoreError();
  return v;
}

bool Bool(const TomlTable& t, const char* path) {
  Located at = Locate(t, path);
  bool v = false;
  at.table.Get(at.key, &v).IgnoreError();
  return v;
}

void ReadSiteAndMonitor(const TomlTable& t, Config* c) {
  c->site.base_url = Str(t, "site.base_url");
  c->site.ca_file = Str(t, "site.ca_file");
  c->site.pinned_public_key = Str(t, "site.pinned_public_key");
  c->site.allow_plain_http = Bool(t, "site.allow_plain_http");
  c->site.connect_timeout_ms = Int(t, "site.connect_timeout_ms");
  c->site.total_timeout_ms = Int(t, "site.total_timeout_ms");
  c->site.max_attempts = Int(t, "site.max_attempts");
  c->site.replay_interval_seconds = Int(t, "site.replay_interval_seconds");
  c->monitor.outage_after_failures = Int(t, "monitor.outage_after_failures");
  c->monitor.outage_min_span_seconds = Int(t, "monitor.outage_min_span_seconds");
  c->monitor.recovered_after_successes = Int(t, "monitor.recovered_after_successes");
  c->monitor.probe_interval_seconds = Int(t, "monitor.probe_interval_seconds");
  c->monitor.probe_interval_in_outage_seconds = Int(t, "monitor.probe_interval_in_outage_seconds");
}

Status CheckSiteAndMonitor(const Config& c, const std::function<Status(const char*, const std::string&)>& bad) {
  const auto& s = c.site;
  bool https = s.base_url.rfind("https://", 0) == 0, http = s.base_url.rfind("http://", 0) == 0;
  if (!s.base_url.empty() && !https && !(http && s.allow_plain_http)) {
    return bad("site.base_url", "must start with https:// (http:// only with site.allow_plain_http, for tests)");
  }
  for (auto [key, v, lo, hi] : {std::tuple{"site.connect_timeout_ms", s.connect_timeout_ms, 100, 120000},
                                {"site.total_timeout_ms", s.total_timeout_ms, 100, 600000},
                                {"site.max_attempts", s.max_attempts, 1, 100},
                                {"site.replay_interval_seconds", s.replay_interval_seconds, 1, 3600},
                                {"monitor.outage_after_failures", c.monitor.outage_after_failures, 1, 100},
                                {"monitor.outage_min_span_seconds", c.monitor.outage_min_span_seconds, 0, 3600},
                                {"monitor.recovered_after_successes", c.monitor.recovered_after_successes, 1, 100},
                                {"monitor.probe_interval_seconds", c.monitor.probe_interval_seconds, 1, 3600},
                                {"monitor.probe_interval_in_outage_seconds", c.monitor.probe_interval_in_outage_seconds, 1, 3600}}) {
    if (v < lo || v > hi) return bad(key, "must be " + std::to_string(lo) + "-" + std::to_string(hi));
  }
  return Status::Ok();
}

void ReadFax(const TomlTable& t, Config::Fax* f) {
  f->device = Str(t, "fax.device");
  f->local_ident = Str(t, "fax.local_ident");
  f->ecm = Bool(t, "fax.ecm");
  auto i = [&](const char* key) { return Int(t, key); };
  f->max_bit_rate = i("fax.max_bit_rate");
  f->max_attempts = i("fax.max_attempts");
  f->busy_retry_seconds = i("fax.busy_retry_seconds");
  f->no_answer_retry_seconds = i("fax.no_answer_retry_seconds");
  f->no_carrier_retry_seconds = i("fax.no_carrier_retry_seconds");
  f->no_dialtone_retry_seconds = i("fax.no_dialtone_retry_seconds");
  f->call_failed_retry_seconds = i("fax.call_failed_retry_seconds");
  f->budget_seconds = i("fax.budget_seconds");
}

Status CheckFax(const Config::Fax& f, const std::function<Status(const char*, const std::string&)>& bad) {
  if (f.max_bit_rate != 14400 && f.max_bit_rate != 9600 && f.max_bit_rate != 4800) {
    return bad("fax.max_bit_rate", "must be 14400, 9600 or 4800");
  }
  if (f.local_ident.size() > 20 || f.local_ident.find_first_not_of("0123456789 +") != std::string::npos) {
    return bad("fax.local_ident", "at most 20 digits, spaces or +");
  }
  if (f.max_attempts < 1 || f.max_attempts > 20) return bad("fax.max_attempts", "must be 1-20");
  for (auto [key, v] : {std::pair{"fax.busy_retry_seconds", f.busy_retry_seconds},
                        {"fax.no_answer_retry_seconds", f.no_answer_retry_seconds},
                        {"fax.no_carrier_retry_seconds", f.no_carrier_retry_seconds},
                        {"fax.no_dialtone_retry_seconds", f.no_dialtone_retry_seconds},
                        {"fax.call_failed_retry_seconds", f.call_failed_retry_seconds}}) {
    if (v < 0 || v > 3600) return bad(key, "must be 0-3600 seconds");
  }
  if (f.budget_seconds < 60 || f.budget_seconds > 3600) return bad("fax.budget_seconds", "must be 60-3600 seconds");
  return Status::Ok();
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    out.push_back(item);
  }
  return out;
}

void ReadEscalationAndEmail(const TomlTable& t, Config* c) {
  auto& e = c->escalation;
  e.recipients_file = Str(t, "escalation.recipients_file");
  e.templates_file = Str(t, "escalation.templates_file");
  e.channel_order = SplitList(Str(t, "escalation.channel_order"));
  e.sms_lead_seconds = Int(t, "escalation.sms_lead_seconds");
  e.fax_lead_seconds = Int(t, "escalation.fax_lead_seconds");
  e.email_lead_seconds = Int(t, "escalation.email_lead_seconds");
  e.phone_lead_seconds = Int(t, "escalation.phone_lead_seconds");
  e.louder_before_seconds = Int(t, "escalation.louder_before_seconds");
  e.phone_reminder_seconds = Int(t, "escalation.phone_reminder_seconds");
  e.reminder_ahead_seconds = Int(t, "escalation.reminder_ahead_seconds");
  e.tick_ms = Int(t, "escalation.tick_ms");
  e.late_site_grace_seconds = Int(t, "escalation.late_site_grace_seconds");
  auto& m = c->email;
  m.host = Str(t, "email.host");
  m.port = Int(t, "email.port");
  m.security = Str(t, "email.security");
  m.ca_file = Str(t, "email.ca_file");
  m.username = Str(t, "email.username");
  m.password = Str(t, "email.password");
  m.from = Str(t, "email.from");
  m.from_name = Str(t, "email.from_name");
  m.max_attempts = Int(t, "email.max_attempts");
  m.retry_delay_ms = Int(t, "email.retry_delay_ms");
  m.relay_is_recipient_domain = Bool(t, "email.relay_is_recipient_domain");
}

Status CheckEscalationAndEmail(const Config& c, const std::function<Status(const char*, const std::string&)>& bad) {
  if (c.time_scale < 1 || c.time_scale > 3600) return bad("rules.time_scale", "must be 1-3600");
  const auto& e = c.escalation;
  if (e.channel_order.empty()) return bad("escalation.channel_order", "must name at least one channel");
  for (const auto& k : e.channel_order) {
    if (k != "sms" && k != "fax" && k != "email" && k != "phone") {
      return bad("escalation.channel_order", "'" + k + "' is not one of sms, fax, email, phone");
    }
    if (std::count(e.channel_order.begin(), e.channel_order.end(), k) > 1) {
      return bad("escalation.channel_order", "'" + k + "' is listed twice");
    }
  }
  for (auto [key, v] : {std::pair{"escalation.sms_lead_seconds", e.sms_lead_seconds},
                        {"escalation.fax_lead_seconds", e.fax_lead_seconds},
                        {"escalation.email_lead_seconds", e.email_lead_seconds},
                        {"escalation.phone_lead_seconds", e.phone_lead_seconds},
                        {"escalation.louder_before_seconds", e.louder_before_seconds},
                        {"escalation.phone_reminder_seconds", e.phone_reminder_seconds},
                        {"escalation.late_site_grace_seconds", e.late_site_grace_seconds}}) {
    if (v < 1 || v > 3600) return bad(key, "must be 1-3600 seconds");
  }
  if (e.reminder_ahead_seconds < 0 || e.reminder_ahead_seconds > 30 * 86400) {
    return bad("escalation.reminder_ahead_seconds", "must be 0-2592000 seconds");
  }
  if (e.tick_ms < 50 || e.tick_ms > 60000) return bad("escalation.tick_ms", "must be 50-60000");
  const auto& m = c.email;
  if (m.security != "starttls" && m.security != "smtps" && m.security != "plain") {
    return bad("email.security", "must be \"starttls\", \"smtps\" or \"plain\"");
  }
  if (m.port < 1 || m.port > 65535) return bad("email.port", "must be 1-65535");
  if (!m.host.empty() && m.from.find('@') == std::string::npos) return bad("email.from", "must be an e-mail address");
  if (m.max_attempts < 1 || m.max_attempts > 20) return bad("email.max_attempts", "must be 1-20");
  if (m.retry_delay_ms < 0 || m.retry_delay_ms > 600000) return bad("email.retry_delay_ms", "must be 0-600000");
  return Status::Ok();
}

void ReadConsole(const TomlTable& t, Config::Console* c) {
  c->enabled = Bool(t, "console.enabled");
  c->listen = Str(t, "console.listen");
  c->port = Int(t, "console.port");
  c->cert_file = Str(t, "console.cert_file");
  c->key_file = Str(t, "console.key_file");
  c->names = StrList(t, "console.names");
  c->drill_scenarios = Str(t, "console.drill_scenarios");
  c->fleet_view = Str(t, "console.fleet_view");
  c->idle_timeout_seconds = Int(t, "console.idle_timeout_seconds");
  c->session_lifetime_seconds = Int(t, "console.session_lifetime_seconds");
  c->login_failures_per_minute = Int(t, "console.login_failures_per_minute");
}

Status CheckConsole(const Config::Console& c, const std::function<Status(const char*, const std::string&)>& bad) {
  for (auto [key, v, lo, hi] : {std::tuple{"console.port", c.port, 0, 65535},
                                {"console.idle_timeout_seconds", c.idle_timeout_seconds, 60, 86400},
                                {"console.session_lifetime_seconds", c.session_lifetime_seconds, 300, 7 * 86400},
                                {"console.login_failures_per_minute", c.login_failures_per_minute, 1, 100}}) {
    if (v < lo || v > hi) return bad(key, "must be " + std::to_string(lo) + "-" + std::to_string(hi));
  }
  if (c.cert_file.empty() != c.key_file.empty()) return bad("console.key_file", "set both cert_file and key_file, or neither");
  return Status::Ok();
}

void ReadSupervisor(const TomlTable& t, Config::Supervisor* s) {
  s->device = Str(t, "supervisor.device");
  s->heartbeat_ms = Int(t, "supervisor.heartbeat_ms");
  s->watchdog_seconds = Int(t, "supervisor.watchdog_seconds");
  s->host_off_seconds = Int(t, "supervisor.host_off_seconds");
  s->host_boot_seconds = Int(t, "supervisor.host_boot_seconds");
  s->max_resets_per_hour = Int(t, "supervisor.max_resets_per_hour");
  s->battery_full_runtime_minutes = Int(t, "supervisor.battery_full_runtime_minutes");
  s->modem_port_lost_seconds = Int(t, "supervisor.modem_port_lost_seconds");
  s->modem_cycle_min_interval_seconds = Int(t, "supervisor.modem_cycle_min_interval_seconds");
  s->drill_button_scenario = Str(t, "supervisor.drill_button_scenario");
}

// The ranges the firmware accepts (proto/supervisor.md, CONFIG), so nothing is clamped silently.
Status CheckSupervisor(const Config& c, const std::function<Status(const char*, const std::string&)>& bad) {
  const auto& s = c.supervisor;
  if (c.power.source == "supervisor" && s.device.empty()) {
    return bad("supervisor.device", "must name the supervisor's serial port when power.source is \"supervisor\"");
  }
  for (auto [key, v, lo, hi] : {std::tuple{"supervisor.heartbeat_ms", s.heartbeat_ms, 100, 60000},
                                {"supervisor.watchdog_seconds", s.watchdog_seconds, 0, 3600},
                                {"supervisor.host_off_seconds", s.host_off_seconds, 1, 120},
                                {"supervisor.host_boot_seconds", s.host_boot_seconds, 0, 3600},
                                {"supervisor.max_resets_per_hour", s.max_resets_per_hour, 0, 8},
                                {"supervisor.battery_full_runtime_minutes", s.battery_full_runtime_minutes, 1, 65535},
                                {"supervisor.modem_port_lost_seconds", s.modem_port_lost_seconds, 1, 3600},
                                {"supervisor.modem_cycle_min_interval_seconds", s.modem_cycle_min_interval_seconds, 0,
                                 86400}}) {
    if (v < lo || v > hi) return bad(key, "must be " + std::to_string(lo) + "-" + std::to_string(hi));
  }
  if (s.watchdog_seconds != 0 && (s.watchdog_seconds < 2 || s.watchdog_seconds * 1000 < 2 * s.heartbeat_ms)) {
    return bad("supervisor.watchdog_seconds", "must be 0 (off) or at least 2 s and two heartbeats");
  }
  const std::string& id = s.drill_button_scenario;
  if (id.size() > 64 || id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    return bad("supervisor.drill_button_scenario", "must be a scenario id (a-z, 0-9, '-'; at most 64) or \"\"");
  }
  return Status::Ok();
}

void ReadAppliance(const TomlTable& t, Config* c) {
  c->log_dir = Str(t, "daemon.log_dir");
  c->log_retention_days = Int(t, "daemon.log_retention_days");
  c->metrics.loopback_port = Int(t, "metrics.loopback_port");
  c->hooks.program = Str(t, "hooks.program");
  c->hooks.events = StrList(t, "hooks.events");
  c->hooks.timeout_seconds = Int(t, "hooks.timeout_seconds");
  c->hooks.max_running = Int(t, "hooks.max_running");
  c->watch.enabled = Bool(t, "watch.enabled");
  c->watch.interval_seconds = Int(t, "watch.interval_seconds");
  c->watch.alert_after_seconds = Int(t, "watch.alert_after_seconds");
  c->watch.temporary_contact = Str(t, "watch.temporary_contact");
}

void ReadFleet(const TomlTable& t, Config::Fleet* f) {
  f->enabled = Bool(t, "fleet.enabled");
  for (auto [key, value] : {std::pair{"fleet.agency", &f->agency}, {"fleet.unit", &f->unit}, {"fleet.host", &f->host},
                            {"fleet.ca_file", &f->ca_file}, {"fleet.cert_file", &f->cert_file},
                            {"fleet.key_file", &f->key_file}, {"fleet.client_id", &f->client_id}}) {
    *value = Str(t, key);
  }
  f->port = Int(t, "fleet.port");
  f->keepalive_seconds = Int(t, "fleet.keepalive_seconds");
  f->heartbeat_seconds = Int(t, "fleet.heartbeat_seconds");
  f->reconnect_max_seconds = Int(t, "fleet.reconnect_max_seconds");
  f->window = Int(t, "fleet.window");
}

// A name that becomes one level of an MQTT topic: no separator, no wildcard.
bool IsTopicLevel(const std::string& s) {
  return !s.empty() && s.size() <= 64 && s.find_first_of("/+#") == std::string::npos &&
         std::all_of(s.begin(), s.end(), [](unsigned char ch) { return ch > 0x20 && ch < 0x7f; });
}

Status CheckFleet(const Config::Fleet& f, const std::function<Status(const char*, const std::string&)>& bad) {
  for (auto [key, v, lo, hi] : {std::tuple{"fleet.port", f.port, 1, 65535},
                                {"fleet.keepalive_seconds", f.keepalive_seconds, 5, 3600},
                                {"fleet.heartbeat_seconds", f.heartbeat_seconds, 1, 86400},
                                {"fleet.reconnect_max_seconds", f.reconnect_max_seconds, 1, 3600},
                                {"fleet.window", f.window, 1, 10000}}) {
    if (v < lo || v > hi) return bad(key, "must be " + std::to_string(lo) + "-" + std::to_string(hi));
  }
  if (!f.enabled) return Status::Ok();
  for (auto [key, value] : {std::pair{"fleet.agency", &f.agency}, {"fleet.unit", &f.unit}}) {
    if (!IsTopicLevel(*value)) return bad(key, "must be 1-64 printable ASCII characters without '/', '+' or '#'");
  }
  for (auto [key, value] : {std::pair{"fleet.host", &f.host}, {"fleet.ca_file", &f.ca_file},
                            {"fleet.cert_file", &f.cert_file}, {"fleet.key_file", &f.key_file}}) {
    if (value->empty()) return bad(key, "must be set when fleet.enabled is true (TLS with this box's certificate)");
  }
  return Status::Ok();
}

// The hook events lifelined knows (daemon/hooks/hooks.h, kHookEvents).
constexpr const char* kKnownHookEvents[] = {
    "report_accepted", "fallback_started", "recipient_confirmed", "recipient_missed_deadline",
    "late_submission_accepted", "outage", "recovery", "contact_channel_down", "contact_channel_restored"};

Status CheckAppliance(const Config& c, const std::function<Status(const char*, const std::string&)>& bad) {
  if (c.log_retention_days < 183 || c.log_retention_days > 3660) {
    return bad("daemon.log_retention_days", "must be 183-3660 days (seed 001 keeps logs at least 6 months)");
  }
  if (!c.log_dir.empty() && c.log_dir[0] != '/') return bad("daemon.log_dir", "must be an absolute path or \"\"");
  if (c.metrics.loopback_port < 0 || c.metrics.loopback_port > 65535) return bad("metrics.loopback_port", "must be 0-65535");
  if (!c.hooks.program.empty() && c.hooks.program[0] != '/') return bad("hooks.program", "must be an absolute path or \"\"");
  for (const auto& e : c.hooks.events) {
    if (std::find_if(std::begin(kKnownHookEvents), std::end(kKnownHookEvents),
                     [&](const char* k) { return e == k; }) == std::end(kKnownHookEvents)) {
      return bad("hooks.events", "'" + e + "' is not an event (see the comment in config/lifeline.toml)");
    }
  }
  if (c.hooks.timeout_seconds < 1 || c.hooks.timeout_seconds > 3600) return bad("hooks.timeout_seconds", "must be 1-3600");
  if (c.hooks.max_running < 1 || c.hooks.max_running > 32) return bad("hooks.max_running", "must be 1-32");
  if (c.watch.interval_seconds < 1 || c.watch.interval_seconds > 86400) return bad("watch.interval_seconds", "must be 1-86400");
  if (c.watch.alert_after_seconds < 1 || c.watch.alert_after_seconds > 7 * 86400) {
    return bad("watch.alert_after_seconds", "must be 1-604800");
  }
  return CheckFleet(c.fleet, bad);
}

Status CheckValues(const Config& c, const TomlTable& t) {
  // The error names the file and line the value came from: the override or the defaults.
  auto bad = [&](const char* key, const std::string& why) {
    Located at = Locate(t, key);
    return at.table.Error(at.key, why);
  };
  if (c.state_dir.empty()) return bad("daemon.state_dir", "must not be empty");
  if (c.clock_skew_seconds < 0 || c.clock_skew_seconds > 86400) {
    return bad("daemon.clock_skew_seconds", "must be 0-86400");
  }
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), c.log_level) == std::end(kLevels)) {
    return bad("daemon.log_level", "'" + c.log_level + "' is not one of trace, debug, info, warn, error, off");
  }
  if (Str(t, "daemon.socket").empty()) return bad("daemon.socket", "must not be empty");
  // sun_path holds 108 bytes including the terminator. A relative socket lies
  // under the state directory: when the operator's file set only the state
  // directory, that is the line the error names.
  if (c.socket_path.size() > 107) {
    const Located socket = Locate(t, "daemon.socket");
    const bool socket_from_defaults = socket.table.OriginOf(socket.key) == kDefaultsOrigin;
    if (socket_from_defaults && !std::filesystem::path(Str(t, "daemon.socket")).is_absolute()) {
      return bad("daemon.state_dir", "too long for the socket under it (" + Str(t, "daemon.socket") +
                                         "): its path would be longer than 107 bytes: " + c.socket_path);
    }
    return bad("daemon.socket", "path longer than 107 bytes: " + c.socket_path);
  }
  LIFELINE_RETURN_IF_ERROR(CheckSiteAndMonitor(c, bad));
  if (!c.power.source.empty() && c.power.source != "nut" && c.power.source != "supervisor") {
    return bad("power.source", "must be \"\", \"nut\" or \"supervisor\"");
  }
  LIFELINE_RETURN_IF_ERROR(CheckSupervisor(c, bad));
  LIFELINE_RETURN_IF_ERROR(CheckConsole(c.console, bad));
  if (c.power.nut_port < 1 || c.power.nut_port > 65535) return bad("power.nut_port", "must be 1-65535");
  if (c.power.poll_interval_ms < 100 || c.power.poll_interval_ms > 600000) {
    return bad("power.poll_interval_ms", "must be 100-600000");
  }
  if (c.sms.validity_minutes < 5 || c.sms.validity_minutes > 63 * 24 * 60) {
    return bad("sms.validity_minutes", "must be 5 minutes to 63 days");
  }
  if (c.sms.max_attempts_per_part < 1 || c.sms.max_attempts_per_part > 20) {
    return bad("sms.max_attempts_per_part", "must be 1-20");
  }
  if (c.sms.retry_delay_ms < 0 || c.sms.retry_delay_ms > 600000) return bad("sms.retry_delay_ms", "must be 0-600000");
  LIFELINE_RETURN_IF_ERROR(CheckEscalationAndEmail(c, bad));
  LIFELINE_RETURN_IF_ERROR(CheckAppliance(c, bad));
  return CheckFax(c.fax, bad);
}

// A secret kept in a file of its own: a regular file no one but its owner can
// read (mode 0600 or 0400), its content up to a newline. Errors name the field
// and the file, never the secret.
Result<std::string> ReadSecretFile(const TomlTable& t, const char* key, const std::string& path) {
  Located at = Locate(t, key);
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return at.table.Error(at.key, "cannot read " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return at.table.Error(at.key, path + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    return at.table.Error(at.key, path + " can be read by others than its owner (mode " + mode +
                                      "); make it 0600, owned by lifeline");
  }
  if (st.st_size > 1024) return at.table.Error(at.key, path + " is too large for a secret (1 KiB at most)");
  std::ifstream in(path, std::ios::binary);
  std::string secret;
  if (!in || !std::getline(in, secret)) return at.table.Error(at.key, path + " is empty");
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) return at.table.Error(at.key, path + " is empty");
  return secret;
}

Status ReadSecrets(const TomlTable& t, Config* c) {
  c->sms.pin_file = Str(t, "sms.pin_file");
  c->email.password_file = Str(t, "email.password_file");
  for (auto [inline_key, file_key, value, file] :
       {std::tuple{"sms.pin", "sms.pin_file", &c->sms.pin, &c->sms.pin_file},
        std::tuple{"email.password", "email.password_file", &c->email.password, &c->email.password_file}}) {
    if (file->empty()) continue;
    if (!value->empty()) {
      Located at = Locate(t, inline_key);
      return at.table.Error(at.key, std::string("given inline and in ") + file_key + "; keep it in the file only");
    }
    auto secret = ReadSecretFile(t, file_key, *file);
    if (!secret.ok()) return secret.status();
    *value = std::move(*secret);
  }
  const std::string& pin = c->sms.pin;
  const bool digits = std::all_of(pin.begin(), pin.end(), [](unsigned char ch) { return ch >= '0' && ch <= '9'; });
  if (!pin.empty() && (!digits || pin.size() < 4 || pin.size() > 8)) {
    Located at = Locate(t, c->sms.pin_file.empty() ? "sms.pin" : "sms.pin_file");
    return at.table.Error(at.key, "a SIM PIN is 4 to 8 digits");  // the PIN itself is never shown
  }
  return Status::Ok();
}

}  // namespace

Result<Config> LoadConfig(std::optional<std::string_view> override_text, std::string_view origin_v) {
  auto base = TomlDocument::Parse(embedded::default_config, kDefaultsOrigin);
  if (!base.ok()) return base.status();
  if (override_text) {
    auto over = TomlDocument::Parse(*override_text, origin_v);
    if (!over.ok()) return over.status();
    LIFELINE_RETURN_IF_ERROR(base->Overlay(*over));
  }
  const TomlTable t = base->root();
  Config c;
  c.state_dir = Str(t, "daemon.state_dir");
  std::filesystem::path socket = Str(t, "daemon.socket");
  c.socket_path = socket.is_absolute() ? socket.string() : (std::filesystem::path(c.state_dir) / socket).string();
  c.socket_group = Str(t, "daemon.socket_group");
  c.log_level = Str(t, "daemon.log_level");
  c.clock_skew_seconds = Int(t, "daemon.clock_skew_seconds");
  c.rules_file = Str(t, "rules.file");
  c.time_scale = Int(t, "rules.time_scale");
  c.agency_name = Str(t, "agency.name");
  c.agency_phone = Str(t, "agency.contact_phone");
  c.agency_fax = Str(t, "agency.contact_fax");
  c.agency_email = Str(t, "agency.contact_email");
  ReadFax(t, &c.fax);
  ReadEscalationAndEmail(t, &c);
  ReadSiteAndMonitor(t, &c);
  c.power = {Str(t, "power.source"), Str(t, "power.nut_host"), Str(t, "power.nut_ups"),
             Int(t, "power.nut_port"), Int(t, "power.poll_interval_ms")};
  ReadSupervisor(t, &c.supervisor);
  ReadConsole(t, &c.console);
  c.sms.device = Str(t, "sms.device");
  c.sms.pin = Str(t, "sms.pin");
  c.sms.validity_minutes = Int(t, "sms.validity_minutes");
  c.sms.max_attempts_per_part = Int(t, "sms.max_attempts_per_part");
  c.sms.retry_delay_ms = Int(t, "sms.retry_delay_ms");
  LIFELINE_RETURN_IF_ERROR(ReadSecrets(t, &c));
  ReadAppliance(t, &c);
  ReadFleet(t, &c.fleet);
  LIFELINE_RETURN_IF_ERROR(CheckValues(c, t));
  return c;
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto c = LoadConfig(std::string_view(text), path);
  if (!c.ok()) return c;
  // An inline secret is only as private as the file that holds it.
  struct stat st {};
  const bool others_read = stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0;
  const char* exposed = !c->sms.pin.empty() && c->sms.pin_file.empty()                ? "sms.pin"
                        : !c->email.password.empty() && c->email.password_file.empty() ? "email.password"
                                                                                       : nullptr;
  if (others_read && exposed) {
    return InvalidArgument(path + ": " + exposed + ": a secret in a file everyone can read; move it to " +
                           exposed + "_file (mode 0600) or make " + path + " unreadable to others");
  }
  return c;
}

}  // namespace lifeline
