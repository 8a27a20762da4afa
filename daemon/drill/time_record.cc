#include "daemon/drill/time_record.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <set>

namespace lifeline::drill {
namespace {

using nlohmann::json;

struct StepInfo {
  StepKind kind;
  std::string_view name, zh;
};
constexpr std::array<StepInfo, 10> kSteps = {{
    {StepKind::kAware, "aware", "知悉"},
    {StepKind::kFiled, "filed", "填報"},
    {StepKind::kSiteAttempt, "site_attempt", "網站通報嘗試"},
    {StepKind::kOutageDeclared, "outage_declared", "判定無法連線"},
    {StepKind::kFallbackStarted, "fallback_started", "啟動其他方式通報"},
    {StepKind::kNotified, "notified", "通知"},
    {StepKind::kConfirmed, "confirmed", "確認收悉"},
    {StepKind::kRecovered, "recovered", "連線恢復"},
    {StepKind::kLateAccepted, "late_accepted", "補行通報受理"},
    {StepKind::kNote, "note", "紀錄"},
}};

// A JSON object read strictly: each key looked up is remembered, the rest are unknown.
class Fields {
 public:
  Fields(const json& j, std::string origin, std::string path)
      : j_(j), origin_(std::move(origin)), path_(std::move(path)) {}

  Status Error(const std::string& key, const std::string& why) const {
    return InvalidArgument(origin_ + ": " + path_ + (key.empty() ? "" : "/" + key) + ": " + why);
  }
  std::string Path(const std::string& key) const { return path_ + "/" + key; }
  const json* Get(const std::string& key, bool required, Status* st) {
    seen_.insert(key);
    if (!j_.contains(key) || j_[key].is_null()) {
      if (required) *st = Error(key, "missing");
      return nullptr;
    }
    return &j_[key];
  }
  Status String(const std::string& key, bool required, std::string* out) {
    Status st;
    const json* v = Get(key, required, &st);
    if (v == nullptr) return st;
    if (!v->is_string()) return Error(key, "must be a string");
    *out = v->get<std::string>();
    if (required && out->empty()) return Error(key, "must not be empty");
    if (out->size() > 4000) return Error(key, "must be at most 4000 bytes");
    return Status::Ok();
  }
  Status Time(const std::string& key, bool required, std::optional<OffsetTime>* out) {
    std::string text;
    LIFELINE_RETURN_IF_ERROR(String(key, required, &text));
    if (text.empty()) return Status::Ok();
    auto t = ParseRfc3339(text);
    if (!t.ok()) return Error(key, "'" + text + "' is not an RFC 3339 time with an offset");
    *out = *t;
    return Status::Ok();
  }
  Status IsObject() const { return j_.is_object() ? Status::Ok() : Error("", "must be an object"); }
  Status Unknown() const {
    for (const auto& [k, v] : j_.items()) {
      if (!seen_.count(k)) return Error(k, "unknown key");
    }
    return Status::Ok();
  }

