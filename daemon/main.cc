// lifelined: wiring only. Builds the modules in dependency order on one
// io_context thread, runs until SIGINT/SIGTERM, and stops them in reverse.
// Bad configuration is fatal (exit 2, systemd restarts after it is fixed);
// runtime failures are handled inside the modules.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <map>
#include <optional>
#include <string>

#include "daemon/core/legal_clock.h"
#include "daemon/core/text.h"
#include "daemon/core/memory.h"
#include "daemon/channels/fax/fax.h"
#include "daemon/channels/phone/phone.h"
#include "daemon/channels/wiring/wiring.h"
#include "daemon/config/config.h"
#include "daemon/console/console.h"
#include "daemon/core/log.h"
#include "daemon/drill/drill.h"
#include "daemon/escalation/engine.h"
#include "daemon/fleet/fleet.h"
#include "daemon/hooks/hooks.h"
#include "daemon/intake/intake.h"
#include "daemon/metrics/metrics.h"
#include "daemon/monitor/monitor.h"
#include "daemon/online/online.h"
#include "daemon/power/power.h"
#include "daemon/site/site.h"
#include "daemon/rules/rules.h"
#include "daemon/service/service.h"
#include "daemon/store/store.h"
#include "daemon/supervisor/wiring.h"
#include "daemon/watch/watch.h"

namespace lifeline {
namespace {

struct Args {
  std::optional<std::string> config_file;
  std::optional<std::string> check_config;
  bool prepare_state = false;  // the package's maintainer scripts: key and migrations, then exit
  bool help = false;
};

Result<Args> ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--config" && has_value) a.config_file = argv[++i];
    else if (arg == "--check-config" && has_value) a.check_config = argv[++i];
    else if (arg == "--prepare-state") a.prepare_state = true;
    else if (arg == "--help" || arg == "-h") a.help = true;
    else return InvalidArgument("unknown or incomplete argument '" + arg + "' (see --help)");
  }
  return a;
}

constexpr const char* kUsage =
    "usage: lifelined [--config FILE]\n"
    "       lifelined --check-config FILE\n"
    "       lifelined [--config FILE] --prepare-state   (create the journal key, migrate the store, exit)\n"
    "Without --config, the compiled-in configuration is used and state goes to ./lifeline-state.\n";

Result<Config> LoadEffectiveConfig(const std::optional<std::string>& file) {
  return file ? LoadConfigFile(*file) : LoadConfig(std::nullopt, "");
}

// The rule set on the configured clock (time_scale > 1 only for the demo, tests and drills).
Result<RuleSet> LoadRules(const Config& config) {
  auto rules = config.rules_file.empty() ? DefaultRuleSet() : LoadRuleSetFile(config.rules_file);
  if (!rules.ok()) return rules.status();
  return ScaleRuleSet(std::move(*rules), config.time_scale);
}

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<Directory> LoadRecipients(const Config& config) {
  if (config.escalation.recipients_file.empty()) return DefaultDirectory();
  auto text = ReadText(config.escalation.recipients_file);
  if (!text.ok()) return text.status();
  return LoadDirectory(*text, config.escalation.recipients_file);
}

Result<Templates> LoadTemplates(const Config& config) {
  if (config.escalation.templates_file.empty()) return Templates::Default();
  auto text = ReadText(config.escalation.templates_file);
  if (!text.ok()) return text.status();
  return Templates::Load(*text, config.escalation.templates_file);
}

EngineOptions EngineOptionsFrom(const Config& config) {
  using std::chrono::seconds;
  const auto& e = config.escalation;
  int k = config.time_scale;
  auto scaled = [k](int s) { return seconds(std::max(1, s / k)); };
  EngineOptions o;
  o.policy.lead_time = {{"sms", scaled(e.sms_lead_seconds)}, {"fax", scaled(e.fax_lead_seconds)},
                        {"email", scaled(e.email_lead_seconds)}, {"phone", scaled(e.phone_lead_seconds)}};
  o.policy.channel_order = e.channel_order;
  o.policy.louder_before = scaled(e.louder_before_seconds);
  o.tick = std::chrono::milliseconds(e.tick_ms);
  o.reminder_ahead = seconds(e.reminder_ahead_seconds / k);
  o.late_site_grace = scaled(e.late_site_grace_seconds);
  o.callback = config.agency_phone;
  return o;
}

// Checks FILE and everything it points at (the rule set); prints the verdict.
int CheckConfig(const std::string& file) {
  auto config = LoadConfigFile(file);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 1;
  }
  auto rules = LoadRules(*config);
  if (!rules.ok()) {
    std::cerr << rules.status().message() << "\n";
    return 1;
  }
  auto recipients = LoadRecipients(*config);
  auto templates = LoadTemplates(*config);
  if (!recipients.ok() || !templates.ok()) {
    std::cerr << (recipients.ok() ? templates.status() : recipients.status()).message() << "\n";
    return 1;
  }
  std::cout << file << ": OK (rule set " << rules->id << ", state in " << config->state_dir << ")\n";
  return 0;
}

