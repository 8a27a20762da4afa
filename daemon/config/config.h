// lifelined's configuration: the compiled-in config/lifeline.toml, overridden
// key by key by an optional file. An unknown key, a value of the wrong type or
// an invalid value is an error naming file, line and key; nothing is guessed.
#pragma once

#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "daemon/core/status.h"

namespace lifeline {

struct Config {
  std::string state_dir;
  std::string socket_path;  // resolved against state_dir
  std::string socket_group;
  std::string log_level;
  int clock_skew_seconds = 300;  // stated times later than now + this are refused
  std::string log_dir;          // "" = standard error only
  int log_retention_days = 190;
  std::string rules_file;  // "" = compiled-in rule set
  int time_scale = 1;      // divides rule durations and escalation timings (demo, tests)
  std::string agency_name, agency_phone, agency_fax, agency_email;

  struct Fax {
    std::string device, local_ident;
    bool ecm = true;
    int max_bit_rate = 14400, max_attempts = 6;
    int busy_retry_seconds = 90, no_answer_retry_seconds = 120, no_carrier_retry_seconds = 90;
    int no_dialtone_retry_seconds = 30, call_failed_retry_seconds = 30, budget_seconds = 2100;
  } fax;

  struct Sms {
    std::string device, pin;
    std::string pin_file;  // where `pin` came from, when it came from a file
    int validity_minutes = 1440, max_attempts_per_part = 3, retry_delay_ms = 3000;
  } sms;

  struct Power {
    std::string source, nut_host, nut_ups;
    int nut_port = 3493, poll_interval_ms = 2000;
  } power;

  struct Supervisor {
    std::string device;
    int heartbeat_ms = 1000, watchdog_seconds = 120, host_off_seconds = 10, host_boot_seconds = 300;
    int max_resets_per_hour = 3, battery_full_runtime_minutes = 240;
    int modem_port_lost_seconds = 60, modem_cycle_min_interval_seconds = 600;
    std::string drill_button_scenario;  // the scenario id in console.drill_scenarios; "" = the button starts none
  } supervisor;

  struct Site {
    std::string base_url, ca_file, pinned_public_key;
    bool allow_plain_http = false;
    int connect_timeout_ms = 5000, total_timeout_ms = 20000, max_attempts = 8, replay_interval_seconds = 60;
  } site;

  struct Escalation {
    std::string recipients_file, templates_file;
    std::vector<std::string> channel_order;
    int sms_lead_seconds = 600, fax_lead_seconds = 900, email_lead_seconds = 300, phone_lead_seconds = 900;
    int louder_before_seconds = 600, phone_reminder_seconds = 300, reminder_ahead_seconds = 7200;
    int late_site_grace_seconds = 60;
    int tick_ms = 1000;
  } escalation;

  struct Console {
    bool enabled = true;
    std::string listen = "0.0.0.0", cert_file, key_file;
    std::string drill_scenarios;  // folder of drill scenarios the drills page offers; "" = none
    std::string fleet_view;       // lifeline-fleet's configuration whose view the fleet page shows; "" = none
    int port = 8443, idle_timeout_seconds = 900, session_lifetime_seconds = 43200, login_failures_per_minute = 5;
    std::vector<std::string> names;
  } console;

  struct Email {
    std::string host, security, ca_file, username, password, from, from_name;
    std::string password_file;  // where `password` came from, when it came from a file
    int port = 587, max_attempts = 3, retry_delay_ms = 10000;
    // The server above is the recipients' own mail domain's server, so its
    // acceptance is delivery (confirmed); otherwise it is a relay ("sent").
    bool relay_is_recipient_domain = false;
  } email;

  struct Metrics {
    int loopback_port = 9469;  // with the console disabled; 0 = none
  } metrics;

  struct Hooks {
    std::string program;
    std::vector<std::string> events;  // empty = all
    int timeout_seconds = 30, max_running = 4;
  } hooks;

  struct Watch {
    bool enabled = true;
    int interval_seconds = 900, alert_after_seconds = 3600;
    std::string temporary_contact;
  } watch;

  struct Fleet {
    bool enabled = false;
    std::string agency, unit, host, ca_file, cert_file, key_file, client_id;
    int port = 8883, keepalive_seconds = 60, heartbeat_seconds = 60, reconnect_max_seconds = 60, window = 64;
  } fleet;

  struct Monitor {
    int outage_after_failures = 3, outage_min_span_seconds = 60, recovered_after_successes = 2;
    int probe_interval_seconds = 30, probe_interval_in_outage_seconds = 10;
  } monitor;
};

// Loads the embedded defaults, then `override_text` (named `origin` in errors)
// when given.
Result<Config> LoadConfig(std::optional<std::string_view> override_text, std::string_view origin);
// Reads FILE and loads it over the defaults.
Result<Config> LoadConfigFile(const std::string& path);
// The embedded default text.
std::string_view DefaultConfigText();

}  // namespace lifeline