 private:
  const json& j_;
  std::string origin_, path_;
  std::set<std::string> seen_;
};

Status RequiredTime(Fields& f, const std::string& key, OffsetTime* out) {
  std::optional<OffsetTime> t;
  LIFELINE_RETURN_IF_ERROR(f.Time(key, true, &t));
  *out = *t;
  return Status::Ok();
}

Result<Step> ParseStep(const json& j, const std::string& origin, const std::string& path) {
  Fields f(j, origin, path);
  LIFELINE_RETURN_IF_ERROR(f.IsObject());
  Step s;
  std::string kind;
  LIFELINE_RETURN_IF_ERROR(RequiredTime(f, "at", &s.at));
  LIFELINE_RETURN_IF_ERROR(f.String("kind", true, &kind));
  auto it = std::find_if(kSteps.begin(), kSteps.end(), [&](const StepInfo& i) { return i.name == kind; });
  if (it == kSteps.end()) return f.Error("kind", "'" + kind + "' is not a step kind (aware, filed, site_attempt, ...)");
  s.kind = it->kind;
  LIFELINE_RETURN_IF_ERROR(f.String("recipient", false, &s.recipient));
  LIFELINE_RETURN_IF_ERROR(f.String("channel", false, &s.channel));
  LIFELINE_RETURN_IF_ERROR(f.String("outcome", false, &s.outcome));
  LIFELINE_RETURN_IF_ERROR(f.String("text", false, &s.text));
  static const std::set<std::string> kChannels = {"", "site", "sms", "fax", "email", "phone"};
  if (!kChannels.count(s.channel)) return f.Error("channel", "must be site, sms, fax, email or phone");
  const bool to_someone = s.kind == StepKind::kNotified || s.kind == StepKind::kConfirmed;
  if (to_someone && (s.recipient.empty() || s.channel.empty())) {
    return f.Error(s.recipient.empty() ? "recipient" : "channel", "a " + kind + " step names its recipient and channel");
  }
  LIFELINE_RETURN_IF_ERROR(f.Unknown());
  return s;
}

Result<Deadline> ParseDeadline(const json& j, const std::string& origin, const std::string& path) {
  Fields f(j, origin, path);
  LIFELINE_RETURN_IF_ERROR(f.IsObject());
  Deadline d;
  LIFELINE_RETURN_IF_ERROR(f.String("key", true, &d.key));
  LIFELINE_RETURN_IF_ERROR(f.String("title", true, &d.title));
  LIFELINE_RETURN_IF_ERROR(RequiredTime(f, "due_at", &d.due));
  LIFELINE_RETURN_IF_ERROR(f.Time("done_at", false, &d.done));
  LIFELINE_RETURN_IF_ERROR(f.Unknown());
  return d;
}

template <typename T, typename Parse>
Status ParseList(Fields& f, const std::string& key, Parse parse, std::vector<T>* out) {
  Status st;
  const json* list = f.Get(key, true, &st);
  if (list == nullptr) return st;
  if (!list->is_array()) return f.Error(key, "must be an array");
  for (size_t i = 0; i < list->size(); ++i) {
    auto v = parse((*list)[i], f.Path(key) + "/" + std::to_string(i));
    if (!v.ok()) return v.status();
    out->push_back(std::move(*v));
  }
  return Status::Ok();
}

Result<UnitRecord> ParseUnit(const json& j, const std::string& origin, const std::string& path) {
  Fields f(j, origin, path);
  LIFELINE_RETURN_IF_ERROR(f.IsObject());
  UnitRecord u;
  LIFELINE_RETURN_IF_ERROR(f.String("unit", true, &u.unit));
  LIFELINE_RETURN_IF_ERROR(f.String("unit_id", false, &u.unit_id));
  LIFELINE_RETURN_IF_ERROR(f.String("report_id", false, &u.report_id));
  Status st;
  const json* s = f.Get("scenario", true, &st);
  if (s == nullptr) return st;
  Fields sf(*s, origin, f.Path("scenario"));
  LIFELINE_RETURN_IF_ERROR(sf.IsObject());
  LIFELINE_RETURN_IF_ERROR(sf.String("id", true, &u.scenario_id));
  LIFELINE_RETURN_IF_ERROR(sf.String("name", true, &u.scenario_name));
  LIFELINE_RETURN_IF_ERROR(sf.String("category", true, &u.category));
  const json* level = sf.Get("level", true, &st);
  if (level == nullptr) return st;
  if (!level->is_number_integer() || level->get<int>() < 1 || level->get<int>() > 4) {
    return sf.Error("level", "must be an integer 1-4");
  }
  u.level = level->get<int>();
  LIFELINE_RETURN_IF_ERROR(sf.Unknown());
  auto step = [&](const json& x, const std::string& p) { return ParseStep(x, origin, p); };
  LIFELINE_RETURN_IF_ERROR(ParseList<Step>(f, "steps", step, &u.steps));
  auto deadline = [&](const json& x, const std::string& p) { return ParseDeadline(x, origin, p); };
  LIFELINE_RETURN_IF_ERROR(ParseList<Deadline>(f, "deadlines", deadline, &u.deadlines));
  std::stable_sort(u.steps.begin(), u.steps.end(), [](const Step& a, const Step& b) { return a.at.instant < b.at.instant; });
  LIFELINE_RETURN_IF_ERROR(f.Unknown());
  return u;
}

}  // namespace

std::string_view StepKindName(StepKind k) {
  for (const auto& s : kSteps) {
    if (s.kind == k) return s.name;
  }
  return "note";
}

std::string_view StepKindLabelZh(StepKind k) {
  for (const auto& s : kSteps) {
    if (s.kind == k) return s.zh;
  }
  return "紀錄";
}

DeadlineResult Evaluate(const Deadline& d) {
  if (!d.done) return {false, std::nullopt};
  auto margin = std::chrono::duration_cast<std::chrono::seconds>(d.due.instant - d.done->instant);
  return {margin.count() >= 0, margin};
}

std::optional<OffsetTime> UnitRecord::Origin() const {
  for (const auto& s : steps) {
    if (s.kind == StepKind::kAware) return s.at;
  }
  if (steps.empty()) return std::nullopt;
  return steps.front().at;
}

Result<DrillRecord> ParseDrillRecord(std::string_view text, const std::string& origin) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return InvalidArgument(origin + ": not JSON");
  Fields f(j, origin, "");
  LIFELINE_RETURN_IF_ERROR(f.IsObject());
  std::string format;
  LIFELINE_RETURN_IF_ERROR(f.String("format", true, &format));
  if (format != kDrillRecordFormat) return f.Error("format", std::string("must be ") + kDrillRecordFormat);
  Status st;
  const json* drill = f.Get("drill", true, &st);
  if (drill == nullptr) return st;
  Fields d(*drill, origin, "/drill");
  LIFELINE_RETURN_IF_ERROR(d.IsObject());
  DrillRecord r;
  LIFELINE_RETURN_IF_ERROR(d.String("name", true, &r.name));
  LIFELINE_RETURN_IF_ERROR(d.String("organiser", true, &r.organiser));
  LIFELINE_RETURN_IF_ERROR(d.String("plan_commitment", false, &r.plan_commitment));
  LIFELINE_RETURN_IF_ERROR(RequiredTime(d, "started_at", &r.started_at));
  LIFELINE_RETURN_IF_ERROR(RequiredTime(d, "ended_at", &r.ended_at));
  if (r.ended_at.instant < r.started_at.instant) return d.Error("ended_at", "is before started_at");
  LIFELINE_RETURN_IF_ERROR(d.Unknown());
  auto unit = [&](const json& x, const std::string& p) { return ParseUnit(x, origin, p); };
  LIFELINE_RETURN_IF_ERROR(ParseList<UnitRecord>(f, "units", unit, &r.units));
  if (r.units.empty()) return f.Error("units", "a drill record has at least one unit");
  LIFELINE_RETURN_IF_ERROR(f.Unknown());
  return r;
}