Status PrepareStateDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create state directory " + dir + ": " + ec.message());
  // The journal key and the database live here: owner and group at most
  // (group for a socket inside it); a directory made tighter (the package's
  // 0700) stays so.
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return IoError("cannot stat " + dir);
  mode_t mode = (st.st_mode & 0770) | 0700;
  if ((st.st_mode & 07777) != mode && chmod(dir.c_str(), mode) != 0) return IoError("cannot set permissions on " + dir);
  return Status::Ok();
}

// One lifelined per state directory: a second one would share the database.
Status LockStateDir(const std::string& dir) {
  std::string path = dir + "/lifelined.lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return IoError("cannot open " + path);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return FailedPrecondition("another lifelined is using " + dir);
  }
  return Status::Ok();  // held until the process exits
}

// The site client and link monitor, when a site is configured.
struct OnlineParts {
  std::unique_ptr<SiteClient> client;
  std::unique_ptr<LinkMonitor> monitor;
};

Result<OnlineParts> StartOnline(asio::io_context& io, const Clock& clock, const Config& config,
                                OnlinePath& online) {
  OnlineParts parts;
  if (config.site.base_url.empty()) {
    spdlog::warn("site.base_url is empty: reports are stored and journaled but not sent online");
    return parts;
  }
  SiteOptions so;
  so.base_url = config.site.base_url;
  so.ca_file = config.site.ca_file;
  so.pinned_public_key = config.site.pinned_public_key;
  so.allow_plain_http = config.site.allow_plain_http;
  so.connect_timeout = std::chrono::milliseconds(config.site.connect_timeout_ms);
  so.total_timeout = std::chrono::milliseconds(config.site.total_timeout_ms);
  so.max_attempts = config.site.max_attempts;
  auto client = SiteClient::Create(io, clock, so, &online);
  if (!client.ok()) return client.status();
  parts.client = std::move(*client);
  LinkOptions lo;
  lo.outage_after_failures = config.monitor.outage_after_failures;
  lo.outage_min_span = std::chrono::seconds(config.monitor.outage_min_span_seconds);
  lo.recovered_after_successes = config.monitor.recovered_after_successes;
  lo.probe_interval = std::chrono::seconds(config.monitor.probe_interval_seconds);
  lo.probe_interval_in_outage = std::chrono::seconds(config.monitor.probe_interval_in_outage_seconds);
  parts.monitor = std::make_unique<LinkMonitor>(io, clock, lo, *parts.client, &online);
  online.Attach(parts.client.get(), parts.monitor.get());
  parts.monitor->Start();
  online.Start();
  return parts;
}

// Journals every power change the UPS reports; nothing when no source is configured.
Result<std::unique_ptr<NutPowerSource>> StartPower(asio::io_context& io, const Config& config, AsyncStore& store,
                                                   std::function<void(const PowerState&)> on_change) {
  if (config.power.source != "nut") return std::unique_ptr<NutPowerSource>();
  NutOptions o;
  o.host = config.power.nut_host;
  o.port = static_cast<uint16_t>(config.power.nut_port);
  o.ups = config.power.nut_ups;
  o.poll_interval = std::chrono::milliseconds(config.power.poll_interval_ms);
  auto source = std::make_unique<NutPowerSource>(io, o);
  source->OnChange([&store, on_change](const PowerState& p) {
    on_change(p);
    nlohmann::json payload = {{"known", p.known}, {"mains_ok", p.mains_ok}, {"on_battery", p.on_battery},
                              {"low_battery", p.low_battery}, {"status", p.status}, {"detail", p.detail}};
    if (p.runtime) payload["runtime_seconds"] = p.runtime->count();
    if (p.charge_percent) payload["charge_percent"] = *p.charge_percent;
    spdlog::warn("power: {}", DescribePowerState(p));
    store.RunInBackground("a power change", [payload](Store& st) { return st.RecordEvent("power.change", "", payload); });
  });
  LIFELINE_RETURN_IF_ERROR(source->Start());
  return source;
}

WatchOptions WatchOptionsFrom(const Config& config) {
  WatchOptions o;
  o.interval = std::chrono::seconds(config.watch.interval_seconds);
  o.retry_while_failing = std::min(o.interval, std::chrono::seconds(60));
  o.alert_after = std::chrono::seconds(config.watch.alert_after_seconds);
  o.temporary_contact = config.watch.temporary_contact;
  o.agency = config.agency_name;
  return o;
}

