#include "daemon/site/wire.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>

#include "daemon/core/uuid.h"

namespace lifeline::site_internal {
namespace {

using nlohmann::json;

json FallbackJson(const FallbackEvidence& f) {
  json notes = json::array();
  for (const FallbackNotification& n : f.notifications) {
    notes.push_back({{"recipient", n.recipient}, {"channel", n.channel},
                     {"at", FormatRfc3339(n.at)}, {"outcome", n.outcome}});
  }
  json out = {{"reason_class", f.reason_class}, {"reason", f.reason}, {"notifications", notes}};
  if (f.outage_began_at) out["outage_began_at"] = FormatRfc3339(*f.outage_began_at);
  return out;
}

Status CheckSubmission(const Submission& s) {
  if (!IsUuid(s.report_id)) return InvalidArgument("report_id is not a UUID: " + s.report_id);
  if (s.revision < 1 || s.revision > 1000) return InvalidArgument("revision out of [1, 1000]");
  if (s.kind == SubmissionKind::kInitial && s.revision != 1) {
    return InvalidArgument("an initial report has revision 1");
  }
  if (s.kind == SubmissionKind::kRevision && s.revision < 2) {
    return InvalidArgument("a revision (續行通報) has revision >= 2");
  }
  if (s.kind == SubmissionKind::kLate && (!s.fallback || s.fallback->notifications.empty())) {
    return InvalidArgument("a late submission (補行通報) needs fallback evidence with notifications");
  }
  if (IsStageKind(s.kind) && (s.report_revision < 1 || s.report_revision > 1000 || !s.recorded_at)) {
    return InvalidArgument("a stage needs the report revision it follows (1-1000) and when it was recorded");
  }
  return Status::Ok();
}

// A stage of the record: its own version, the revision it follows, when the
// box stored it (a replay after an outage arrives later than that), the document.
nlohmann::json StageBody(const Submission& s, nlohmann::json document) {
  return {{"api_version", "1"}, {"kind", SubmissionKindName(s.kind)}, {"report_id", s.report_id},
          {"version", s.revision}, {"report_revision", s.report_revision}, {"aware_at", FormatRfc3339(s.aware_at)},
          {"recorded_at", FormatRfc3339(*s.recorded_at)}, {"document", std::move(document)}};
}

int MonthIndex(std::string_view m) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == m) return static_cast<int>(i) + 1;
  }
  return 0;
}

Result<WallTime> FromFields(int y, int mon, int d, int h, int mi, int s) {
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mon)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60 || h < 0 || mi < 0 || s < 0) {
    return InvalidArgument("HTTP-date out of range");
  }
  return WallTime(sys_days(ymd) + hours(h) + minutes(mi) + seconds(s));
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::string RequestPath(const Submission& s) {
  switch (s.kind) {
    case SubmissionKind::kInitial: return "/v1/reports";
    case SubmissionKind::kRevision: return "/v1/reports/" + s.report_id + "/revisions";
    case SubmissionKind::kLate: return "/v1/reports/" + s.report_id + "/late-submissions";
    case SubmissionKind::kDamageControl:
    case SubmissionKind::kClosing:
      return "/v1/reports/" + s.report_id + "/stages/" + std::string(SubmissionKindName(s.kind));
  }
  return "/v1/reports";
}

Result<std::string> BuildBody(const Submission& s) {
  LIFELINE_RETURN_IF_ERROR(CheckSubmission(s));
  json report = json::parse(s.report_json, nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded() || !report.is_object()) {
    return InvalidArgument("report_json is not a JSON object");
  }
  if (IsStageKind(s.kind)) return StageBody(s, std::move(report)).dump(-1, ' ', false, json::error_handler_t::replace);
  json body = {{"api_version", "1"}, {"kind", SubmissionKindName(s.kind)},
               {"report_id", s.report_id}, {"revision", s.revision},
               {"aware_at", FormatRfc3339(s.aware_at)}, {"report", std::move(report)}};
  if (s.kind == SubmissionKind::kLate) body["fallback"] = FallbackJson(*s.fallback);
  // nlohmann::json keeps object keys sorted, which makes this canonical.
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ParsedReceipt> ParseReceipt(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("receipt body is not a JSON object");
  auto no = j.find("receipt_no");
  if (no == j.end() || !no->is_string() || no->get<std::string>().empty() ||
      no->get<std::string>().size() > 64) {
    return InvalidArgument("receipt body has no receipt_no (1-64 characters)");
  }
  ParsedReceipt r;
  r.receipt_no = no->get<std::string>();
  auto at = j.find("received_at");
  if (at != j.end() && at->is_string()) r.received_at = at->get<std::string>();
  return r;
}

std::string ParseErrorCode(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return "";
  auto e = j.find("error");
  return e != j.end() && e->is_string() ? e->get<std::string>().substr(0, 64) : "";
}

Result<WallTime> ParseHttpDate(std::string_view t) {
  char wday[16] = {}, mon[4] = {}, zone[4] = {};
  int d = 0, y = 0, h = 0, mi = 0, s = 0, n = 0;
  std::string text(t.substr(0, 64));
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (std::sscanf(text.c_str(), "%3s, %2d %3s %4d %2d:%2d:%2d %3s%n", wday, &d, mon, &y, &h, &mi,
                  &s, zone, &n) == 8 &&
      static_cast<size_t>(n) == text.size() && std::string_view(zone) == "GMT") {
    if (int m = MonthIndex(mon)) return FromFields(y, m, d, h, mi, s);
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit years read as 19xx/20xx, RFC 9110 §5.6.7)
  if (std::sscanf(text.c_str(), "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d %3s%n", wday, &d, mon, &y,
                  &h, &mi, &s, zone, &n) == 8 &&
      static_cast<size_t>(n) == text.size() && std::string_view(zone) == "GMT") {
    if (int m = MonthIndex(mon)) return FromFields(y < 70 ? 2000 + y : 1900 + y, m, d, h, mi, s);
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (std::sscanf(text.c_str(), "%3s %3s %2d %2d:%2d:%2d %4d%n", wday, mon, &d, &h, &mi, &s, &y,
                  &n) == 7 &&
      static_cast<size_t>(n) == text.size()) {
    if (int m = MonthIndex(mon)) return FromFields(y, m, d, h, mi, s);
  }
  return InvalidArgument("not an HTTP-date: " + text);
}

Result<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, WallTime now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' ||
                            value.back() == '\n')) {
    value.remove_suffix(1);
  }
  if (AllDigits(value)) {
    if (value.size() > 9) return InvalidArgument("Retry-After too large");
    return std::chrono::milliseconds(std::stoll(std::string(value)) * 1000);
  }
  Result<WallTime> at = ParseHttpDate(value);
  if (!at.ok()) return at.status();
  auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(*at - now);
  return delta.count() < 0 ? std::chrono::milliseconds(0) : delta;
}

}  // namespace lifeline::site_internal