Result<OffsetTime> ResultsDue(const DrillRecord& r, const RuleSet& rules) {
  for (const auto& f : rules.figures) {
    if (f.key != "drill_results_due") continue;
    auto d = ParseRuleDuration(f.value);
    if (!d.ok()) return InvalidArgument(rules.origin + ": figure drill_results_due: " + d.status().message());
    OffsetTime due = AddCalendarMonths(r.ended_at, d->months);
    due.instant += std::chrono::seconds(d->seconds);
    return due;
  }
  return NotFound(rules.origin + ": no figure drill_results_due");
}

std::string LocalTime(const OffsetTime& t) {
  std::string s = FormatRfc3339(t);  // 2026-09-15T10:05:12+08:00
  return s.substr(0, 10) + " " + s.substr(11, 8);
}

namespace {
std::string Clock(int64_t secs, const char* sign) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s%02lld:%02lld:%02lld", sign, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}
}  // namespace

std::string Elapsed(const OffsetTime& origin, const OffsetTime& t) {
  const int64_t s = std::chrono::duration_cast<std::chrono::seconds>(t.instant - origin.instant).count();
  return Clock(s < 0 ? -s : s, s < 0 ? "-" : "+");
}

std::string MarginZh(const DeadlineResult& r) {
  if (!r.margin) return "未完成";
  const int64_t s = r.margin->count();
  const int64_t a = s < 0 ? -s : s;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s %lld 分 %02lld 秒", s < 0 ? "逾時" : "提前", static_cast<long long>(a / 60),
                static_cast<long long>(a % 60));
  return buf;
}

}  // namespace lifeline::drill