HookOptions HookOptionsFrom(const Config& config) {
  HookOptions o;
  o.program = config.hooks.program;
  o.events.insert(config.hooks.events.begin(), config.hooks.events.end());
  o.timeout = std::chrono::seconds(config.hooks.timeout_seconds);
  o.max_running = static_cast<size_t>(config.hooks.max_running);
  return o;
}

FleetOptions FleetOptionsFrom(const Config& config) {
  const Config::Fleet& f = config.fleet;
  FleetOptions o;
  o.agency = f.agency;
  o.unit = f.unit;
  o.broker.host = f.host;
  o.broker.port = f.port;
  o.broker.ca_file = f.ca_file;
  o.broker.cert_file = f.cert_file;
  o.broker.key_file = f.key_file;
  o.broker.client_id = f.client_id;
  o.broker.keepalive = std::chrono::seconds(f.keepalive_seconds);
  o.broker.reconnect_max = std::chrono::seconds(f.reconnect_max_seconds);
  o.heartbeat = std::chrono::seconds(f.heartbeat_seconds);
  o.window = static_cast<size_t>(f.window);
  return o;
}

// What the metrics read of the daemon's live state: the dashboard's view of
// the box, the engine's nearest deadline, the hooks' runs.
LiveState LiveStateOf(const BoxHealth& h, const Config& config, const EscalationEngine& engine,
                      const EventHooks& hooks, const AsyncStore& store, const ContactWatch& watch) {
  LiveState l;
  l.site_state = h.site_state;
  l.site_reason = h.site_reason;
  const nlohmann::json& p = h.power;
  l.power_known = p.value("known", false);
  l.on_battery = p.value("on_battery", false);
  l.low_battery = p.value("low_battery", false);
  if (p.contains("runtime_seconds") && p["runtime_seconds"].is_number()) l.battery_runtime_seconds = p["runtime_seconds"].get<double>();
  if (p.contains("charge_percent") && p["charge_percent"].is_number()) l.battery_charge_percent = p["charge_percent"].get<double>();
  if (!config.sms.device.empty()) {
    auto sms = h.channels.find("sms");
    const nlohmann::json m = sms == h.channels.end() ? nlohmann::json::object() : sms->second;
    l.modem = LiveState::Modem{m.value("ready", false), m.value("registered", false), std::nullopt};
    if (m.contains("signal_dbm") && m["signal_dbm"].is_number()) l.modem->signal_dbm = m["signal_dbm"].get<int>();
  }
  l.nearest_deadline = engine.NearestOpenDeadline();
  l.hook_runs = hooks.runs();
  l.store_background_failures = store.background_failures();
  const WallTime now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  for (const ContactStatus& c : watch.Status()) {
    std::optional<double> down;
    if (c.failing_since) down = std::chrono::duration<double>(now - *c.failing_since).count();
    l.contacts.push_back({c.channel, c.up, down, c.alerted});
  }
  return l;
}

int Fatal(const Status& s) {
  spdlog::critical("{}", s.ToString());
  return 2;
}

// What lifelined runs on, all read and checked before anything starts.
struct Inputs {
  Config config;
  RuleSet rules;
  Directory recipients;
  Templates templates;
  std::map<std::string, std::string> recipient_names;  // key -> name, real and drill, for the dashboard
  std::vector<InternalContact> internal;               // told when a contact channel stays down
};

Result<Inputs> LoadInputs(Config config) {
  auto rules = LoadRules(config);
  if (!rules.ok()) return rules.status();
  auto recipients = LoadRecipients(config);
  if (!recipients.ok()) return recipients.status();
  auto templates = LoadTemplates(config);
  if (!templates.ok()) return templates.status();
  std::map<std::string, std::string> names;
  for (const auto* set : {&recipients->recipients, &recipients->drill_recipients}) {
    for (const Recipient& r : *set) names[r.key] = r.name;
  }
  std::vector<InternalContact> internal;
  for (const Recipient& r : recipients->recipients) {
    if (r.role == "internal") internal.push_back({r.key, r.name, r.channels});
  }
  return Inputs{std::move(config),     std::move(*rules), std::move(*recipients), std::move(*templates),
                std::move(names), std::move(internal)};
}

