// lifelined: wiring only. Builds the modules in dependency order on one
// io_context thread, runs until SIGINT/SIGTERM, and stops them in reverse.
// Bad configuration is fatal (exit 2, systemd restarts after it is fixed);
// runtime failures are handled inside the modules.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <asio.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <map>
#include <optional>
#include <string>

#include "daemon/channels/phone/phone.h"
#include "daemon/channels/wiring/wiring.h"
#include "daemon/config/config.h"
#include "daemon/console/console.h"
#include "daemon/core/log.h"
#include "daemon/drill/drill.h"
#include "daemon/escalation/engine.h"
#include "daemon/intake/intake.h"
#include "daemon/monitor/monitor.h"
#include "daemon/online/online.h"
#include "daemon/power/power.h"
#include "daemon/site/site.h"
#include "daemon/rules/rules.h"
#include "daemon/store/store.h"
#include "daemon/supervisor/wiring.h"

namespace lifeline {
namespace {

struct Args {
  std::optional<std::string> config_file;
  std::optional<std::string> check_config;
  bool help = false;
};

Result<Args> ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--config" && has_value) a.config_file = argv[++i];
    else if (arg == "--check-config" && has_value) a.check_config = argv[++i];
    else if (arg == "--help" || arg == "-h") a.help = true;
    else return InvalidArgument("unknown or incomplete argument '" + arg + "' (see --help)");
  }
  return a;
}

constexpr const char* kUsage =
    "usage: lifelined [--config FILE]\n"
    "       lifelined --check-config FILE\n"
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
  // The journal key and the database live here: owner and group only.
  if (chmod(dir.c_str(), 0750) != 0) return IoError("cannot set permissions on " + dir);
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
  return Inputs{std::move(config), std::move(*rules), std::move(*recipients), std::move(*templates), std::move(names)};
}

// The running daemon: every module is a member, declared in dependency order,
// so construction builds them in that order and destruction stops them in
// reverse. Start wires and starts what needs more than construction; Stop
// ends what must end before the store's last journal entry.
class Daemon {
 public:
  // `clock` is the one the store was opened with.
  Daemon(Inputs in, supervisor::SupervisedClock& clock, std::unique_ptr<Store> store)
      : clock_(clock),
        in_(std::move(in)),
        store_(std::move(store), io_),
        hasher_(io_),
        api_(store_, in_.rules),
        online_(io_, store_, {std::chrono::seconds(in_.config.site.replay_interval_seconds), 8}),
        engine_(io_, store_, clock_, std::move(in_.recipients), std::move(in_.templates), EngineOptionsFrom(in_.config)),
        phone_(io_, store_, std::chrono::seconds(std::max(1, in_.config.escalation.phone_reminder_seconds /
                                                                 in_.config.time_scale))),
        drills_(io_, store_, clock_, engine_, online_),
        signals_(io_, SIGINT, SIGTERM) {}

  Status Start();
  void Run();
  void Stop();

 private:
  Status StartChannels();
  void WireConditions();
  Status StartPowerSources();
  void StartConsole();

  supervisor::SupervisedClock& clock_;
  Inputs in_;
  asio::io_context io_;
  AsyncStore store_;
  HashWorker hasher_;
  IntakeApi api_;
  OnlinePath online_;
  EscalationEngine engine_;
  PhoneRunner phone_;
  ChannelRunners runners_;
  DrillDesk drills_;
  Conditions live_;  // what the engine knows of the world: the site's link and the mains
  OnlineParts online_parts_;
  std::unique_ptr<NutPowerSource> nut_;
  std::unique_ptr<supervisor::SupervisorService> supervisor_;
  std::unique_ptr<IntakeServer> server_;
  std::unique_ptr<ConsoleServer> console_;
  asio::signal_set signals_;
};

