// Loading recipients and templates from TOML, with errors naming file, line and key.
#include <regex>
#include <set>

#include "daemon/core/toml_reader.h"
#include "daemon/escalation/escalation.h"

namespace lifeline {
namespace embedded {
extern const std::string_view recipients_toml;
extern const std::string_view templates_toml;
}  // namespace embedded

namespace {

Status ReadChannel(const TomlTable& t, ChannelAddress* out) {
  static const std::set<std::string> kKinds = {"sms", "fax", "phone", "email"};
  LIFELINE_RETURN_IF_ERROR(t.OnlyKeys({"kind", "address", "hours", "relay_is_recipient_domain"}));
  LIFELINE_RETURN_IF_ERROR(t.NonEmpty("kind", &out->kind));
  LIFELINE_RETURN_IF_ERROR(t.NonEmpty("address", &out->address));
  LIFELINE_RETURN_IF_ERROR(t.Get("hours", &out->hours, Need::kOptional));
  LIFELINE_RETURN_IF_ERROR(t.Get("relay_is_recipient_domain", &out->relay_is_recipient_domain, Need::kOptional));
  if (!kKinds.count(out->kind)) return t.Error("kind", "must be sms, fax, phone or email");
  if (out->relay_is_recipient_domain && out->kind != "email") {
    return t.Error("relay_is_recipient_domain", "applies to e-mail channels only");
  }
  static const std::regex kNumber("^\\+?[0-9][0-9 ()#*-]{3,30}$"), kEmail("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");
  bool ok = out->kind == "email" ? std::regex_match(out->address, kEmail) : std::regex_match(out->address, kNumber);
  if (!ok) return t.Error("address", "'" + out->address + "' is not a valid " + out->kind + " address");
  return Status::Ok();
}

Status ReadRecipient(const TomlTable& t, Recipient* r) {
  static const std::set<std::string> kRoles = {"superior_agency", "national_centre", "affected_agency", "internal"};
  LIFELINE_RETURN_IF_ERROR(t.OnlyKeys({"key", "role", "name", "source", "verified", "channels"}));
  for (auto [key, field] : {std::pair{"key", &r->key}, {"role", &r->role}, {"name", &r->name},
                            {"source", &r->source}, {"verified", &r->verified}}) {
    LIFELINE_RETURN_IF_ERROR(t.NonEmpty(key, field));
  }
  if (!kRoles.count(r->role)) return t.Error("role", "unknown role '" + r->role + "'");
  auto channels = t.Tables("channels");
  if (!channels.ok()) return channels.status();
  if (channels->empty()) return t.Error("channels", "needs at least one channel");
  for (const TomlTable& c : *channels) {
    ChannelAddress ch;
    LIFELINE_RETURN_IF_ERROR(ReadChannel(c, &ch));
    r->channels.push_back(ch);
  }
  return Status::Ok();
}

Status ReadRecipients(const TomlTable& root, const char* name, std::vector<Recipient>* out) {
  auto list = root.Tables(name);
  if (!list.ok()) return list.status();
  for (const TomlTable& t : *list) {
    Recipient r;
    LIFELINE_RETURN_IF_ERROR(ReadRecipient(t, &r));
    for (const auto& other : *out) {
      if (other.key == r.key) return t.Error("key", "'" + r.key + "' appears twice");
    }
    out->push_back(std::move(r));
  }
  for (const char* role : {"superior_agency", "national_centre"}) {
    bool found = std::any_of(out->begin(), out->end(), [&](const Recipient& r) { return r.role == role; });
    if (!found) return root.Error(name, std::string("no recipient with role ") + role);
  }
  return Status::Ok();
}

}  // namespace

Result<Directory> LoadDirectory(std::string_view text, std::string_view origin) {
  auto doc = TomlDocument::Parse(text, origin);
  if (!doc.ok()) return doc.status();
  TomlTable root = doc->root();
  LIFELINE_RETURN_IF_ERROR(root.OnlyKeys({"recipient", "drill_recipient"}));
  Directory d;
  LIFELINE_RETURN_IF_ERROR(ReadRecipients(root, "recipient", &d.recipients));
  LIFELINE_RETURN_IF_ERROR(ReadRecipients(root, "drill_recipient", &d.drill_recipients));
  return d;
}

Result<Directory> DefaultDirectory() {
  return LoadDirectory(embedded::recipients_toml, "embedded:config/recipients.toml");
}

Result<Templates> Templates::Load(std::string_view text, std::string_view origin) {
  auto doc = TomlDocument::Parse(text, origin);
  if (!doc.ok()) return doc.status();
  static const std::set<std::string> kAllowed = {"agency", "level", "category", "aware_at", "report_id",
                                                 "revision", "reason", "callback", "notify_by", "drill"};
  static const std::regex kPlaceholder("\\{([a-z_]+)\\}");
  Templates t;
  for (const char* kind : {"sms", "fax_notice", "phone_script", "email"}) {
    auto section = doc->root().Table(kind);
    if (!section.ok()) return section.status();
    for (const std::string& key : (*section)->Keys()) {
      std::string text_value;
      LIFELINE_RETURN_IF_ERROR((*section)->Get(key, &text_value));
      for (std::sregex_iterator it(text_value.begin(), text_value.end(), kPlaceholder), end; it != end; ++it) {
        if (!kAllowed.count((*it)[1])) return (*section)->Error(key, "unknown placeholder {" + (*it)[1].str() + "}");
      }
      t.texts_[std::string(kind) + "." + key] = text_value;
    }
    for (const char* lang : {"zh", "en"}) {
      if (!t.texts_.count(std::string(kind) + "." + lang)) return (*section)->Error(lang, "missing");
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