// The running daemon: every module is a member, declared in dependency order,
// so construction builds them in that order and destruction stops them in
// reverse. Start wires and starts what needs more than construction; Stop
// ends what must end before the store's last journal entry.
class Daemon {
 public:
  // `clock` is the one the store was opened with; `base` the one it reads, which
  // the supervisor may switch to its RTC.
  Daemon(Inputs in, supervisor::SupervisedClock& base, LegalClock& clock, std::unique_ptr<Store> store)
      : base_clock_(base),
        clock_(clock),
        in_(std::move(in)),
        store_(std::move(store), io_),
        hooks_(io_, store_, clock_, HookOptionsFrom(in_.config)),
        hasher_(io_),
        api_(store_, in_.rules, clock_),
        online_(io_, store_, {std::chrono::seconds(in_.config.site.replay_interval_seconds), 8}),
        engine_(io_, store_, clock_, std::move(in_.recipients), std::move(in_.templates), EngineOptionsFrom(in_.config)),
        phone_(io_, store_, std::chrono::seconds(std::max(1, in_.config.escalation.phone_reminder_seconds /
                                                                 in_.config.time_scale))),
        drills_(io_, store_, clock_, engine_, online_),
        watch_(io_, store_, clock_, WatchOptionsFrom(in_.config)),
        metrics_(store_, clock_, [this] { return LiveStateOf(api_.health(), in_.config, engine_, hooks_, store_, watch_); }),
        clock_watch_(io_),
        service_(io_, NotifyEnvironmentFromProcess()),
        signals_(io_, SIGINT, SIGTERM) {}

  Status Start();
  void Run();
  void Stop();

 private:
  Status StartChannels();
  void WireConditions();
  Status StartPowerSources();
  void WireSupervisor();
  void OnDrillButton();
  void StartConsole();
  void WatchClock();
  void StartMetrics();
  void StartWatch();
  void StartFleet();

  supervisor::SupervisedClock& base_clock_;
  LegalClock& clock_;
  Inputs in_;
  asio::io_context io_;
  AsyncStore store_;
  EventHooks hooks_;  // the site's program on journal events; the missed-deadline watch
  std::unique_ptr<FleetPublisher> fleet_;  // the supervising agency's broker, when [fleet] is enabled
  HashWorker hasher_;
  IntakeApi api_;
  OnlinePath online_;
  EscalationEngine engine_;
  PhoneRunner phone_;
  ChannelRunners runners_;
  DrillDesk drills_;
  ContactWatch watch_;  // the agency's own contact channels (seed 001 肆.五)
  DaemonMetrics metrics_;
  Conditions live_;  // what the engine knows of the world: the site's link and the mains
  OnlineParts online_parts_;
  std::unique_ptr<NutPowerSource> nut_;
  std::unique_ptr<supervisor::SupervisorService> supervisor_;
  std::unique_ptr<IntakeServer> server_;
  std::unique_ptr<ConsoleServer> console_;
  asio::steady_timer clock_watch_;
  int clock_watches_ = 0;
  std::unique_ptr<MetricsServer> metrics_server_;  // loopback, when the console is disabled
  ServiceNotifier service_;  // systemd: READY, WATCHDOG from this loop, STOPPING
  asio::signal_set signals_;
  uint64_t loop_exceptions_ = 0;
  bool drill_button_starting_ = false;  // a press's drill is being started
};

Status Daemon::StartChannels() {
  engine_.SetRunner("phone", &phone_);
  AddPhoneRoutes(api_, store_, phone_);
  LIFELINE_RETURN_IF_ERROR(lifeline::StartChannels(
      io_, clock_, in_.config, store_, runners_, [this](const std::string& kind, const nlohmann::json& e) {
        spdlog::info("{} channel: {}", kind, DumpJson(e));
        api_.health().channels[kind] = e;
        if (kind == "sms" && supervisor_) supervisor_->OnModemHealth(e);
        store_.RunInBackground("the " + kind + " channel's health", [kind, e](Store& st) {
          return st.RecordEvent("channel.health", "", {{"channel", kind}, {"health", e}});
        });
      }));
  for (auto& [kind, runner] : runners_.all) {
    engine_.SetRunner(kind, runner);
    if (!api_.health().channels.count(kind)) api_.health().channels[kind] = {{"configured", true}};
  }
  if (runners_.all.count("fax")) api_.health().channels["fax"]["device"] = in_.config.fax.device;
  DrillRecordNames drill_names;
  drill_names.recipients = in_.recipient_names;
  for (const auto* set : {&in_.recipients.recipients, &in_.recipients.drill_recipients}) {
    for (const Recipient& r : *set) {
      if (r.role == "superior_agency") drill_names.superiors.insert(r.key);
    }
  }
  drill_names.unit_id = in_.config.fleet.unit;
  AddDrillRoutes(api_, drills_, clock_, store_, std::move(drill_names));
  AddDrillPlanRoutes(api_, store_);
  AddFleetRoutes(api_, store_, in_.config.console.fleet_view);
  AddDrillScenarioRoutes(api_, in_.config.console.drill_scenarios, in_.config.time_scale);
  AddRecordRoutes(api_, store_, in_.config.state_dir);
  AddAccountRoutes(api_, store_, hasher_);
  AddStageRoutes(api_, store_);
  AddSignoffRoutes(api_, store_, hasher_);
  AddExportRoutes(api_, store_, in_.config.state_dir);
  AddByHandRoutes(api_, engine_);
  return Status::Ok();
}

