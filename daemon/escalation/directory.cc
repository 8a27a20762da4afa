// Loading recipients and templates from TOML, with errors naming file, line and key.
#include <regex>
#include <set>
#include <toml++/toml.h>

#include "daemon/escalation/escalation.h"

namespace lifeline {
namespace embedded {
extern const std::string_view recipients_toml;
extern const std::string_view templates_toml;
}  // namespace embedded

namespace {

Status At(const std::string& origin, const toml::node& n, const std::string& key, const std::string& why) {
  return InvalidArgument(origin + ":" + std::to_string(n.source().begin.line) + ": " + key + ": " + why);
}

Result<toml::table> Parse(std::string_view text, const std::string& origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
  }
}

Status ReadString(const toml::table& t, const char* key, const std::string& origin, const std::string& where,
                  std::string* out) {
  auto v = t[key].value<std::string>();
  if (!v || v->empty()) return At(origin, t, where + "." + key, "missing or empty");
  *out = *v;
  return Status::Ok();
}

Status ReadChannel(const toml::node& node, const std::string& origin, const std::string& where,
                   ChannelAddress* out) {
  static const std::set<std::string> kKinds = {"sms", "fax", "phone", "email"};
  const toml::table* t = node.as_table();
  if (!t) return At(origin, node, where, "must be { kind = ..., address = ... }");
  LIFELINE_RETURN_IF_ERROR(ReadString(*t, "kind", origin, where, &out->kind));
  LIFELINE_RETURN_IF_ERROR(ReadString(*t, "address", origin, where, &out->address));
  out->hours = (*t)["hours"].value_or(std::string());
  if (!kKinds.count(out->kind)) return At(origin, node, where + ".kind", "must be sms, fax, phone or email");
  static const std::regex kNumber("^\\+?[0-9][0-9 ()#*-]{3,30}$"), kEmail("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");
  bool ok = out->kind == "email" ? std::regex_match(out->address, kEmail) : std::regex_match(out->address, kNumber);
  if (!ok) return At(origin, node, where + ".address", "'" + out->address + "' is not a valid " + out->kind + " address");
  return Status::Ok();
}

Status ReadRecipients(const toml::table& root, const char* name, const std::string& origin,
                      std::vector<Recipient>* out) {
  static const std::set<std::string> kRoles = {"superior_agency", "national_centre", "affected_agency", "internal"};
  const toml::array* list = root[name].as_array();
  if (!list) return InvalidArgument(origin + ": [[" + std::string(name) + "]] entries are missing");
  for (size_t i = 0; i < list->size(); ++i) {
    std::string where = std::string(name) + "[" + std::to_string(i) + "]";
    const toml::table* t = list->get(i)->as_table();
    if (!t) return At(origin, *list->get(i), where, "must be a table");
    Recipient r;
    for (auto [key, field] : {std::pair{"key", &r.key}, {"role", &r.role}, {"name", &r.name},
                              {"source", &r.source}, {"verified", &r.verified}}) {
      LIFELINE_RETURN_IF_ERROR(ReadString(*t, key, origin, where, field));
    }
    if (!kRoles.count(r.role)) return At(origin, *t, where + ".role", "unknown role '" + r.role + "'");
    const toml::array* channels = (*t)["channels"].as_array();
    if (!channels || channels->empty()) return At(origin, *t, where + ".channels", "needs at least one channel");
    for (size_t c = 0; c < channels->size(); ++c) {
      ChannelAddress ch;
      LIFELINE_RETURN_IF_ERROR(ReadChannel(*channels->get(c), origin, where + ".channels[" + std::to_string(c) + "]", &ch));
      r.channels.push_back(ch);
    }
    for (const auto& other : *out) {
      if (other.key == r.key) return At(origin, *t, where + ".key", "'" + r.key + "' appears twice");
    }
    out->push_back(std::move(r));
  }
  for (const char* role : {"superior_agency", "national_centre"}) {
    bool found = std::any_of(out->begin(), out->end(), [&](const Recipient& r) { return r.role == role; });
    if (!found) return InvalidArgument(origin + ": " + name + ": no recipient with role " + role);
  }
  return Status::Ok();
}

}  // namespace

Result<Directory> LoadDirectory(std::string_view text, std::string_view origin_view) {
  std::string origin(origin_view);
  auto root = Parse(text, origin);
  if (!root.ok()) return root.status();
  for (const auto& [k, v] : *root) {
    if (k != "recipient" && k != "drill_recipient") return At(origin, v, std::string(k.str()), "unknown key");
  }
  Directory d;
  LIFELINE_RETURN_IF_ERROR(ReadRecipients(*root, "recipient", origin, &d.recipients));
  LIFELINE_RETURN_IF_ERROR(ReadRecipients(*root, "drill_recipient", origin, &d.drill_recipients));
  return d;
}

Result<Directory> DefaultDirectory() {
  return LoadDirectory(embedded::recipients_toml, "embedded:config/recipients.toml");
}

Result<Templates> Templates::Load(std::string_view text, std::string_view origin_view) {
  std::string origin(origin_view);
  auto root = Parse(text, origin);
  if (!root.ok()) return root.status();
  static const std::set<std::string> kAllowed = {"agency", "level", "category", "aware_at", "report_id",
                                                 "revision", "reason", "callback", "notify_by", "drill"};
  static const std::regex kPlaceholder("\\{([a-z_]+)\\}");
  Templates t;
  for (const char* kind : {"sms", "fax_notice", "phone_script", "email"}) {
    const toml::table* section = (*root)[kind].as_table();
    if (!section) return InvalidArgument(origin + ": [" + std::string(kind) + "] is missing");
    for (const auto& [k, v] : *section) {
      std::string key = std::string(kind) + "." + std::string(k.str());
      auto s = v.value<std::string>();
      if (!s) return At(origin, v, key, "must be a string");
      for (std::sregex_iterator it(s->begin(), s->end(), kPlaceholder), end; it != end; ++it) {
        if (!kAllowed.count((*it)[1])) return At(origin, v, key, "unknown placeholder {" + (*it)[1].str() + "}");
      }
      t.texts_[key] = *s;
    }
    for (const char* lang : {"zh", "en"}) {
      if (!t.texts_.count(std::string(kind) + "." + lang)) {
        return At(origin, *section, std::string(kind) + "." + lang, "missing");
      }
    }
  }
  return t;
}

Result<Templates> Templates::Default() { return Load(embedded::templates_toml, "embedded:config/templates.toml"); }

Result<std::string> Templates::Render(std::string_view kind, std::string_view lang,
                                      const std::map<std::string, std::string>& values) const {
  auto it = texts_.find(std::string(kind) + "." + std::string(lang));
  if (it == texts_.end()) return NotFound("no template " + std::string(kind) + "." + std::string(lang));
  std::string out;
  const std::string& s = it->second;
  for (size_t i = 0; i < s.size();) {
    size_t open = s.find('{', i);
    if (open == std::string::npos) { out += s.substr(i); break; }
    size_t close = s.find('}', open);
    out += s.substr(i, open - i);
    std::string name = s.substr(open + 1, close - open - 1);
    auto v = values.find(name);
    if (v == values.end()) return InvalidArgument("template " + it->first + " needs a value for {" + name + "}");
    out += v->second;
    i = close + 1;
  }
  return out;
}

}  // namespace lifeline
