#include "daemon/drill/roster.h"

#include <algorithm>
#include <set>

#include "daemon/drill/scenario.h"
#include "daemon/drill/toml_fields.h"

namespace lifeline::drill {
namespace {

bool IsDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

Result<RosterUnit> ParseUnit(const toml::table& t, const std::string& origin, const std::string& prefix) {
  TomlFields f(t, origin, prefix);
  RosterUnit u;
  auto id = f.String("id", 64);
  if (!id.ok()) return id.status();
  if (!IsSlugId(*id)) return f.Error("id", "must be lower-case letters, digits and '-'");
  auto name = f.String("name", 100);
  if (!name.ok()) return name.status();
  auto level = f.String("level", 1);
  if (!level.ok()) return level.status();
  if ((*level)[0] < 'A' || (*level)[0] > 'E') return f.Error("level", "must be A, B, C, D or E (資通安全責任等級)");
  auto role = f.OptionalString("role", 20);
  if (!role.ok()) return role.status();
  if (*role && **role != "bureau" && **role != "unit") return f.Error("role", "must be bureau or unit");
  LIFELINE_RETURN_IF_ERROR(f.Finish());
  u.id = *id;
  u.name = *name;
  u.level = *level;
  u.bureau = *role && **role == "bureau";
  return u;
}

Status ParseHeader(TomlFields& root, Roster* r) {
  auto t = root.Table("roster");
  if (!t.ok()) return t.status();
  TomlFields h(**t, r->origin, "roster");
  auto name = h.String("name", 200);
  if (!name.ok()) return name.status();
  auto source = h.String("source", 400);
  if (!source.ok()) return source.status();
  auto recorded = h.String("recorded", 10);
  if (!recorded.ok()) return recorded.status();
  if (!IsDate(*recorded)) return h.Error("recorded", "must be a date, YYYY-MM-DD");
  r->name = *name;
  r->source = *source;
  r->recorded = *recorded;
  return h.Finish();
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
  auto table = ParseToml(text, origin);
  if (!table.ok()) return table.status();
  Roster r;
  r.origin = origin;
  r.sha256 = Sha256Hex(text);
  TomlFields root(*table, origin, "");
  LIFELINE_RETURN_IF_ERROR(ParseHeader(root, &r));
  auto list = root.TableArray("unit");
  if (!list.ok()) return list.status();
  std::set<std::string> ids, names;
  for (size_t i = 0; i < (*list)->size(); ++i) {
    const std::string prefix = "unit[" + std::to_string(i + 1) + "]";
    const toml::table& t = *(*list)->get(i)->as_table();
    auto u = ParseUnit(t, origin, prefix);
    if (!u.ok()) return u.status();
    TomlFields where(t, origin, prefix);
    if (!ids.insert(u->id).second) return where.Error("id", "'" + u->id + "' is listed twice");
    if (!names.insert(u->name).second) return where.Error("name", "'" + u->name + "' is listed twice");
    r.units.push_back(std::move(*u));
  }
  LIFELINE_RETURN_IF_ERROR(root.Finish());
  if (r.Drawable().empty()) return root.Error("unit", "no unit to draw: every [[unit]] is the bureau");
  return r;
}

Result<Roster> LoadRosterFile(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return ParseRoster(*text, path);
}

}  // namespace lifeline::drill
