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
#include <iostream>
#include <optional>
#include <string>

#include "daemon/config/config.h"
#include "daemon/core/log.h"
#include "daemon/intake/intake.h"
#include "daemon/monitor/monitor.h"
#include "daemon/online/online.h"
#include "daemon/power/power.h"
#include "daemon/site/site.h"
#include "daemon/rules/rules.h"
#include "daemon/store/store.h"

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

// Checks FILE and everything it points at (the rule set); prints the verdict.
int CheckConfig(const std::string& file) {
  auto config = LoadConfigFile(file);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 1;
  }
  auto rules = config->rules_file.empty() ? DefaultRuleSet() : LoadRuleSetFile(config->rules_file);
  if (!rules.ok()) {
    std::cerr << rules.status().message() << "\n";
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
                                OnlinePath& online, IntakeApi& api) {
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
  api.on_stored = [&online](const StoredRevision& r) { online.Submit(r); };
  parts.monitor->Start();
  online.Start();
  return parts;
}

// Journals every power change the UPS reports; nothing when no source is configured.
Result<std::unique_ptr<NutPowerSource>> StartPower(asio::io_context& io, const Config& config, AsyncStore& store) {
  if (config.power.source.empty()) return std::unique_ptr<NutPowerSource>();
  NutOptions o;
  o.host = config.power.nut_host;
  o.port = static_cast<uint16_t>(config.power.nut_port);
  o.ups = config.power.nut_ups;
  o.poll_interval = std::chrono::milliseconds(config.power.poll_interval_ms);
  auto source = std::make_unique<NutPowerSource>(io, o);
  source->OnChange([&store](const PowerState& p) {
    nlohmann::json payload = {{"known", p.known}, {"mains_ok", p.mains_ok}, {"on_battery", p.on_battery},
                              {"low_battery", p.low_battery}, {"status", p.status}, {"detail", p.detail}};
    if (p.runtime) payload["runtime_seconds"] = p.runtime->count();
    if (p.charge_percent) payload["charge_percent"] = *p.charge_percent;
    spdlog::warn("power: {}", DescribePowerState(p));
    store.Run([payload](Store& st) { return st.RecordEvent("power.change", "", payload); }, [](Status) {});
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
  auto rules = config->rules_file.empty() ? DefaultRuleSet() : LoadRuleSetFile(config->rules_file);
  if (!rules.ok()) return Fatal(rules.status());
  if (s = PrepareStateDir(config->state_dir); !s.ok()) return Fatal(s);
  if (s = LockStateDir(config->state_dir); !s.ok()) return Fatal(s);

  SystemClock clock;
  StoreOptions store_options{config->state_dir + "/lifeline.db", config->state_dir + "/journal.key", "",
                             kStoreSchemaVersion};
  auto store = Store::Open(store_options, clock);
  if (!store.ok()) return Fatal(store.status());
  s = (*store)->RecordEvent("daemon.started", "",
                            {{"rules_id", rules->id}, {"rules_origin", rules->origin}, {"pid", getpid()}});
  if (!s.ok()) return Fatal(s);

  asio::io_context io;
  AsyncStore async_store(std::move(*store), io);
  IntakeApi api(async_store, *rules);
  OnlinePath online(io, async_store, {std::chrono::seconds(config->site.replay_interval_seconds), 8});
  auto online_parts = StartOnline(io, clock, *config, online, api);
  if (!online_parts.ok()) return Fatal(online_parts.status());
  auto power = StartPower(io, *config, async_store);
  if (!power.ok()) return Fatal(power.status());
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
  if (online_parts->monitor) online_parts->monitor->Stop();
  online.Detach();
  if (*power) (*power)->Stop();
  async_store.Run([](Store& st) { return st.RecordEvent("daemon.stopped", "", nlohmann::json::object()); },
                  [](Status) {});
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
