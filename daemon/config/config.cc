#include "daemon/config/config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <toml++/toml.h>

namespace lifeline {
namespace embedded {
extern const std::string_view default_config;
}  // namespace embedded

std::string_view DefaultConfigText() { return embedded::default_config; }

namespace {

Result<toml::table> Parse(std::string_view text, const std::string& origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
  }
}

std::string Where(const std::string& origin, const toml::node& n, const std::string& key) {
  return origin + ":" + std::to_string(n.source().begin.line) + ": " + key;
}

// Copies every key of `over` onto `base`; each must exist in `base` with the same type.
// Where each overridden key was written, for errors about its value.
using KeyOrigins = std::map<std::string, std::string>;

Status Overlay(toml::table& base, const toml::table& over, const std::string& origin,
               const std::string& prefix, KeyOrigins* origins) {
  for (const auto& [k, v] : over) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    toml::node* target = base.get(k.str());
    if (!target) return InvalidArgument(Where(origin, v, key) + ": unknown key");
    if (target->type() != v.type()) {
      return InvalidArgument(Where(origin, v, key) + ": wrong type (expected " +
                             std::string(toml::impl::node_type_friendly_names[size_t(target->type())]) + ")");
    }
    if (v.is_table()) {
      LIFELINE_RETURN_IF_ERROR(Overlay(*target->as_table(), *v.as_table(), origin, key, origins));
    } else {
      (*origins)[key] = Where(origin, v, key);
      base.insert_or_assign(k.str(), v);
    }
  }
  return Status::Ok();
}

std::string Str(const toml::table& t, const char* path) {
  return t.at_path(path).value_or(std::string());
}

Status CheckValues(const Config& c, const toml::table& t, const KeyOrigins& origins) {
  auto bad = [&](const char* key, const std::string& why) {
    auto it = origins.find(key);
    std::string where = it != origins.end() ? it->second : std::string("embedded:config/lifeline.toml: ") + key;
    return InvalidArgument(where + ": " + why);
  };
  if (c.state_dir.empty()) return bad("daemon.state_dir", "must not be empty");
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), c.log_level) == std::end(kLevels)) {
    return bad("daemon.log_level", "'" + c.log_level + "' is not one of trace, debug, info, warn, error, off");
  }
  if (Str(t, "daemon.socket").empty()) return bad("daemon.socket", "must not be empty");
  // sun_path holds 108 bytes including the terminator.
  if (c.socket_path.size() > 107) return bad("daemon.socket", "path longer than 107 bytes: " + c.socket_path);
  return Status::Ok();
}

}  // namespace

Result<Config> LoadConfig(std::optional<std::string_view> override_text, std::string_view origin_v) {
  auto base = Parse(embedded::default_config, "embedded:config/lifeline.toml");
  if (!base.ok()) return base.status();
  std::string origin(origin_v);
  KeyOrigins origins;
  if (override_text) {
    auto over = Parse(*override_text, origin);
    if (!over.ok()) return over.status();
    LIFELINE_RETURN_IF_ERROR(Overlay(*base, *over, origin, "", &origins));
  }
  const toml::table& t = *base;
  Config c;
  c.state_dir = Str(t, "daemon.state_dir");
  std::filesystem::path socket = Str(t, "daemon.socket");
  c.socket_path = socket.is_absolute() ? socket.string() : (std::filesystem::path(c.state_dir) / socket).string();
  c.socket_group = Str(t, "daemon.socket_group");
  c.log_level = Str(t, "daemon.log_level");
  c.rules_file = Str(t, "rules.file");
  c.agency_name = Str(t, "agency.name");
  c.agency_phone = Str(t, "agency.contact_phone");
  c.agency_fax = Str(t, "agency.contact_fax");
  c.agency_email = Str(t, "agency.contact_email");
  LIFELINE_RETURN_IF_ERROR(CheckValues(c, t, origins));
  return c;
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  return LoadConfig(std::string_view(text), path);
}

}  // namespace lifeline
