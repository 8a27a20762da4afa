// The record as the API returns it (proto/console-api.yaml, Record).
#include "daemon/record/record.h"

namespace lifeline::record {
namespace {

using nlohmann::json;

json StageToJson(const StoredStage& s) {
  json j = {{"stage", s.stage}, {"version", s.version}, {"report_revision", s.report_revision}, {"at", s.at},
            {"received_at", s.received_at}, {"document_sha256", s.document_sha256},
            {"idempotency_key", s.idempotency_key}, {"document", s.document}};
  if (!s.site_receipt.empty()) j["site_receipt"] = s.site_receipt;
  const json& doc = s.document.is_object() ? s.document : json::object();
  if (s.stage == "damage-control" && doc.contains("completion") && doc["completion"].is_object()) {
    j["status"] = doc["completion"].value("status", "");
  }
  if (s.stage == "closing" && doc.contains("cause") && doc["cause"].is_object()) {
    j["cause"] = doc["cause"].value("type", "");
  }
  return j;
}

json SignoffToJson(const SignoffRow& s) {
  json j = {{"revision", s.revision}, {"level", s.level}, {"user", s.user}, {"role", s.role},
            {"via", s.via}, {"at", s.at}, {"record_sha256", s.record_sha256}};
  if (s.kind != "approval") {
    j["as"] = s.kind;
    j["as_zh"] = SignAsZh(SignAsFromName(s.kind).value_or(SignAs::kReporter));
  }
  if (!s.note.empty()) j["note"] = s.note;
  return j;
}

json ApprovalToJson(const RecordView& r) {
  const SignoffRow* a = r.Approval();
  json j = {{"approved", a != nullptr}, {"revision", r.latest().revision}, {"level", r.latest().level}};
  if (a) j.update(SignoffToJson(*a));
  return j;
}

// What the record needs next, for the console's buttons.
json Next(const RecordView& r) {
  const std::string_view phase = Phase(r);
  if (phase == "reported") return {{"action", "damage-control"}};
  if (phase == "damage_controlled") return {{"action", "closing"}};
  if (!r.Approval()) return {{"action", "approval"}};
  for (SignAs as : {SignAs::kReporter, SignAs::kSupervisor, SignAs::kCiso}) {
    if (!r.Signature(SignAsName(as))) return {{"action", "sign"}, {"as", SignAsName(as)}, {"as_zh", SignAsZh(as)}};
  }
  return {{"action", "none"}};
}

}  // namespace

json RecordToJson(const RecordView& r, const RuleSet& rules, WallTime now) {
  json deadlines = json::array();
  auto states = Deadlines(r, rules, now);
  if (states.ok()) {
    for (const auto& d : *states) {
      json j = {{"key", d.key}, {"title", d.title}, {"title_en", d.title_en}, {"source", d.source},
                {"at", d.at}, {"state", d.state}};
      if (!d.met_at.empty()) j["met_at"] = d.met_at;
      deadlines.push_back(std::move(j));
    }
  }
  json stages = json::array(), approvals = json::array(), signatures = json::array();
  for (const auto& s : r.stages) stages.push_back(StageToJson(s));
  for (const auto& s : r.signoffs) (s.kind == "approval" ? approvals : signatures).push_back(SignoffToJson(s));
  json out = {{"phase", Phase(r)}, {"state", r.latest().state}, {"closed", r.latest().state == "closed"},
              {"record_sha256", RecordDigest(r)}, {"rules_id", rules.id}, {"deadlines", deadlines},
              {"stages", stages}, {"approval", ApprovalToJson(r)}, {"approvals", approvals},
              {"signatures", signatures}, {"next", Next(r)}};
  if (!states.ok()) out["deadlines_error"] = states.status().ToString();
  return out;
}

}  // namespace lifeline::record
