// Scenario files: [drill] (what the drill is), [[simulate]] (what lifelined
// simulates, when and for how long) and [report] (a complete stage-1 document,
// or a base document with fields set over it). The first format, [drill] with
// report and outage_seconds, still loads: a site loss from the start.
#include "daemon/drill/scenario.h"

#include <mbedtls/md.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "daemon/drill/toml_fields.h"
#include "daemon/report/report.h"

namespace lifeline::drill {
namespace {

using nlohmann::json;
using std::chrono::seconds;

struct FaultInfo {
  FaultKind kind;
  std::string_view name, zh;
  bool blocks_site;
};

constexpr std::array<FaultInfo, 8> kFaults = {{
    {FaultKind::kSiteUnreachable, "site_unreachable", "國家資通安全通報應變網站無法連線", true},
    {FaultKind::kSite5xx, "site_5xx", "通報應變網站回應伺服器錯誤 (5xx)", true},
    {FaultKind::kSiteSlow, "site_slow", "通報應變網站回應過慢", true},
    {FaultKind::kMainsLost, "mains_lost", "市電中斷（由不斷電系統供電）", false},
    {FaultKind::kSiteAndMainsLost, "site_and_mains_lost", "市電中斷且網站無法連線", true},
    {FaultKind::kSmsFailing, "sms_failing", "簡訊通道失效", false},
    {FaultKind::kFaxBusy, "fax_busy", "傳真線路忙線", false},
    {FaultKind::kFaxNoAnswer, "fax_no_answer", "傳真無人接聽", false},
}};

const FaultInfo& Info(FaultKind k) {
  for (const auto& f : kFaults) {
    if (f.kind == k) return f;
  }
  return kFaults[0];
}

constexpr std::array<std::string_view, 5> kCategories = {"web_attack", "intrusion", "dos", "equipment", "other"};
constexpr int64_t kMaxSeconds = 7 * 24 * 3600;

std::string ResolvePath(const std::string& origin, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (std::filesystem::path(origin).parent_path() / p).lexically_normal().string();
}

// A TOML value as JSON (the report's fields written in TOML); dates are refused,
// since the report's times are RFC 3339 strings.
Result<json> ToJson(const toml::node& n, const std::string& where) {
  if (n.is_string()) return json(**n.as_string());
  if (n.is_integer()) return json(**n.as_integer());
  if (n.is_floating_point()) return json(**n.as_floating_point());
  if (n.is_boolean()) return json(**n.as_boolean());
  if (n.is_array()) {
    json out = json::array();
    for (size_t i = 0; i < n.as_array()->size(); ++i) {
      auto v = ToJson(*n.as_array()->get(i), where);
      if (!v.ok()) return v.status();
      out.push_back(std::move(*v));
    }
    return out;
  }
  if (n.is_table()) {
    json out = json::object();
    for (const auto& [k, v] : *n.as_table()) {
      auto j = ToJson(v, where);
      if (!j.ok()) return j.status();
      out[std::string(k.str())] = std::move(*j);
    }
    return out;
  }
  return InvalidArgument(where + ": dates and times must be written as RFC 3339 strings with an offset");
}

Result<Fault> ParseFault(const toml::table& t, const std::string& origin, const std::string& prefix) {
  TomlFields f(t, origin, prefix);
  auto kind_name = f.String("fault", 40);
  if (!kind_name.ok()) return kind_name.status();
  Fault fault;
  auto it = std::find_if(kFaults.begin(), kFaults.end(), [&](const FaultInfo& i) { return i.name == *kind_name; });
  if (it == kFaults.end()) {
    std::string all;
    for (const auto& i : kFaults) all += (all.empty() ? "" : ", ") + std::string(i.name);
    return f.Error("fault", "'" + *kind_name + "' is not one of " + all);
  }
  fault.kind = it->kind;
  auto start = f.Int("start_seconds", 0, kMaxSeconds);
  if (!start.ok()) return start.status();
  auto duration = f.Int("duration_seconds", 1, kMaxSeconds);
  if (!duration.ok()) return duration.status();
  fault.start = seconds(*start);
  fault.duration = seconds(*duration);
  if (fault.kind == FaultKind::kSite5xx) {
    auto s = f.OptionalInt("http_status", 500, 599);
    if (!s.ok()) return s.status();
    fault.http_status = static_cast<int>(s->value_or(503));
  }
  if (fault.kind == FaultKind::kSiteSlow) {
    auto d = f.Int("delay_ms", 1000, 600000);
    if (!d.ok()) return d.status();
    fault.delay_ms = static_cast<int>(*d);
  }
  if (fault.kind == FaultKind::kMainsLost || fault.kind == FaultKind::kSiteAndMainsLost) {
    auto b = f.OptionalInt("battery_minutes", 1, 24 * 60);
    if (!b.ok()) return b.status();
    fault.battery_minutes = static_cast<int>(b->value_or(0));
  }
  if (fault.kind == FaultKind::kSmsFailing) {
    auto c = f.OptionalInt("cms_error", 0, 999);
    if (!c.ok()) return c.status();
    fault.cms_error = static_cast<int>(c->value_or(500));
  }
  LIFELINE_RETURN_IF_ERROR(f.Finish());
  return fault;
}

Status ParseFaults(TomlFields& root, Scenario* s) {
  auto list = root.TableArray("simulate");
  if (!list.ok()) return list.status();
  if ((*list)->empty()) return root.Error("simulate", "missing: at least one [[simulate]] fault is required");
  for (size_t i = 0; i < (*list)->size(); ++i) {
    const std::string prefix = "simulate[" + std::to_string(i + 1) + "]";
    auto fault = ParseFault(*(*list)->get(i)->as_table(), s->origin, prefix);
    if (!fault.ok()) return fault.status();
    TomlFields where(*(*list)->get(i)->as_table(), s->origin, prefix);
    if (fault->end() > s->duration) {
      return where.Error("duration_seconds", "the fault ends after the drill (" +
                                                 std::to_string(s->duration.count()) + " minutes)");
    }
    for (const auto& other : s->faults) {
      if (other.kind == fault->kind && fault->start < other.end() && other.start < fault->end()) {
        return where.Error("start_seconds", "overlaps an earlier " + std::string(FaultKindName(other.kind)) + " fault");
      }
    }
    s->faults.push_back(*fault);
  }
  return Status::Ok();
}

Status ParseDrillTable(TomlFields& root, Scenario* s) {
  auto t = root.Table("drill");
  if (!t.ok()) return t.status();
  TomlFields d(**t, s->origin, "drill");
  auto id = d.String("id", 64);
  if (!id.ok()) return id.status();
  if (!IsSlugId(*id)) return d.Error("id", "must be lower-case letters, digits and '-'");
  auto name = d.String("name", 200);
  if (!name.ok()) return name.status();
  auto description = d.OptionalString("description", 2000);
  if (!description.ok()) return description.status();
  auto level = d.Int("level", 1, 4);
  if (!level.ok()) return level.status();
  auto minutes = d.Int("duration_minutes", 1, 7 * 24 * 60);
  if (!minutes.ok()) return minutes.status();
  auto by = d.OptionalString("resolved_by", 40);
  if (!by.ok()) return by.status();
  if (*by && **by != "team" && **by != "technical_centre") {
    return d.Error("resolved_by", "must be team (資通安全處理小組) or technical_centre (技術服務中心)");
  }
  s->id = *id;
  s->name = *name;
  s->description = description->value_or("");
  s->level = static_cast<int>(*level);
  s->duration = std::chrono::minutes(*minutes);
  s->resolved_by = by->value_or("team");
  return d.Finish();
}

// Where a validation problem came from: the [report.set] key it starts at, or the base file.
std::string ProblemWhere(const TomlFields* set, const ValidationProblem& p, const std::string& base_where) {
  std::string first = p.path.size() > 1 ? p.path.substr(1, p.path.find('/', 1) - 1) : "";
  if (set != nullptr && !first.empty() && set->Has(first)) return set->Where(first);
  return base_where;
}

Result<json> ReadReport(const std::string& path, const FileReader& read) {
  auto text = read(path);
  if (!text.ok()) return InvalidArgument("cannot read " + path + ": " + text.status().message());
  json doc = json::parse(*text, nullptr, false);
  if (!doc.is_object()) return InvalidArgument(path + " is not a JSON object");
  return doc;
}

// Validates the document with the project's validator and keeps it; returns its level.
Result<int> AcceptReport(json doc, const std::string& base_where, const TomlFields* set, Scenario* s) {
  ValidationOutcome v = ValidateReportJson(doc);
  if (!v.ok()) {
    const auto& p = v.problems.front();
    std::string more = v.problems.size() > 1 ? " (and " + std::to_string(v.problems.size() - 1) + " more)" : "";
    return InvalidArgument(ProblemWhere(set, p, base_where) + ": report " + p.path + ": " + p.zh + " — " + p.en + more);
  }
  s->category = v.report->category;
  s->report = std::move(doc);
  return v.report->Level();
}

// The report: `base` (a complete stage-1 document) with the fields of `[report.set]` over it.
Status ParseReport(TomlFields& root, const FileReader& read, Scenario* s) {
  auto t = root.Table("report");
  if (!t.ok()) return t.status();
  TomlFields r(**t, s->origin, "report");
  auto base = r.String("base", 400);
  if (!base.ok()) return base.status();
  const std::string path = ResolvePath(s->origin, *base);
  auto doc = ReadReport(path, read);
  if (!doc.ok()) return r.Error("base", doc.status().message());
  const toml::node* set_node = r.Node("set");
  if (set_node != nullptr && !set_node->is_table()) return r.Error("set", "must be a table of report fields");
  std::optional<TomlFields> set;
  if (set_node != nullptr) {
    set.emplace(*set_node->as_table(), s->origin, "report.set");
    // Each field replaces the base's whole value: a nested object set here is
    // the field as a whole, so nothing of the base's lingers inside it.
    for (const auto& [k, v] : *set_node->as_table()) {
      auto value = ToJson(v, set->Where(k.str()));
      if (!value.ok()) return value.status();
      (*doc)[std::string(k.str())] = std::move(*value);
    }
  }
  LIFELINE_RETURN_IF_ERROR(r.Finish());
  auto level = AcceptReport(std::move(*doc), r.Where("base") + " (" + path + ")", set ? &*set : nullptr, s);
  if (!level.ok()) return level.status();
  if (*level != s->level) {
    TomlFields d(*root.Node("drill")->as_table(), s->origin, "drill");
    return d.Error("level", std::to_string(s->level) + " is declared, but the report's impacts give level " +
                                std::to_string(*level));
  }
  return Status::Ok();
}

// The first format: [drill] name, report (a file), outage_seconds.
Result<Scenario> ParseLegacy(const toml::table& table, Scenario s, const FileReader& read) {
  TomlFields root(table, s.origin, "");
  auto t = root.Table("drill");
  if (!t.ok()) return t.status();
  TomlFields d(**t, s.origin, "drill");
  auto name = d.String("name", 200);
  if (!name.ok()) return name.status();
  auto report = d.String("report", 400);
  if (!report.ok()) return report.status();
  auto outage = d.Int("outage_seconds", 1, 86400);
  if (!outage.ok()) return outage.status();
  LIFELINE_RETURN_IF_ERROR(d.Finish());
  LIFELINE_RETURN_IF_ERROR(root.Finish());
  s.legacy = true;
  s.name = *name;
  s.id = std::filesystem::path(s.origin).stem().string();
  s.duration = std::chrono::minutes((*outage + 59) / 60);
  s.faults.push_back({FaultKind::kSiteUnreachable, seconds(0), seconds(*outage)});
  const std::string path = ResolvePath(s.origin, *report);
  auto doc = ReadReport(path, read);
  if (!doc.ok()) return d.Error("report", doc.status().message());
  auto level = AcceptReport(std::move(*doc), d.Where("report") + " (" + path + ")", nullptr, &s);
  if (!level.ok()) return level.status();
  s.level = *level;
  return s;
}

}  // namespace

std::string_view FaultKindName(FaultKind k) { return Info(k).name; }
std::string_view FaultKindLabelZh(FaultKind k) { return Info(k).zh; }
bool BlocksSite(FaultKind k) { return Info(k).blocks_site; }

std::string Sha256Hex(std::string_view bytes) {
  unsigned char out[32];
  mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), reinterpret_cast<const unsigned char*>(bytes.data()),
             bytes.size(), out);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : out) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  return hex;
}