Status Daemon::StartChannels() {
  engine_.SetRunner("phone", &phone_);
  AddPhoneRoutes(api_, store_, phone_);
  LIFELINE_RETURN_IF_ERROR(lifeline::StartChannels(
      io_, clock_, in_.config, store_, runners_, [this](const std::string& kind, const nlohmann::json& e) {
        spdlog::info("{} channel: {}", kind, e.dump());
        store_.RunInBackground("the " + kind + " channel's health", [kind, e](Store& st) {
          return st.RecordEvent("channel.health", "", {{"channel", kind}, {"health", e}});
        });
      }));
  for (auto& [kind, runner] : runners_.all) {
    engine_.SetRunner(kind, runner);
    if (!api_.health().channels.count(kind)) api_.health().channels[kind] = {{"configured", true}};
  }
  AddDrillRoutes(api_, drills_, clock_);
  AddAccountRoutes(api_, store_, hasher_);
  AddStageRoutes(api_, store_);
  AddSignoffRoutes(api_, store_, hasher_);
  AddExportRoutes(api_, store_, in_.config.state_dir);
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
      &clock_);
  if (!supervised.ok()) return supervised.status();
  supervisor_ = std::move(*supervised);
  return Status::Ok();
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

Status Daemon::Start() {
  api_.SetRecipientNames(in_.recipient_names);
  LIFELINE_RETURN_IF_ERROR(StartChannels());
  WireConditions();
  auto online = StartOnline(io_, clock_, in_.config, online_);
  if (!online.ok()) return online.status();
  online_parts_ = std::move(*online);
  LIFELINE_RETURN_IF_ERROR(StartPowerSources());
  drills_.Start();
  engine_.Start();
  auto server = IntakeServer::Listen(io_, in_.config.socket_path, in_.config.socket_group, api_);
  if (!server.ok()) return server.status();
  server_ = std::move(*server);
  StartConsole();
  signals_.async_wait([this](const std::error_code&, int sig) {
    spdlog::info("signal {}: stopping", sig);
    io_.stop();
  });
  return Status::Ok();
}

void Daemon::Run() {
  spdlog::info("ready: rule set {} ({}), state in {}, socket {}", in_.rules.id, in_.rules.origin,
               in_.config.state_dir, in_.config.socket_path);
  sd_notify(0, "READY=1");
  io_.run();
}

void Daemon::Stop() {
  console_.reset();
  server_.reset();
  engine_.Stop();
  if (online_parts_.monitor) online_parts_.monitor->Stop();
  online_.Detach();
  if (nut_) nut_->Stop();
  if (supervisor_) supervisor_->Stop();
  store_.RunInBackground("the daemon's stop",
                         [](Store& st) { return st.RecordEvent("daemon.stopped", "", nlohmann::json::object()); });
  spdlog::info("stopped");
}

// Fatal errors before the loop runs exit with 2 (bad configuration or state).
int Run(const Args& args) {
  auto config = LoadEffectiveConfig(args.config_file);
  if (!config.ok()) {
    std::cerr << "lifelined: " << config.status().message() << "\n";
    return 2;
  }
  umask(027);  // state files: owner and group only
  Status s = InitLogging(config->log_level, "lifelined");
  if (!s.ok()) {
    std::cerr << "lifelined: " << s.message() << "\n";
    return 2;
  }
  auto in = LoadInputs(std::move(*config));
  if (!in.ok()) return Fatal(in.status());
  if (s = PrepareStateDir(in->config.state_dir); !s.ok()) return Fatal(s);
  if (s = LockStateDir(in->config.state_dir); !s.ok()) return Fatal(s);
  supervisor::SupervisedClock clock;  // the system's, or the supervisor's RTC when NTP is not synchronised
  auto store = Store::Open(StoreOptionsFor(in->config.state_dir), clock);
  if (!store.ok()) return Fatal(store.status());
  s = (*store)->RecordEvent("daemon.started", "",
                            {{"rules_id", in->rules.id}, {"rules_origin", in->rules.origin},
                             {"time_scale", in->config.time_scale}, {"pid", getpid()}});
  if (!s.ok()) return Fatal(s);
  Daemon daemon(std::move(*in), clock, std::move(*store));
  if (s = daemon.Start(); !s.ok()) return Fatal(s);
  daemon.Run();
  daemon.Stop();
  return 0;
}

}  // namespace
}  // namespace lifeline

int main(int argc, char** argv) {
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