void Daemon::WireConditions() {
  online_.on_link_change = [this](const LinkChange& c) {
    live_.site_outage = c.to == LinkState::kOutage;
    live_.link_class = live_.site_outage ? std::string(LinkReasonName(c.reason)) : "";
    live_.outage_began_at = live_.site_outage ? std::optional<WallTime>(c.failing_since) : std::nullopt;
    engine_.SetConditions(live_);
    BoxHealth& h = api_.health();
    h.site_state = std::string(LinkStateName(c.to));
    h.site_reason = live_.link_class;
    h.site_since = FormatUtcMicros(live_.site_outage ? c.failing_since : clock_.Now());
  };
  online_.on_accepted = [this](const std::string& id, int revision) {
    // The link monitor reports changes only, and presumes the link up; a
    // receipt is the first proof of it, so the dashboard and the metrics say
    // up from here rather than unknown.
    BoxHealth& h = api_.health();
    if (h.site_state == "unknown") {
      h.site_state = "up";
      h.site_since = FormatUtcMicros(clock_.Now());
    }
    engine_.OnAccepted(id, revision);
    drills_.OnAccepted(id);
  };
  api_.on_stored = [this](StoredRevision r) {
    online_.Submit(r);
    engine_.OnStored(std::move(r));
  };
  api_.on_stage_stored = [this](StoredStage s) {
    online_.SubmitStage(s);
    engine_.OnScheduleChanged(s.report_id, s.schedule);
  };
}

Status Daemon::StartPowerSources() {
  auto on_power = [this](const PowerState& p) {
    live_.on_battery = p.known && p.on_battery;
    live_.battery_runtime = live_.on_battery ? p.runtime : std::nullopt;
    engine_.SetConditions(live_);
    nlohmann::json j = {{"known", p.known}, {"mains_ok", p.mains_ok}, {"on_battery", p.on_battery},
                        {"low_battery", p.low_battery}, {"status", p.status}, {"source", in_.config.power.source}};
    if (p.runtime) j["runtime_seconds"] = p.runtime->count();
    if (p.charge_percent) j["charge_percent"] = *p.charge_percent;
    api_.health().power = j;
  };
  auto nut = StartPower(io_, in_.config, store_, on_power);
  if (!nut.ok()) return nut.status();
  nut_ = std::move(*nut);
  auto supervised = supervisor::SupervisorService::Start(
      io_, in_.config, on_power,
      [this](const std::string& type, const nlohmann::json& payload, std::function<void(Status)> done) {
        store_.Run([type, payload](Store& st) { return st.RecordEvent(type, "", payload); }, std::move(done));
      },
      &base_clock_);
  if (!supervised.ok()) return supervised.status();
  supervisor_ = std::move(*supervised);
  return Status::Ok();
}

// The alarm in the room follows what the engine and the monitor know, looked
// at on each of the engine's ticks (the service sends only changes).
supervisor::AlarmInputs AlarmInputsFrom(const FallbackSummary& f, const Conditions& live) {
  supervisor::AlarmInputs in;
  in.power_outage = live.site_outage || live.on_battery;
  in.fallback_under_way = f.under_way;
  in.deadline_near = f.deadline_near;
  in.all_confirmed = f.all_confirmed;
  return in;
}

void Daemon::WireSupervisor() {
  if (!supervisor_) return;
  engine_.after_tick = [this] { supervisor_->SetAlarmInputs(AlarmInputsFrom(engine_.Fallbacks(), live_)); };
  supervisor_->on_drill_button = [this] { OnDrillButton(); };
}

// A press starts the configured scenario, unless a drill is running or being
// started; either way the press and what came of it are journaled.
void Daemon::OnDrillButton() {
  const std::string scenario = in_.config.supervisor.drill_button_scenario;
  auto journal = [this, scenario](nlohmann::json payload) {
    payload["scenario"] = scenario;
    spdlog::warn("drill button: {}", DumpJson(payload));
    // Under the drill's report when one started, so its timeline shows the press that began it.
    store_.RunInBackground("a drill button press", [payload, report = payload.value("report_id", "")](Store& st) {
      Store::ActorScope by(st, "supervisor:drill-button");
      return st.RecordEvent("drill.button", report, payload);
    });
  };
  if (drill_button_starting_) return journal({{"started", false}, {"why", "a drill is being started"}});
  drill_button_starting_ = true;
  const Principal who{"supervisor:drill-button", Role::kOperator, "supervisor"};
  StartLibraryDrill(api_, drills_, clock_, in_.config.console.drill_scenarios, scenario, in_.config.time_scale, who,
                    [this, journal](Result<nlohmann::json> drill) {
                      drill_button_starting_ = false;
                      if (!drill.ok()) return journal({{"started", false}, {"why", drill.status().message()}});
                      journal({{"started", true}, {"drill_id", drill->value("id", "")},
                               {"report_id", drill->value("report_id", "")}});
                    });
}

