#include "daemon/drill/roster.h"

#include <algorithm>
#include <set>

#include "daemon/core/toml_reader.h"
#include "daemon/drill/drill_file.h"
#include "daemon/drill/scenario.h"

namespace lifeline::drill {
namespace {

bool IsDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

Result<RosterUnit> ParseUnit(const TomlTable& t) {
  RosterUnit u;
  std::string role;
  LIFELINE_RETURN_IF_ERROR(t.Text("id", 64, &u.id));
  if (!IsSlugId(u.id)) return t.Error("id", "must be lower-case letters, digits and '-'");
  LIFELINE_RETURN_IF_ERROR(t.Text("name", 100, &u.name));
  LIFELINE_RETURN_IF_ERROR(t.Text("level", 1, &u.level));
  if (u.level[0] < 'A' || u.level[0] > 'E') return t.Error("level", "must be A, B, C, D or E (資通安全責任等級)");
  LIFELINE_RETURN_IF_ERROR(t.Text("role", 20, &role, Need::kOptional));
  if (t.Has("role") && role != "bureau" && role != "unit") return t.Error("role", "must be bureau or unit");
  LIFELINE_RETURN_IF_ERROR(t.OnlyKeys({"id", "name", "level", "role"}));
  u.bureau = role == "bureau";
  return u;
}

Status ParseHeader(const TomlTable& root, Roster* r) {
  auto t = root.Table("roster");
  if (!t.ok()) return t.status();
  const TomlTable& h = **t;
  LIFELINE_RETURN_IF_ERROR(h.Text("name", 200, &r->name));
  LIFELINE_RETURN_IF_ERROR(h.Text("source", 400, &r->source));
  LIFELINE_RETURN_IF_ERROR(h.Text("recorded", 10, &r->recorded));
  if (!IsDate(r->recorded)) return h.Error("recorded", "must be a date, YYYY-MM-DD");
  return h.OnlyKeys({"name", "source", "recorded"});
}

}  // namespace

std::vector<RosterUnit> Roster::Drawable() const {
  std::vector<RosterUnit> out;
  for (const auto& u : units) {
    if (!u.bureau) out.push_back(u);
  }
  return out;
}

Result<Roster> ParseRoster(std::string_view text, const std::string& origin) {
  auto doc = TomlDocument::Parse(text, origin);
  if (!doc.ok()) return doc.status();
  Roster r;
  r.origin = origin;
  r.sha256 = Sha256Hex(text);
  const TomlTable root = doc->root();
  LIFELINE_RETURN_IF_ERROR(ParseHeader(root, &r));
  auto list = root.Tables("unit", Need::kOptional, Numbering::kFromOne);
  if (!list.ok()) return list.status();
  std::set<std::string> ids, names;
  for (const TomlTable& t : *list) {
    auto u = ParseUnit(t);
    if (!u.ok()) return u.status();
    if (!ids.insert(u->id).second) return t.Error("id", "'" + u->id + "' is listed twice");
    if (!names.insert(u->name).second) return t.Error("name", "'" + u->name + "' is listed twice");
    r.units.push_back(std::move(*u));
  }
  LIFELINE_RETURN_IF_ERROR(root.OnlyKeys({"roster", "unit"}));
  if (r.Drawable().empty()) return root.Error("unit", "no unit to draw: every [[unit]] is the bureau");
  return r;
}

Result<Roster> LoadRosterFile(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return ParseRoster(*text, path);
}

}  // namespace lifeline::drill
