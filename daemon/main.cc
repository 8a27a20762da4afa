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
#include <optional>
#include <string>

#include "daemon/channels/phone/phone.h"
#include "daemon/channels/wiring/wiring.h"
#include "daemon/config/config.h"
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
  auto rules = LoadRules(*config);
  if (!rules.ok()) return Fatal(rules.status());
  auto recipients = LoadRecipients(*config);
  if (!recipients.ok()) return Fatal(recipients.status());
  auto templates = LoadTemplates(*config);
  if (!templates.ok()) return Fatal(templates.status());
  if (s = PrepareStateDir(config->state_dir); !s.ok()) return Fatal(s);
  if (s = LockStateDir(config->state_dir); !s.ok()) return Fatal(s);

  supervisor::SupervisedClock clock;  // the system's, or the supervisor's RTC when NTP is not synchronised
  auto store = Store::Open(StoreOptionsFor(config->state_dir), clock);
  if (!store.ok()) return Fatal(store.status());
  s = (*store)->RecordEvent("daemon.started", "",
                            {{"rules_id", rules->id}, {"rules_origin", rules->origin}, {"time_scale", config->time_scale},
                             {"pid", getpid()}});
  if (!s.ok()) return Fatal(s);

  asio::io_context io;
  AsyncStore async_store(std::move(*store), io);
  IntakeApi api(async_store, *rules);
  OnlinePath online(io, async_store, {std::chrono::seconds(config->site.replay_interval_seconds), 8});
  EscalationEngine engine(io, async_store, clock, std::move(*recipients), std::move(*templates),
                          EngineOptionsFrom(*config));
  PhoneRunner phone(io, async_store, std::chrono::seconds(std::max(1, config->escalation.phone_reminder_seconds /
                                                                          config->time_scale)));
  engine.SetRunner("phone", &phone);
  AddPhoneRoutes(api, async_store, phone);
  ChannelRunners runners;
  s = StartChannels(io, clock, *config, async_store, runners, [&async_store](const std::string& kind, const nlohmann::json& e) {
    spdlog::info("{} channel: {}", kind, e.dump());
    async_store.RunInBackground("the " + kind + " channel's health", [kind, e](Store& st) {
      return st.RecordEvent("channel.health", "", {{"channel", kind}, {"health", e}});
    });
  });
  if (!s.ok()) return Fatal(s);
  for (auto& [kind, runner] : runners.all) engine.SetRunner(kind, runner);
  DrillDesk drills(io, async_store, clock, engine, online);
  AddDrillRoutes(api, drills, clock);

  // What the engine needs to know of the world: the site's link and the mains.
  Conditions live;
  online.on_link_change = [&](const LinkChange& c) {
    live.site_outage = c.to == LinkState::kOutage;
    live.link_class = live.site_outage ? std::string(LinkReasonName(c.reason)) : "";
    live.outage_began_at = live.site_outage ? std::optional<WallTime>(c.failing_since) : std::nullopt;
    engine.SetConditions(live);
  };
  online.on_accepted = [&](const std::string& id, int revision) {
    engine.OnAccepted(id, revision);
    drills.OnAccepted(id);
  };
  api.on_stored = [&](StoredRevision r) {
    online.Submit(r);
    engine.OnStored(std::move(r));
  };
  auto online_parts = StartOnline(io, clock, *config, online);
  if (!online_parts.ok()) return Fatal(online_parts.status());
  auto on_power = [&](const PowerState& p) {
    live.on_battery = p.known && p.on_battery;
    live.battery_runtime = live.on_battery ? p.runtime : std::nullopt;
    engine.SetConditions(live);
  };
  auto power = StartPower(io, *config, async_store, on_power);
  if (!power.ok()) return Fatal(power.status());
  auto supervised = supervisor::SupervisorService::Start(
      io, *config, on_power,
      [&async_store](const std::string& type, const nlohmann::json& payload, std::function<void(Status)> done) {
        async_store.Run([type, payload](Store& st) { return st.RecordEvent(type, "", payload); }, std::move(done));
      },
      &clock);
  if (!supervised.ok()) return Fatal(supervised.status());
  drills.Start();
  engine.Start();
  auto server = IntakeServer::Listen(io, config->socket_path, config->socket_group, api);
  if (!server.ok()) return Fatal(server.status());

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code&, int sig) {
    spdlog::info("signal {}: stopping", sig);
    io.stop();
  });
  spdlog::info("ready: rule set {} ({}), state in {}, socket {}", rules->id, rules->origin,
               config->state_dir, config->socket_path);
  sd_notify(0, "READY=1");
  io.run();
  server->reset();
  engine.Stop();
  if (online_parts->monitor) online_parts->monitor->Stop();
  online.Detach();
  if (*power) (*power)->Stop();
  if (*supervised) (*supervised)->Stop();
  async_store.RunInBackground("the daemon's stop",
                              [](Store& st) { return st.RecordEvent("daemon.stopped", "", nlohmann::json::object()); });
  spdlog::info("stopped");
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