Result<Scenario> ParseScenario(std::string_view text, const std::string& origin, const FileReader& read) {
  auto table = ParseToml(text, origin);
  if (!table.ok()) return table.status();
  Scenario s;
  s.origin = origin;
  s.sha256 = Sha256Hex(text);
  const toml::node* drill = table->get("drill");
  if (drill != nullptr && drill->is_table() && drill->as_table()->contains("outage_seconds")) {
    return ParseLegacy(*table, std::move(s), read);
  }
  TomlFields root(*table, origin, "");
  LIFELINE_RETURN_IF_ERROR(ParseDrillTable(root, &s));
  LIFELINE_RETURN_IF_ERROR(ParseFaults(root, &s));
  LIFELINE_RETURN_IF_ERROR(ParseReport(root, read, &s));
  LIFELINE_RETURN_IF_ERROR(root.Finish());
  return s;
}

Result<Scenario> LoadScenarioFile(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return ParseScenario(*text, path, ReadTextFile);
}

Result<std::vector<Scenario>> LoadScenarioLibrary(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".toml") files.push_back(e.path().string());
  }
  if (ec) return NotFound("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<Scenario> out;
  std::map<std::string, std::string> seen;
  for (const auto& f : files) {
    auto s = LoadScenarioFile(f);
    if (!s.ok()) return s.status();
    if (seen.count(s->id)) return InvalidArgument(f + ": drill.id: '" + s->id + "' is also the id of " + seen[s->id]);
    seen[s->id] = f;
    out.push_back(std::move(*s));
  }
  if (out.empty()) return NotFound(dir + ": no scenario files (*.toml)");
  return out;
}

