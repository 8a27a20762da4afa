// The commands over FleetStore and MqttLink. The subscriber's store
// connection belongs to the MQTT thread (messages are applied as they
// arrive, before their PUBACK); the main thread has its own for the silence
// check, so neither waits on the other beyond SQLite's own lock.
#include "tools/fleet/commands.h"

#include <signal.h>

#include <asio/io_context.hpp>

#include <atomic>
#include <iostream>
#include <map>
#include <set>

#include "daemon/core/clock.h"
#include "daemon/core/log.h"
#include "daemon/core/text.h"
#include "daemon/fleet/fleet.h"
#include "daemon/fleet/mqtt_link.h"
#include "daemon/hooks/hooks.h"
#include "tools/fleet/fleet_config.h"
#include "tools/fleet/fleet_store.h"
#include "tools/fleet/reminders.h"

namespace lifeline::fleet {

using nlohmann::json;

namespace {

int EnvError(const Status& s) {
  std::cerr << "lifeline-fleet: " << s.ToString() << "\n";
  return 2;
}

Result<ReviewRules> RulesFor(const FleetConfig& c) {
  auto rules = c.rules_file.empty() ? DefaultRuleSet() : LoadRuleSetFile(c.rules_file);
  if (!rules.ok()) return rules.status();
  return ReviewRulesFrom(ScaleRuleSet(std::move(*rules), c.time_scale));
}

struct Opened {
  FleetConfig config;
  std::unique_ptr<FleetStore> store;
};

Result<Opened> OpenFromConfig(const std::string& file) {
  auto config = LoadFleetConfig(file);
  if (!config.ok()) return config.status();
  auto rules = RulesFor(*config);
  if (!rules.ok()) return rules.status();
  auto store = FleetStore::Open(config->store_path, std::move(*rules));
  if (!store.ok()) return store.status();
  return Opened{std::move(*config), std::move(*store)};
}

// Called on the MQTT thread for every message: applied, a repeat, or refused
// (and counted). Returns where the unit's box should publish again from when
// the view lacks entries (0 = nothing lacking).
int64_t Take(FleetStore& store, const ParseLimits& limits, const std::string& topic, const std::string& payload) {
  const WallTime now = SystemClock().Now();
  auto m = ParseUnitMessage(topic, payload, limits);
  Status s = m.status();
  int64_t replay_from = 0;
  if (m.ok()) {
    auto outcome = store.Ingest(*m, now);
    if (outcome.ok() && *outcome == IngestOutcome::kRepeat) spdlog::debug("fleet: {} seq {} again, dropped", m->unit, m->seq);
    s = outcome.status();
    if (s.ok()) {
      auto lacking = store.Follow(*m);
      if (lacking.ok()) replay_from = *lacking;
      else spdlog::warn("fleet: cannot follow {}'s sequence: {}", m->unit, lacking.status().ToString());
    }
  }
  if (s.ok()) return replay_from;
  spdlog::warn("fleet: refused a message on {} ({} bytes): {}", SafeText(topic, 200), payload.size(), s.message());
  Status counted = store.CountRejected(s.message(), now);
  if (!counted.ok()) spdlog::error("fleet: cannot count a refused message: {}", counted.ToString());
  return 0;
}

// The unit named by a topic lifeline/<agency>/<unit>/..., or "".
std::string UnitOfTopic(const std::string& topic, const std::string& agency) {
  const std::string prefix = "lifeline/" + agency + "/";
  if (topic.rfind(prefix, 0) != 0) return "";
  const size_t end = topic.find('/', prefix.size());
  return end == std::string::npos ? "" : topic.substr(prefix.size(), end - prefix.size());
}

// Raises an alert once (by event and subject, across restarts): logged, kept
// in the store, and given to the agency's program when one is configured,
// whose outcome is kept beside it.
void Alert(FleetStore& store, HookRunner* hooks, bool severe, const std::string& event, const std::string& subject,
           json detail, const std::string& text) {
  const WallTime now = SystemClock().Now();
  auto fresh = store.ClaimAlert(event, subject, detail, now);
  if (!fresh.ok()) return spdlog::error("fleet: cannot record the alert {} {}: {}", event, subject, fresh.status().ToString());
  if (!*fresh) return;
  if (severe) spdlog::error("fleet: {}", text);
  else spdlog::warn("fleet: {}", text);
  if (!hooks) return;
  detail["event"] = event;
  detail["at"] = FormatUtcMicros(now);
  detail["text"] = text;
  hooks->Run({event, std::move(detail)}, [&store, event, subject](const HookOutcome& o) {
    Status s = store.RecordAlertOutcome(event, subject, o.outcome, o.detail);
    if (!s.ok()) spdlog::error("fleet: cannot record the outcome of alert {} {}: {}", event, subject, s.ToString());
    if (o.outcome != "ok") spdlog::warn("fleet: the alert program on {} {}: {} {}", event, subject, o.outcome, o.detail);
  });
}

// Alerts on each unit that went silent, and each that was heard again, once.
void CheckSilence(FleetStore& store, HookRunner* hooks, const FleetConfig& c, std::set<std::string>* silent) {
  auto units = store.Units(c.units, SystemClock().Now(), c.silent_after);
  if (!units.ok()) return spdlog::warn("fleet: cannot read the units: {}", units.status().ToString());
  for (const UnitView& u : *units) {
    const std::string last = u.last_seen.empty() ? "never" : u.last_seen;
    if (u.silent && silent->insert(u.unit).second) {
      Alert(store, hooks, true, "unit_silent", u.unit + "@" + last, {{"unit", u.unit}, {"last_seen", u.last_seen}},
            "unit " + u.unit + " silent for more than " + std::to_string(c.silent_after.count()) + " s (last heard " +
                last + ")");
    } else if (!u.silent && silent->erase(u.unit)) {
      Alert(store, hooks, false, "unit_heard_again", u.unit + "@" + last, {{"unit", u.unit}, {"last_seen", u.last_seen}},
            "unit " + u.unit + " heard again");
    }
  }
}

// Alerts on the reviews due soon and those late, each once.
void CheckReviews(FleetStore& store, HookRunner* hooks, std::chrono::seconds ahead, std::set<std::string>* told) {
  auto reports = store.Reports();
  if (!reports.ok()) return spdlog::warn("fleet: cannot read the reports: {}", reports.status().ToString());
  for (const ReviewReminder& r : DueReminders(*reports, SystemClock().Now(), ahead, told)) {
    const ReportView& v = *r.report;
    const std::string subject = v.unit + "/" + v.report_id + "/" + std::to_string(v.revision);
    json detail = {{"unit", v.unit},   {"report_id", v.report_id},     {"revision", v.revision},
                   {"level", v.level}, {"received_at", v.received_at}, {"review_due", v.review_due},
                   {"drill", v.drill}, {"fallback", v.fallback}};
    if (r.late) {
      Alert(store, hooks, true, "review_overdue", subject, std::move(detail),
            "the review of " + v.unit + " report " + v.report_id + " (level " + std::to_string(v.level) +
                ") was due at " + v.review_due + " and is not recorded");
    } else {
      Alert(store, hooks, false, "review_due_soon", subject, std::move(detail),
            "the review of " + v.unit + " report " + v.report_id + " (level " + std::to_string(v.level) +
                ") is due at " + v.review_due);
    }
  }
}

std::string Countdown(const std::string& due, WallTime now) {
  auto at = ParseRfc3339(due);
  if (!at.ok()) return "-";
  auto left = std::chrono::duration_cast<std::chrono::minutes>(at->instant - now).count();
  const bool late = left < 0;
  left = late ? -left : left;
  std::string text = std::to_string(left / 60) + "h" + std::to_string(left % 60) + "m";
  return late ? "OVERDUE by " + text : "in " + text;
}

json UnitJson(const UnitView& u) {
  return {{"unit", u.unit}, {"first_seen", u.first_seen}, {"last_seen", u.last_seen}, {"last_seq", u.last_seq}, {"heard_through", u.heard_through},
          {"silent", u.silent}, {"health", u.health}};
}

json ReportJson(const ReportView& r, WallTime now) {
  json j = {{"unit", r.unit},         {"report_id", r.report_id},     {"revision", r.revision},
            {"level", r.level},       {"category", r.category},       {"state", r.state},
            {"aware_at", r.aware_at}, {"drill", r.drill},             {"fallback", r.fallback},
            {"received_at", r.received_at}, {"review_due", r.review_due}, {"reviewed_at", r.reviewed_at},
            {"recipients", r.recipients}};
  if (r.reviewed_at.empty()) {
    j["review"] = Countdown(r.review_due, now);
  } else {
    j["reviewed_level"] = r.reviewed_level;
    j["review"] = r.reviewed_level == r.level ? "level kept" : "level changed to " + std::to_string(r.reviewed_level);
    if (!r.authority_notice_due.empty()) j["authority_notice_due"] = r.authority_notice_due;
  }
  return j;
}

void PrintHuman(const json& v) {
  std::cout << "agency " << v["agency"].get<std::string>() << ": " << v["units"].size() << " units\n";
  for (const json& u : v["units"]) {
    std::cout << "  " << u["unit"].get<std::string>() << (u["silent"].get<bool>() ? "  SILENT" : "  ok")
              << "  last heard " << (u["last_seen"] == "" ? std::string("never") : u["last_seen"].get<std::string>())
              << "  seq " << u["last_seq"] << "\n";
  }
  std::cout << "reports: " << v["reports"].size() << "\n";
  for (const json& r : v["reports"]) {
    std::cout << "  " << r["unit"].get<std::string>() << "  " << r["report_id"].get<std::string>() << "  level "
              << r["level"] << "  " << r["state"].get<std::string>() << (r["fallback"].get<bool>() ? " (notice)" : "")
              << (r["drill"].get<bool>() ? " DRILL" : "") << "  received " << r["received_at"].get<std::string>()
              << "  review " << r["review"].get<std::string>() << "\n";
  }
  for (const json& a : v["alerts"]) {
    std::cout << "alert " << a["at"].get<std::string>() << "  " << a["event"].get<std::string>() << "  "
              << a["subject"].get<std::string>() << (a["outcome"] == "" ? "" : "  program: " + a["outcome"].get<std::string>())
              << "\n";
  }
  for (auto& [reason, count] : v["rejected"].items()) std::cout << "refused: " << count << " × " << reason << "\n";
}

}  // namespace

int RunSubscriber(const std::string& config_file) {
  auto opened = OpenFromConfig(config_file);
  if (!opened.ok()) return EnvError(opened.status());
  const FleetConfig& c = opened->config;
  auto checker = FleetStore::Open(c.store_path, ReviewRules{});
  if (!checker.ok()) return EnvError(checker.status());
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before the MQTT thread starts, so it inherits the mask
  const ParseLimits limits{c.agency, c.max_message_bytes};
  FleetStore* store = opened->store.get();
  MqttLinkOptions o;
  o.host = c.broker.host;
  o.port = c.broker.port;
  o.client_id = c.broker.client_id;
  o.ca_file = c.broker.ca_file;
  o.cert_file = c.broker.cert_file;
  o.key_file = c.broker.key_file;
  o.reconnect_max = std::chrono::seconds(10);
  o.subscriptions = {"lifeline/" + c.agency + "/#"};
  // The link publishes the replay requests its own callback decides on; it is
  // set once Start returns, before which no message can arrive.
  auto link_of = std::make_shared<std::atomic<MqttLink*>>(nullptr);
  // Per unit, when it was last asked to publish again (MQTT thread only).
  auto asked = std::make_shared<std::map<std::string, std::chrono::steady_clock::time_point>>();
  MqttCallbacks cb;
  cb.on_state = [](bool up, const std::string& why) {
    if (up) spdlog::info("fleet: connected");
    else spdlog::warn("fleet: broker lost: {}", why);
  };
  cb.on_subscribed = [] { spdlog::info("fleet: subscribed"); };
  cb.on_message = [store, limits, link_of, asked, wait = c.replay_wait](const std::string& topic,
                                                                        const std::string& payload) {
    const std::string unit = UnitOfTopic(topic, limits.agency);
    if (!unit.empty() && topic == "lifeline/" + limits.agency + "/" + unit + "/replay") return;  // the view's own
    const int64_t from = Take(*store, limits, topic, payload);
    MqttLink* link = link_of->load();
    if (from <= 0 || !link) return;
    const auto now = std::chrono::steady_clock::now();
    auto it = asked->find(unit);
    if (it != asked->end() && now - it->second < wait) return;  // asked already; its replay may be under way
    (*asked)[unit] = now;
    spdlog::warn("fleet: unit {} lacks entries from {} in the view; asking its box to publish them again", unit, from);
    Status kept = store->ClaimAlert("replay_asked", unit + "@" + std::to_string(from), {{"unit", unit}, {"from_seq", from}},
                                    SystemClock().Now()).status();
    if (!kept.ok()) spdlog::warn("fleet: cannot record the replay request: {}", kept.ToString());
    FleetMessage request = FleetReplayRequest(limits.agency, unit, from);
    link->Publish(std::move(request.topic), std::move(request.payload), 1, -1);
  };
  auto link = MqttLink::Start(std::move(o), std::move(cb));
  if (!link.ok()) return EnvError(link.status());
  link_of->store(link->get());
  // The agency's program runs beside this loop; its exits and timeouts are
  // handled when the loop polls, once a second.
  asio::io_context io;
  std::unique_ptr<HookRunner> hooks;
  if (!c.hooks.program.empty()) {
    HookOptions h;
    h.program = c.hooks.program;
    h.timeout = c.hooks.timeout;
    hooks = std::make_unique<HookRunner>(io, std::move(h));
  }
  std::set<std::string> silent;
  const timespec tick{1, 0};
  std::set<std::string> told;
  while (sigtimedwait(&stop_signals, nullptr, &tick) < 0) {
    CheckSilence(**checker, hooks.get(), c, &silent);
    CheckReviews(**checker, hooks.get(), c.review_reminder, &told);
    io.poll();
    io.restart();
  }
  link_of->store(nullptr);
  (*link)->Stop();
  hooks.reset();
  io.poll();
  spdlog::info("fleet: stopped");
  return 0;
}

namespace {

Result<json> ViewJson(FleetStore& store, const FleetConfig& c, WallTime now) {
  auto units = store.Units(c.units, now, c.silent_after);
  if (!units.ok()) return units.status();
  auto reports = store.Reports();
  if (!reports.ok()) return reports.status();
  auto rejected = store.Rejections();
  if (!rejected.ok()) return rejected.status();
  auto alerts = store.Alerts();
  if (!alerts.ok()) return alerts.status();
  json v = {{"agency", c.agency}, {"units", json::array()}, {"reports", json::array()}, {"rejected", json::object()},
            {"alerts", json::array()}, {"silent_after_seconds", c.silent_after.count()}, {"at", FormatUtcMicros(now)}};
  for (const AlertView& a : *alerts) {
    v["alerts"].push_back({{"event", a.event}, {"subject", a.subject}, {"at", a.at}, {"detail", a.detail},
                           {"outcome", a.outcome}});
  }
  for (const UnitView& u : *units) v["units"].push_back(UnitJson(u));
  for (const ReportView& r : *reports) v["reports"].push_back(ReportJson(r, now));
  for (const auto& [reason, count] : *rejected) v["rejected"][reason] = count;
  return v;
}

}  // namespace

Result<json> ReadView(const std::string& config_file, WallTime now) {
  auto config = LoadFleetConfig(config_file);
  if (!config.ok()) return config.status();
  auto store = FleetStore::OpenReadOnly(config->store_path);
  if (!store.ok()) return store.status();
  return ViewJson(**store, *config, now);
}

int ShowStatus(const std::string& config_file, bool as_json) {
  auto opened = OpenFromConfig(config_file);
  if (!opened.ok()) return EnvError(opened.status());
  auto v = ViewJson(*opened->store, opened->config, SystemClock().Now());
  if (!v.ok()) return EnvError(v.status());
  if (as_json) std::cout << DumpJson(*v, 2) << "\n";
  else PrintHuman(*v);
  return 0;
}

int RecordReview(const std::string& config_file, const ReviewArgs& args) {
  auto opened = OpenFromConfig(config_file);
  if (!opened.ok()) return EnvError(opened.status());
  Status s = opened->store->RecordReview({args.unit, args.report_id, args.reason, args.by, args.level},
                                         SystemClock().Now());
  if (!s.ok()) {
    std::cerr << "lifeline-fleet: " << s.message() << "\n";
    return 1;
  }
  std::cout << "review of " << args.unit << " " << args.report_id << " recorded\n";
  return 0;
}

}  // namespace lifeline::fleet
