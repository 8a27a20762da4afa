#include "tools/fleet/fleet_config.h"

#include "daemon/core/toml_reader.h"

namespace lifeline::fleet {

namespace {

Status ReadFleet(const TomlTable& f, FleetConfig* c) {
  LIFELINE_RETURN_IF_ERROR(f.OnlyKeys({"store", "agency", "units", "silent_after_seconds", "max_message_bytes",
                                       "rules_file", "time_scale", "review_reminder_seconds",
                                       "replay_wait_seconds"}));
  LIFELINE_RETURN_IF_ERROR(f.NonEmpty("store", &c->store_path));
  LIFELINE_RETURN_IF_ERROR(f.NonEmpty("agency", &c->agency));
  if (c->agency.find_first_of("/+#") != std::string::npos) return f.Error("agency", "must not contain '/', '+' or '#'");
  LIFELINE_RETURN_IF_ERROR(f.Get("units", &c->units, Need::kOptional));
  int silent = static_cast<int>(c->silent_after.count());
  LIFELINE_RETURN_IF_ERROR(f.InRange("silent_after_seconds", 1, 7 * 86400, &silent, Need::kOptional));
  c->silent_after = std::chrono::seconds(silent);
  int reminder = static_cast<int>(c->review_reminder.count());
  LIFELINE_RETURN_IF_ERROR(f.InRange("review_reminder_seconds", 0, 86400, &reminder, Need::kOptional));
  c->review_reminder = std::chrono::seconds(reminder);
  int replay_wait = static_cast<int>(c->replay_wait.count());
  LIFELINE_RETURN_IF_ERROR(f.InRange("replay_wait_seconds", 1, 3600, &replay_wait, Need::kOptional));
  c->replay_wait = std::chrono::seconds(replay_wait);
  int max_bytes = static_cast<int>(c->max_message_bytes);
  LIFELINE_RETURN_IF_ERROR(f.InRange("max_message_bytes", 1024, 1 << 20, &max_bytes, Need::kOptional));
  c->max_message_bytes = static_cast<size_t>(max_bytes);
  LIFELINE_RETURN_IF_ERROR(f.Get("rules_file", &c->rules_file, Need::kOptional));
  return f.InRange("time_scale", 1, 3600, &c->time_scale, Need::kOptional);
}

Status ReadBroker(const TomlTable& b, FleetConfig::Broker* c) {
  LIFELINE_RETURN_IF_ERROR(b.OnlyKeys({"host", "port", "ca_file", "cert_file", "key_file", "client_id"}));
  LIFELINE_RETURN_IF_ERROR(b.Get("host", &c->host, Need::kOptional));
  LIFELINE_RETURN_IF_ERROR(b.InRange("port", 1, 65535, &c->port, Need::kOptional));
  LIFELINE_RETURN_IF_ERROR(b.NonEmpty("ca_file", &c->ca_file));
  LIFELINE_RETURN_IF_ERROR(b.NonEmpty("cert_file", &c->cert_file));
  LIFELINE_RETURN_IF_ERROR(b.NonEmpty("key_file", &c->key_file));
  return b.Get("client_id", &c->client_id, Need::kOptional);
}

Status ReadHooks(const TomlTable& h, FleetConfig::Hooks* c) {
  LIFELINE_RETURN_IF_ERROR(h.OnlyKeys({"program", "timeout_seconds"}));
  LIFELINE_RETURN_IF_ERROR(h.NonEmpty("program", &c->program));
  if (c->program.front() != '/') return h.Error("program", "must be an absolute path");
  int timeout = static_cast<int>(c->timeout.count());
  LIFELINE_RETURN_IF_ERROR(h.InRange("timeout_seconds", 1, 3600, &timeout, Need::kOptional));
  c->timeout = std::chrono::seconds(timeout);
  return Status::Ok();
}

}  // namespace

Result<FleetConfig> LoadFleetConfig(const std::string& path) {
  auto doc = TomlDocument::ParseFile(path);
  if (!doc.ok()) return doc.status();
  const TomlTable root = doc->root();
  LIFELINE_RETURN_IF_ERROR(root.OnlyKeys({"fleet", "broker", "hooks"}));
  FleetConfig c;
  auto fleet = root.Table("fleet");
  if (!fleet.ok()) return fleet.status();
  LIFELINE_RETURN_IF_ERROR(ReadFleet(**fleet, &c));
  auto broker = root.Table("broker");
  if (!broker.ok()) return broker.status();
  LIFELINE_RETURN_IF_ERROR(ReadBroker(**broker, &c.broker));
  auto hooks = root.Table("hooks", Need::kOptional);
  if (!hooks.ok()) return hooks.status();
  if (*hooks) LIFELINE_RETURN_IF_ERROR(ReadHooks(**hooks, &c.hooks));
  if (c.broker.client_id.empty()) c.broker.client_id = "lifeline-fleet-" + c.agency;
  return c;
}

}  // namespace lifeline::fleet
