// What may be added to a record, and in what order: stages, the CISO's
// approval of the level, the three signatures. Pure checks over a RecordView;
// each refusal names the field and says why in zh-TW and English.
#include "daemon/record/record.h"

namespace lifeline::record {
namespace {

Refusal Refuse(int status, std::string code, std::string path, std::string zh, std::string en) {
  return {status, std::move(code), {{std::move(path), std::move(zh), std::move(en)}}};
}

bool Accepted(const StoredRevision& r) { return r.state == "accepted" || r.state == "accepted_late"; }

// The role a signature needs, for people.
std::string_view NeededRole(SignAs as) {
  switch (as) {
    case SignAs::kReporter: return "operator, supervisor or ciso";
    case SignAs::kSupervisor: return "supervisor or ciso";
    case SignAs::kCiso: return "ciso";
  }
  return "";
}

bool RoleMaySign(SignAs as, Role role) {
  switch (as) {
    case SignAs::kReporter: return CanOperate(role) && role != Role::kAdmin;
    case SignAs::kSupervisor: return CanSignAsSupervisor(role) && role != Role::kAdmin;
    case SignAs::kCiso: return CanApproveAndSignAsCiso(role) && role != Role::kAdmin;
  }
  return false;
}

// Signatures come after the record is complete: closed, and its level approved.
Decision RecordReadyToSign(const RecordView& r) {
  if (r.latest().state != "closed") {
    return Refuse(409, "out_of_order", "/as", "通報單尚未結案（參、調查、處理及改善報告），紀錄完成後方可簽核",
                  "the report is not closed yet (stage 3): the record is signed once it is complete");
  }
  if (!r.Approval()) {
    return Refuse(409, "out_of_order", "/as",
                  "資通安全長尚未核定第 " + std::to_string(r.latest().revision) + " 版之事件等級",
                  "the CISO has not approved the level of revision " + std::to_string(r.latest().revision));
  }
  return std::nullopt;
}

}  // namespace

Decision CheckStage(const RecordView& r, const StageRecord& stage) {
  const StoredRevision& latest = r.latest();
  if (latest.state == "closed") {
    return Refuse(409, "conflict", "/schema_version", "通報單已結案，紀錄不再增加", "the report is closed: its record takes nothing more");
  }
  if (stage.stage == Stage::kDamageControl) return std::nullopt;
  if (!r.LatestStage("damage-control")) {
    return Refuse(409, "out_of_order", "/schema_version", "尚未登錄損害控制或復原（貳），不能結案",
                  "damage control (stage 2) is not on record yet: the report cannot be closed before it");
  }
  if (!Accepted(latest)) {
    return Refuse(409, "out_of_order", "/report_id",
                  "通報應變網站尚未受理本通報單（狀態 " + latest.state + "），請待補行通報完成後再結案",
                  "the national site has not accepted the report yet (state " + latest.state +
                      "): close it after the site has it (補行通報)");
  }
  return std::nullopt;
}

Decision CheckApproval(const RecordView& r, Role role, bool changes_level) {
  if (!CanApproveAndSignAsCiso(role) || role == Role::kAdmin) {
    return Refuse(403, "forbidden", "/level", "事件等級由資通安全長核定（陸.四）",
                  "only the CISO (role ciso) approves the incident level (seed 001 陸.四)");
  }
  if (r.Signature("reporter")) {
    return Refuse(409, "conflict", "/level", "紀錄已開始簽核，不能再核定或變更等級",
                  "the record is already being signed: its level is no longer approved or changed");
  }
  if (changes_level && r.latest().state == "closed") {
    return Refuse(409, "conflict", "/level", "通報單已結案，不能變更等級", "the report is closed: its level cannot change");
  }
  return std::nullopt;
}

Decision CheckSignature(const RecordView& r, SignAs as, const std::string& user, Role role) {
  const std::string zh(SignAsZh(as)), name(SignAsName(as));
  if (!RoleMaySign(as, role)) {
    return Refuse(403, "forbidden", "/as", zh + "須由具相應角色之帳號簽核（" + std::string(NeededRole(as)) + "）",
                  "signing as " + name + " needs the role " + std::string(NeededRole(as)) + "; " + user + " is " +
                      std::string(RoleName(role)));
  }
  if (Decision not_ready = RecordReadyToSign(r)) return not_ready;
  if (const SignoffRow* done = r.Signature(name)) {
    return Refuse(409, "conflict", "/as", zh + "已由 " + done->user + " 簽核", name + " has already signed: " + done->user);
  }
  const SignAs order[] = {SignAs::kReporter, SignAs::kSupervisor, SignAs::kCiso};
  for (SignAs before : order) {
    if (before == as) break;
    if (!r.Signature(SignAsName(before))) {
      return Refuse(409, "out_of_order", "/as", "簽核順序為通報人員、通報主管、資通安全長；" + std::string(SignAsZh(before)) + "尚未簽核",
                    "the record is signed by reporter, supervisor, then CISO: " + std::string(SignAsName(before)) +
                        " has not signed yet");
    }
  }
  for (const auto& s : r.signoffs) {
    if (s.kind != "approval" && s.user == user) {
      return Refuse(409, "conflict", "/user", user + " 已以" + std::string(SignAsZh(*SignAsFromName(s.kind))) + "簽核，三位簽核人須為不同人員",
                    user + " already signed as " + s.kind + ": the three signatures are three different people");
    }
  }
  return std::nullopt;
}

}  // namespace lifeline::record
