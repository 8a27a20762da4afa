// Stage 1: the report document walked against proto/report.schema.json (every
// rule of the form, with its messages, is in the schema), then read into a
// Report. The walk itself is schema_walk.cc, shared with stages 2 and 3.
#include "daemon/report/report.h"
#include "daemon/report/schema_access.h"
#include "daemon/report/schema_walk.h"

namespace lifeline {

using nlohmann::json;

namespace {

ImpactLevel ImpactOf(const json& v) {
  if (v == "none") return std::nullopt;
  return static_cast<int>(v.get<double>());
}

template <typename T>
std::optional<T> Optional(const json& obj, const char* key) {
  if (!obj.contains(key)) return std::nullopt;
  return obj[key].get<T>();
}

OffsetTime TimeAt(const json& doc, const char* key) {
  // The pattern already matched, so this parse cannot fail; a failure would be
  // a schema/parser mismatch, surfaced as the epoch rather than a crash.
  auto t = ParseRfc3339(doc[key].get<std::string>());
  return t.ok() ? *t : OffsetTime{};
}

Report BuildReport(const json& doc) {
  Report r;
  r.id = doc["id"];
  r.revision = static_cast<int>(doc["revision"].get<double>());
  r.drill = doc.value("drill", false);
  r.filed_at = TimeAt(doc, "filed_at");
  r.aware_at = TimeAt(doc, "aware_at");
  r.discovered_at = TimeAt(doc, "discovered_at");
  r.agency_name = doc["agency"]["name"];
  r.reviewing_agency = doc["agency"]["reviewing_agency"];
  r.reporter_name = doc["reporter"]["name"];
  r.reporter_phone = doc["reporter"]["phone"];
  r.reporter_email = doc["reporter"]["email"];
  r.reporter_fax = Optional<std::string>(doc["reporter"], "fax");
  r.on_behalf_of = Optional<std::string>(doc["on_behalf_of"], "agency_name");
  r.soc_type = doc["soc"]["type"];
  r.soc_vendor = Optional<std::string>(doc["soc"], "vendor");
  r.maintenance_vendor = doc["maintenance_vendor"];
  r.category = doc["category"];
  r.anomalies = doc["anomalies"].get<std::vector<std::string>>();
  r.other_description = Optional<std::string>(doc, "other_description");
  r.description = doc["description"];
  r.affects_others = doc["affects_others"]["affected"];
  r.sectors = doc["affects_others"]["sectors"].get<std::vector<std::string>>();
  r.source_type = doc["source"]["type"];
  r.source_alert_id = Optional<std::string>(doc["source"], "alert_id");
  r.source_detail = Optional<std::string>(doc["source"], "detail");
  r.confidentiality = ImpactOf(doc["impact"]["confidentiality"]);
  r.integrity = ImpactOf(doc["impact"]["integrity"]);
  r.availability = ImpactOf(doc["impact"]["availability"]);
  r.support_requested = doc["support"]["requested"];
  r.support_content = Optional<std::string>(doc["support"], "content");
  r.document = doc;
  return r;
}

}  // namespace

ValidationOutcome ValidateReportJson(const json& document) {
  ValidationOutcome out;
  out.problems = report_internal::WalkSchema(report_internal::ReportSchema(), document);
  if (out.problems.empty()) out.report = BuildReport(document);
  return out;
}

ValidationOutcome ValidateReport(std::string_view text) {
  json doc;
  ValidationOutcome out;
  if (!report_internal::ParseDocument(text, &doc, &out.problems)) return out;
  return ValidateReportJson(doc);
}

std::vector<ValidationProblem> CheckReportTimes(const Report& r, const TimeCheck& c) {
  std::vector<ValidationProblem> out;
  const WallTime latest = c.now + c.skew;
  const std::string ahead = "比本機時鐘晚超過 " + std::to_string(c.skew.count() / 60) + " 分鐘，不可能為真；請檢查年月日";
  const std::string ahead_en = "is more than " + std::to_string(c.skew.count() / 60) +
                               " minutes ahead of the box's clock, which cannot be true; check the date";
  for (const auto& [path, t] : {std::pair{"/aware_at", r.aware_at}, {"/discovered_at", r.discovered_at},
                                {"/filed_at", r.filed_at}}) {
    if (t.instant > latest) out.push_back({path, "時間" + ahead, "the time " + ahead_en});
  }
  if (r.discovered_at.instant > r.aware_at.instant) {
    out.push_back({"/discovered_at", "事件發現時間不可晚於知悉時間", "discovery cannot come after awareness"});
  }
  if (r.filed_at.instant < r.discovered_at.instant) {
    out.push_back({"/filed_at", "填報時間不可早於事件發現時間", "the report cannot be filed before the discovery"});
  } else if (r.filed_at.instant < r.aware_at.instant) {
    out.push_back({"/filed_at", "填報時間不可早於知悉時間", "the report cannot be filed before the agency was aware"});
  }
  return out;
}

ValidationOutcome ValidateReportAt(std::string_view text, const TimeCheck& check) {
  ValidationOutcome out = ValidateReport(text);
  if (!out.ok()) return out;
  out.problems = CheckReportTimes(*out.report, check);
  if (!out.problems.empty()) out.report.reset();
  return out;
}

int Report::Level() const {
  int level = 0;
  for (const ImpactLevel& i : {confidentiality, integrity, availability}) {
    if (i && *i > level) level = *i;
  }
  return level;
}

std::string Report::IdempotencyKey() const { return id + "/r" + std::to_string(revision); }

std::string DescribeProblems(const std::vector<ValidationProblem>& problems) {
  std::string s;
  for (const auto& p : problems) {
    s += (p.path.empty() ? "(document)" : p.path) + ": " + p.zh + " — " + p.en + "\n";
  }
  return s;
}

json ProblemsToJson(const std::vector<ValidationProblem>& problems) {
  json list = json::array();
  for (const auto& p : problems) list.push_back({{"path", p.path}, {"zh", p.zh}, {"en", p.en}});
  return {{"problems", list}};
}

std::string ValidationOutcome::Describe() const { return DescribeProblems(problems); }
json ValidationOutcome::ToJson() const { return ProblemsToJson(problems); }

}  // namespace lifeline