// Metrics on the console's port (its router asks for a token) or, without a
// console, on loopback; either failure is loud but not fatal.
void Daemon::StartMetrics() {
  api_.on_metrics = [this](http::Reply reply) {
    metrics_.Render([reply](Result<std::string> text) {
      if (!text.ok()) return reply(ResponseFromStatus(text.status()));
      http::Response r;
      r.headers.Add("content-type", kMetricsContentType);
      r.body = std::move(*text);
      reply(std::move(r));
    });
  };
  std::function<void(Store&)> publish = fleet_ ? fleet_->CommitObserver() : nullptr;
  store_.SetCommitObserver([latency = metrics_.commit_latency(), follow = hooks_.CommitObserver(), publish](
                               Store& st, std::chrono::microseconds commit) {
    latency->Observe(commit);
    follow(st);
    if (publish) publish(st);
  });
  if (in_.config.console.enabled || in_.config.metrics.loopback_port == 0) return;
  auto server = MetricsServer::Listen(io_, "127.0.0.1", static_cast<uint16_t>(in_.config.metrics.loopback_port), metrics_);
  if (!server.ok()) return spdlog::critical("metrics not served: {}", server.status().ToString());
  metrics_server_ = std::move(*server);
  spdlog::info("metrics: http://127.0.0.1:{}/metrics", metrics_server_->port());
}

// Each configured contact channel gets its check; the alerts go to the
// dashboard's banner and, by message, to the internal recipients.
void Daemon::StartWatch() {
  const Config& c = in_.config;
  if (!c.watch.enabled) return;
  if (!c.sms.device.empty()) {
    watch_.Add("sms", [this](std::function<void(bool, std::string)> done) {
      auto it = api_.health().channels.find("sms");
      if (it == api_.health().channels.end()) return done(false, "the modem has not reported its state");
      const nlohmann::json& m = it->second;
      if (m.value("ready", false)) return done(true, "registered");
      done(false, m.value("problem", "").empty() ? "not registered" : m.value("problem", ""));
    });
  }
  if (!c.fax.device.empty()) {
    watch_.AddBlocking("fax", [device = c.fax.device]() -> std::pair<bool, std::string> {
      auto line = fax::CheckLine(device, std::chrono::seconds(20));
      if (!line.ok()) return {false, line.status().message()};
      return {line->dial_tone, line->detail};
    });
  }
  if (!c.site.base_url.empty()) {
    watch_.Add("site", [this](std::function<void(bool, std::string)> done) {
      const BoxHealth& h = api_.health();
      done(h.site_state != "outage", h.site_state == "outage" ? "outage: " + h.site_reason : h.site_state);
    });
  }
  if (!c.email.host.empty()) {
    watch_.Add("email", SmtpGreetingCheck(io_, c.email.host, static_cast<uint16_t>(c.email.port),
                                          c.email.security == "smtps", std::chrono::seconds(15)));
  }
  std::map<std::string, ChannelRunner*> messengers;
  for (const auto& [kind, runner] : runners_.all) messengers[kind] = runner;
  watch_.SetMessengers(std::move(messengers), in_.internal);
  watch_.on_change = [this] {
    nlohmann::json alerts = nlohmann::json::array();
    for (const ContactStatus& s : watch_.Status()) {
      if (!s.alerted) continue;
      alerts.push_back({{"channel", s.channel}, {"detail", s.detail},
                        {"failing_since", s.failing_since ? FormatUtcMicros(*s.failing_since) : ""},
                        {"temporary_contact", in_.config.watch.temporary_contact},
                        {"message", ContactAlertText(in_.config.agency_name, s, in_.config.watch.temporary_contact, false)}});
    }
    api_.health().contact_alerts = alerts;
  };
  watch_.Start();
}