Result<LibraryRequirements> LibraryRequirementsFrom(const RuleSet& rules) {
  for (const auto& f : rules.figures) {
    if (f.key != "drill_scenarios_min") continue;
    int n = 0;
    try {
      n = std::stoi(f.value);
    } catch (...) {
      n = 0;
    }
    if (n < 1) return InvalidArgument(rules.origin + ": figure drill_scenarios_min: '" + f.value + "' is not a count");
    return LibraryRequirements{n};
  }
  return NotFound(rules.origin + ": no figure drill_scenarios_min");
}

Status CheckLibrary(const std::vector<Scenario>& scenarios, const LibraryRequirements& req) {
  std::set<int> levels;
  std::set<std::string> categories;
  for (const auto& s : scenarios) {
    levels.insert(s.level);
    categories.insert(s.category);
  }
  std::vector<std::string> missing;
  if (static_cast<int>(scenarios.size()) < req.min_scenarios) {
    missing.push_back(std::to_string(scenarios.size()) + " scenarios, at least " + std::to_string(req.min_scenarios) +
                      " needed");
  }
  for (int l = 1; l <= 4; ++l) {
    if (!levels.count(l)) missing.push_back("no level-" + std::to_string(l) + " scenario");
  }
  for (auto c : kCategories) {
    if (!categories.count(std::string(c))) {
      missing.push_back("no " + LabelZh("categories", c) + " (" + std::string(c) + ") scenario");
    }
  }
  if (missing.empty()) return Status::Ok();
  std::string msg = "the scenario library does not cover what a drill needs (seed 002 5.2.1(三)5):";
  for (const auto& m : missing) msg += "\n  - " + m;
  return FailedPrecondition(msg);
}

