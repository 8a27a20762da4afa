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

#include "daemon/core/toml_reader.h"
#include "daemon/drill/drill_file.h"
#include "daemon/report/report.h"

namespace lifeline::drill {
namespace {

using nlohmann::json;
using std::chrono::seconds;

struct FaultInfo {
  FaultKind kind;
  std::string_view name, zh;
  bool blocks_site;
  std::string_view setting;  // the key this kind takes besides fault, start and duration ("" = none)
};

constexpr std::array<FaultInfo, 8> kFaults = {{
    {FaultKind::kSiteUnreachable, "site_unreachable", "國家資通安全通報應變網站無法連線", true, ""},
    {FaultKind::kSite5xx, "site_5xx", "通報應變網站回應伺服器錯誤 (5xx)", true, "http_status"},
    {FaultKind::kSiteSlow, "site_slow", "通報應變網站回應過慢", true, "delay_ms"},
    {FaultKind::kMainsLost, "mains_lost", "市電中斷（由不斷電系統供電）", false, "battery_minutes"},
    {FaultKind::kSiteAndMainsLost, "site_and_mains_lost", "市電中斷且網站無法連線", true, "battery_minutes"},
    {FaultKind::kSmsFailing, "sms_failing", "簡訊通道失效", false, "cms_error"},
    {FaultKind::kFaxBusy, "fax_busy", "傳真線路忙線", false, ""},
    {FaultKind::kFaxNoAnswer, "fax_no_answer", "傳真無人接聽", false, ""},
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

Result<const FaultInfo*> ParseFaultKind(const TomlTable& t) {
  std::string name;
  LIFELINE_RETURN_IF_ERROR(t.Text("fault", 40, &name));
  auto it = std::find_if(kFaults.begin(), kFaults.end(), [&](const FaultInfo& i) { return i.name == name; });
  if (it != kFaults.end()) return &*it;
  std::string all;
  for (const auto& i : kFaults) all += (all.empty() ? "" : ", ") + std::string(i.name);
  return t.Error("fault", "'" + name + "' is not one of " + all);
}

Result<Fault> ParseFault(const TomlTable& t) {
  auto info = ParseFaultKind(t);
  if (!info.ok()) return info.status();
  Fault fault;
  fault.kind = (*info)->kind;
  int64_t start = 0, duration = 0;
  LIFELINE_RETURN_IF_ERROR(t.InRange("start_seconds", 0, kMaxSeconds, &start));
  LIFELINE_RETURN_IF_ERROR(t.InRange("duration_seconds", 1, kMaxSeconds, &duration));
  fault.start = seconds(start);
  fault.duration = seconds(duration);
  if (fault.kind == FaultKind::kSite5xx) {
    fault.http_status = 503;
    LIFELINE_RETURN_IF_ERROR(t.InRange("http_status", 500, 599, &fault.http_status, Need::kOptional));
  }
  if (fault.kind == FaultKind::kSiteSlow) LIFELINE_RETURN_IF_ERROR(t.InRange("delay_ms", 1000, 600000, &fault.delay_ms));
  if (fault.kind == FaultKind::kMainsLost || fault.kind == FaultKind::kSiteAndMainsLost) {
    LIFELINE_RETURN_IF_ERROR(t.InRange("battery_minutes", 1, 24 * 60, &fault.battery_minutes, Need::kOptional));
  }
  if (fault.kind == FaultKind::kSmsFailing) {
    fault.cms_error = 500;
    LIFELINE_RETURN_IF_ERROR(t.InRange("cms_error", 0, 999, &fault.cms_error, Need::kOptional));
  }
  const std::string_view setting = (*info)->setting;
  LIFELINE_RETURN_IF_ERROR(setting.empty() ? t.OnlyKeys({"fault", "start_seconds", "duration_seconds"})
                                           : t.OnlyKeys({"fault", "start_seconds", "duration_seconds", setting}));
  return fault;
}

Status ParseFaults(const TomlTable& root, Scenario* s) {
  auto list = root.Tables("simulate", Need::kOptional, Numbering::kFromOne);
  if (!list.ok()) return list.status();
  if (list->empty()) return root.Error("simulate", "missing: at least one [[simulate]] fault is required");
  for (const TomlTable& t : *list) {
    auto fault = ParseFault(t);
    if (!fault.ok()) return fault.status();
    if (fault->end() > s->duration) {
      return t.Error("duration_seconds", "the fault ends after the drill (" + std::to_string(s->duration.count()) +
                                             " minutes)");
    }
    for (const auto& other : s->faults) {
      if (other.kind == fault->kind && fault->start < other.end() && other.start < fault->end()) {
        return t.Error("start_seconds", "overlaps an earlier " + std::string(FaultKindName(other.kind)) + " fault");
      }
    }
    s->faults.push_back(*fault);
  }
  return Status::Ok();
}

Status ParseDrillTable(const TomlTable& d, Scenario* s) {
  LIFELINE_RETURN_IF_ERROR(d.Text("id", 64, &s->id));
  if (!IsSlugId(s->id)) return d.Error("id", "must be lower-case letters, digits and '-'");
  LIFELINE_RETURN_IF_ERROR(d.Text("name", 200, &s->name));
  LIFELINE_RETURN_IF_ERROR(d.Text("description", 2000, &s->description, Need::kOptional));
  LIFELINE_RETURN_IF_ERROR(d.InRange("level", 1, 4, &s->level));
  int minutes = 0;
  LIFELINE_RETURN_IF_ERROR(d.InRange("duration_minutes", 1, 7 * 24 * 60, &minutes));
  s->duration = std::chrono::minutes(minutes);
  s->resolved_by = "team";
  LIFELINE_RETURN_IF_ERROR(d.Text("resolved_by", 40, &s->resolved_by, Need::kOptional));
  if (s->resolved_by != "team" && s->resolved_by != "technical_centre") {
    return d.Error("resolved_by", "must be team (資通安全處理小組) or technical_centre (技術服務中心)");
  }
  return d.OnlyKeys({"id", "name", "description", "level", "duration_minutes", "resolved_by"});
}

// Where a validation problem came from: the [report.set] key it starts at, or the base file.
std::string ProblemWhere(const TomlTable* set, const ValidationProblem& p, const std::string& base_where) {
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
Result<int> AcceptReport(json doc, const std::string& base_where, const TomlTable* set, Scenario* s) {
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

// The report: `base` (a complete stage-1 document) with the fields of
// `[report.set]` over it. Returns the report's level.
Result<int> ParseReport(const TomlTable& root, const FileReader& read, Scenario* s) {
  auto t = root.Table("report");
  if (!t.ok()) return t.status();
  const TomlTable& r = **t;
  std::string base;
  LIFELINE_RETURN_IF_ERROR(r.Text("base", 400, &base));
  const std::string path = ResolvePath(s->origin, base);
  auto doc = ReadReport(path, read);
  if (!doc.ok()) return r.Error("base", doc.status().message());
  auto set = r.Table("set", Need::kOptional);
  if (!set.ok()) return r.Error("set", "must be a table of report fields");
  if (set->has_value()) {
    // Each field replaces the base's whole value: a nested object set here is
    // the field as a whole, so nothing of the base's lingers inside it.
    for (const std::string& key : (*set)->Keys()) {
      auto value = (*set)->ToJson(key);
      if (!value.ok()) return value.status();
      (*doc)[key] = std::move(*value);
    }
  }
  LIFELINE_RETURN_IF_ERROR(r.OnlyKeys({"base", "set"}));
  return AcceptReport(std::move(*doc), r.Where("base") + " (" + path + ")", set->has_value() ? &**set : nullptr, s);
}

// The first format: [drill] name, report (a file), outage_seconds.
Result<Scenario> ParseLegacy(const TomlTable& root, const TomlTable& d, Scenario s, const FileReader& read) {
  std::string report;
  int64_t outage = 0;
  LIFELINE_RETURN_IF_ERROR(d.Text("name", 200, &s.name));
  LIFELINE_RETURN_IF_ERROR(d.Text("report", 400, &report));
  LIFELINE_RETURN_IF_ERROR(d.InRange("outage_seconds", 1, 86400, &outage));
  LIFELINE_RETURN_IF_ERROR(d.OnlyKeys({"name", "report", "outage_seconds"}));
  LIFELINE_RETURN_IF_ERROR(root.OnlyKeys({"drill"}));
  s.legacy = true;
  s.id = std::filesystem::path(s.origin).stem().string();
  s.duration = std::chrono::minutes((outage + 59) / 60);
  s.faults.push_back({FaultKind::kSiteUnreachable, seconds(0), seconds(outage)});
  const std::string path = ResolvePath(s.origin, report);
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
  auto doc = TomlDocument::Parse(text, origin);
  if (!doc.ok()) return doc.status();
  Scenario s;
  s.origin = origin;
  s.sha256 = Sha256Hex(text);
  const TomlTable root = doc->root();
  auto drill = root.Table("drill");
  if (!drill.ok()) return drill.status();
  const TomlTable& d = **drill;
  if (d.Has("outage_seconds")) return ParseLegacy(root, d, std::move(s), read);
  LIFELINE_RETURN_IF_ERROR(ParseDrillTable(d, &s));
  LIFELINE_RETURN_IF_ERROR(ParseFaults(root, &s));
  auto level = ParseReport(root, read, &s);
  if (!level.ok()) return level.status();
  if (*level != s.level) {
    return d.Error("level", std::to_string(s.level) + " is declared, but the report's impacts give level " +
                                std::to_string(*level));
  }
  LIFELINE_RETURN_IF_ERROR(root.OnlyKeys({"drill", "simulate", "report"}));
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

namespace {

std::string FaultWords(const Fault& f) {
  return std::string(FaultKindName(f.kind)) + " (" + std::string(FaultKindLabelZh(f.kind)) + ") +" +
         std::to_string(f.start.count()) + " s for " + std::to_string(f.duration.count()) + " s";
}

}  // namespace

// Long because it is the one place that maps each fault kind to what the desk
// does with it (the switch below, one case per row of proto/drills.md §1).
Result<DeskPlan> PlanForDesk(const Scenario& s, int time_scale) {
  // The report is filed at the drill's start, so a site fault that begins
  // later is held from the start too (the report would otherwise reach the
  // site at once and the drill would be over): the hold runs to the last site
  // fault's end, and such faults are listed as approximated.
  seconds span = SiteLossFromStart(s);
  const seconds from_start = span;
  for (const auto& f : s.faults) {
    if (BlocksSite(f.kind)) span = std::max(span, f.end());
  }
  if (span.count() == 0) {
    return FailedPrecondition(s.origin + ": lifelined's drill desk holds the report back from the national site, "
                              "and this scenario loses no site");
  }
  DeskPlan p;
  // The first format's outage is wall-clock seconds; the library's are on the legal clock.
  const int64_t scale = s.legacy ? 1 : std::max(1, time_scale);
  auto on_box = [scale](seconds legal) { return (legal.count() + scale - 1) / scale; };
  p.outage_seconds = std::max<int64_t>(1, on_box(span));
  for (const auto& f : s.faults) {
    json d = {{"kind", FaultKindName(f.kind)}, {"start_seconds", on_box(f.start)},
              {"duration_seconds", std::max<int64_t>(1, on_box(f.duration))}};
    auto add = [&](const char* channel, json extra) {
      json x = d;
      x["channel"] = channel;
      x.update(extra);
      p.faults.push_back(std::move(x));
    };
    const json battery = f.battery_minutes > 0 ? json{{"battery_minutes", f.battery_minutes}} : json::object();
    switch (f.kind) {
      case FaultKind::kSiteUnreachable:
      case FaultKind::kSite5xx:
      case FaultKind::kSiteSlow:
      case FaultKind::kSiteAndMainsLost: {
        if (f.end() > from_start) {
          p.approximated.push_back(FaultWords(f) + ": the report held back from the drill's start (it is filed then)");
        }
        const char* link = f.kind == FaultKind::kSite5xx ? "http_5xx" : f.kind == FaultKind::kSiteSlow ? "timeout" : "connect";
        add("site", {{"link_class", link}, {"summary", std::string("演練模擬：") + std::string(FaultKindLabelZh(f.kind))}});
        if (f.kind == FaultKind::kSiteAndMainsLost) {
          json m = battery;
          m["summary"] = "演練模擬：市電中斷 (simulated for this drill: mains lost)";
          add("mains", m);
        }
        if (f.kind == FaultKind::kSite5xx || f.kind == FaultKind::kSiteSlow) {
          p.approximated.push_back(FaultWords(f) + ": the report held back from the site, its failure stated as " + link);
        }
        break;
      }
      case FaultKind::kMainsLost: {
        json m = battery;
        m["summary"] = "演練模擬：市電中斷 (simulated for this drill: mains lost)";
        add("mains", m);
        break;
      }
      case FaultKind::kSmsFailing:
        add("sms", {{"summary", "演練模擬：簡訊通道失效 +CMS ERROR " + std::to_string(f.cms_error) +
                                    " (simulated for this drill: the SMS channel fails)"}});
        break;
      case FaultKind::kFaxBusy:
        add("fax", {{"summary", "演練模擬：傳真線路忙線 (simulated for this drill: the fax line is busy)"}});
        break;
      case FaultKind::kFaxNoAnswer:
        add("fax", {{"summary", "演練模擬：傳真無人接聽 (simulated for this drill: the fax rings unanswered)"}});
        break;
    }
  }
  if (p.outage_seconds > 86400) return FailedPrecondition(s.origin + ": the site loss is longer than a day");
  return p;
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