// The console's failure to start is loud but not fatal: the box's duty (the
// report reaching the authorities) does not depend on a web page.
void Daemon::StartConsole() {
  const auto& c = in_.config.console;
  if (!c.enabled) return;
  ConsoleOptions o;
  o.listen_address = c.listen;
  o.port = static_cast<uint16_t>(c.port);
  o.cert_file = c.cert_file;
  o.key_file = c.key_file;
  o.state_dir = in_.config.state_dir;
  o.names = c.names;
  o.idle_timeout = std::chrono::seconds(c.idle_timeout_seconds);
  o.session_lifetime = std::chrono::seconds(c.session_lifetime_seconds);
  o.failures_before_slowdown = c.login_failures_per_minute;
  auto console = ConsoleServer::Start(io_, clock_, o, api_, store_, hasher_);
  if (!console.ok()) {
    spdlog::critical("console not started: {}", console.status().ToString());
    store_.RunInBackground("the console's failure", [why = console.status().ToString()](Store& st) {
      return st.RecordEvent("console.unavailable", "", {{"why", why}});
    });
    return;
  }
  console_ = std::move(*console);
  const DeviceCertificate& cert = console_->certificate();
  const std::string host = c.listen == "0.0.0.0" || c.listen == "::" ? "127.0.0.1" : c.listen;
  const std::string url = "https://" + host + ":" + std::to_string(console_->port()) + "/";
  // A new device certificate is news for the operator, who compares its fingerprint on first use.
  spdlog::log(cert.created ? spdlog::level::warn : spdlog::level::info, "console: {} (certificate SHA-256 {}{})", url,
              cert.fingerprint, cert.created ? ", made now" : "");
  std::ofstream(in_.config.state_dir + "/console.url") << url << "\n";
  store_.RunInBackground("the console's start", [url, fp = cert.fingerprint, created = cert.created](Store& st) {
    return st.RecordEvent("console.started", "", {{"url", url}, {"certificate_sha256", fp}, {"certificate_created", created}});
  });
}

// The supervising agency's view: a publisher that cannot start (its TLS
// files unreadable) is loud and journaled, and the box goes on without it.
void Daemon::StartFleet() {
  if (!in_.config.fleet.enabled) return;
  auto fleet = std::make_unique<FleetPublisher>(io_, store_, clock_, FleetOptionsFrom(in_.config));
  if (Status s = fleet->Start(); !s.ok()) {
    spdlog::critical("fleet: not publishing: {}", s.ToString());
    store_.RunInBackground("the fleet publisher's failure", [why = s.ToString()](Store& st) {
      return st.RecordEvent("fleet.unavailable", "", {{"why", why}});
    });
    return;
  }
  fleet_ = std::move(fleet);
}

Status Daemon::Start() {
  api_.SetRecipientNames(in_.recipient_names);
  api_.SetClockSkew(std::chrono::seconds(in_.config.clock_skew_seconds));
  if (in_.config.site.base_url.empty()) api_.health().site_state = "not_configured";
  StartFleet();
  StartMetrics();
  hooks_.Start();
  LIFELINE_RETURN_IF_ERROR(StartChannels());
  WireConditions();
  auto online = StartOnline(io_, clock_, in_.config, online_);
  if (!online.ok()) return online.status();
  online_parts_ = std::move(*online);
  LIFELINE_RETURN_IF_ERROR(StartPowerSources());
  WireSupervisor();
  drills_.Start();
  engine_.Start();
  StartWatch();
  auto server = IntakeServer::Listen(io_, in_.config.socket_path, in_.config.socket_group, api_);
  if (!server.ok()) return server.status();
  server_ = std::move(*server);
  StartConsole();
  WatchClock();
  signals_.async_wait([this](const std::error_code&, int sig) {
    spdlog::info("signal {}: stopping", sig);
    service_.Stopping();
    io_.stop();
  });
  return Status::Ok();
}

// Journals each step of the wall clock the legal clock absorbed (invariant 6):
// deadlines and timers carry on by the time they had left, and the auditor
// sees when the box's clock jumped, by how much, and from which source.
void Daemon::WatchClock() {
  clock_.Now();  // a step is noticed on a read; make sure there is one a second
  for (const ClockStep& step : clock_.TakeSteps()) {
    spdlog::warn("clock: the {} clock stepped {:+.3f} s (now {}); deadlines keep the time they had left",
                 step.source, double(step.step.count()) / 1e6, FormatUtcMicros(step.base));
    store_.RunInBackground("a clock step", [payload = step.ToJson()](Store& st) {
      return st.RecordEvent("clock.step", "", payload);
    });
  }
  // The same once-a-second wakeup gives back, every 10 s, what a burst freed
  // (the engine's start-up load, a listing), so an idle box's resident
  // memory comes back down without a timer of its own.
  if (++clock_watches_ % 10 == 0) {
    if (size_t held = ReturnFreeMemory(size_t{1} << 20)) spdlog::debug("memory: {} bytes free were trimmed", held);
  }
  clock_watch_.expires_after(std::chrono::seconds(1));
  clock_watch_.async_wait([this](const std::error_code& ec) {
    if (!ec) WatchClock();
  });
}