json DrillReport(const Scenario& s, const std::string& id, const std::string& now) {
  json r = s.report;
  r["id"] = id;
  r["revision"] = 1;
  r["drill"] = true;
  r["aware_at"] = r["filed_at"] = r["discovered_at"] = now;
  return r;
}

std::chrono::seconds SiteLossFromStart(const Scenario& s) {
  std::vector<Fault> site;
  for (const auto& f : s.faults) {
    if (BlocksSite(f.kind)) site.push_back(f);
  }
  std::sort(site.begin(), site.end(), [](const Fault& a, const Fault& b) { return a.start < b.start; });
  seconds end{0};
  for (const auto& f : site) {
    if (f.start > end) break;
    end = std::max(end, f.end());
  }
  return end;
}

json ScenarioToJson(const Scenario& s) {
  json faults = json::array();
  for (const auto& f : s.faults) {
    json j = {{"kind", FaultKindName(f.kind)}, {"start_seconds", f.start.count()},
              {"duration_seconds", f.duration.count()}};
    if (f.kind == FaultKind::kSite5xx) j["http_status"] = f.http_status;
    if (f.kind == FaultKind::kSiteSlow) j["delay_ms"] = f.delay_ms;
    if (f.battery_minutes > 0) j["battery_minutes"] = f.battery_minutes;
    if (f.kind == FaultKind::kSmsFailing) j["cms_error"] = f.cms_error;
    faults.push_back(std::move(j));
  }
  return {{"id", s.id}, {"name", s.name}, {"level", s.level}, {"category", s.category},
          {"resolved_by", s.resolved_by}, {"duration_minutes", s.duration.count()}, {"faults", faults},
          {"sha256", s.sha256}};
}

}  // namespace lifeline::drill