void Daemon::Run() {
  spdlog::info("ready: rule set {} ({}), state in {}, socket {}", in_.rules.id, in_.rules.origin,
               in_.config.state_dir, in_.config.socket_path);
  service_.Ready("serving: rule set " + in_.rules.id + ", socket " + in_.config.socket_path);
  // No exception ends the loop: a handler that throws is logged, counted and
  // journaled, and the loop goes on with the rest of its work.
  for (;;) {
    try {
      io_.run();
      return;
    } catch (const std::exception& e) {
      ++loop_exceptions_;
      spdlog::critical("event loop: a handler threw ({}); going on", e.what());
      store_.RunInBackground("an exception in the event loop", [why = SafeText(e.what())](Store& st) {
        return st.RecordEvent("daemon.exception", "", {{"what", why}});
      });
    }
  }
}

void Daemon::Stop() {
  clock_watch_.cancel();
  watch_.Stop();
  metrics_server_.reset();
  console_.reset();
  server_.reset();
  engine_.Stop();
  if (online_parts_.monitor) online_parts_.monitor->Stop();
  online_.Detach();
  if (nut_) nut_->Stop();
  if (supervisor_) supervisor_->Stop();
  store_.RunInBackground("the daemon's stop",
                         [](Store& st) { return st.RecordEvent("daemon.stopped", "", nlohmann::json::object()); });
  store_.SetCommitObserver(nullptr);
  if (fleet_) fleet_->Stop();
  spdlog::info("stopped");
}

// --prepare-state (the package's postinst): the store is open, so the journal
// key exists and every migration has run. Nothing secret is printed.
int PreparedState(Store& store, const std::string& dir) {
  auto version = store.SchemaVersion();
  if (!version.ok()) return Fatal(version.status());
  Status s = store.RecordEvent("state.prepared", "", {{"schema_version", *version}, {"pid", getpid()}});
  if (!s.ok()) return Fatal(s);
  std::cout << "lifelined: state in " << dir << " ready (store schema " << *version << ")\n";
  return 0;
}

// Fatal errors before the loop runs exit with 2 (bad configuration or state).
int Run(const Args& args) {
  auto config = LoadEffectiveConfig(args.config_file);
  if (!config.ok()) {
    std::cerr << "lifelined: " << config.status().message() << "\n";
    return 2;
  }
  umask(077);  // state files (the store with its password hashes, keys, evidence): lifeline's only
  // A hook program that exits without reading its stdin must not end the daemon.
  signal(SIGPIPE, SIG_IGN);
  Status s = InitLogging(config->log_level, "lifelined");
  if (s.ok() && !config->log_dir.empty()) s = AddDailyLogFile(config->log_dir, "lifelined", config->log_retention_days);
  if (!s.ok()) {
    std::cerr << "lifelined: " << s.message() << "\n";
    return 2;
  }
  auto in = LoadInputs(std::move(*config));
  if (!in.ok()) return Fatal(in.status());
  if (s = PrepareStateDir(in->config.state_dir); !s.ok()) return Fatal(s);
  if (s = LockStateDir(in->config.state_dir); !s.ok()) return Fatal(s);
  supervisor::SupervisedClock base;  // the system's, or the supervisor's RTC when NTP is not synchronised
  LegalClock clock(base);            // ... with its steps absorbed and journaled
  auto store = Store::Open(StoreOptionsFor(in->config.state_dir), clock);
  if (!store.ok()) return Fatal(store.status());
  if (args.prepare_state) return PreparedState(**store, in->config.state_dir);
  s = (*store)->RecordEvent("daemon.started", "",
                            {{"rules_id", in->rules.id}, {"rules_origin", in->rules.origin},
                             {"time_scale", in->config.time_scale}, {"pid", getpid()},
                             {"clock_source", std::string(clock.Source())},
                             {"ntp_synchronized", KernelClockSynchronized()}});
  if (!s.ok()) return Fatal(s);
  Daemon daemon(std::move(*in), base, clock, std::move(*store));
  if (s = daemon.Start(); !s.ok()) return Fatal(s);
  daemon.Run();
  daemon.Stop();
  return 0;
}

}  // namespace
}  // namespace lifeline

int main(int argc, char** argv) {
  lifeline::KeepLargeBlocksOutOfTheArenas();
  auto args = lifeline::ParseArgs(argc, argv);
  if (!args.ok()) {
    std::cerr << "lifelined: " << args.status().message() << "\n" << lifeline::kUsage;
    return 2;
  }
  if (args->help) {
    std::cout << lifeline::kUsage;
    return 0;
  }
  if (args->check_config) return lifeline::CheckConfig(*args->check_config);
  try {
    return lifeline::Run(*args);
  } catch (const std::exception& e) {
    std::cerr << "lifelined: fatal: " << e.what() << "\n";
    return 3;
  }
}
