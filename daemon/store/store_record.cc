// The report's record beyond its revisions: stages 2 and 3 as versions, the
// site's receipts for them, the CISO's approval and the signatures. Each write
// checks what it follows and journals in one transaction.
#include <mbedtls/md.h>

#include "daemon/store/store.h"

namespace lifeline {
namespace {

using nlohmann::json;

std::string Sha256Of(const std::string& data) {
  Mac digest{};
  mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), reinterpret_cast<const unsigned char*>(data.data()),
             data.size(), digest.data());
  return HexMac(digest);
}

constexpr const char* kStageColumns =
    "s.report_id, s.stage, s.version, s.report_revision, s.at, s.received_at, s.idempotency_key,"
    " s.document_sha256, COALESCE(s.site_receipt, ''), s.document, s.schedule,"
    " (SELECT r.aware_at FROM reports r WHERE r.report_id = s.report_id ORDER BY r.revision DESC LIMIT 1),"
    " EXISTS (SELECT 1 FROM reports r WHERE r.report_id = s.report_id AND r.site_receipt IS NOT NULL)";

StoredStage ReadStage(const sql::Stmt& st) {
  StoredStage s;
  s.report_id = st.Text(0);
  s.stage = st.Text(1);
  s.version = static_cast<int>(st.Int(2));
  s.report_revision = static_cast<int>(st.Int(3));
  s.at = st.Text(4);
  s.received_at = st.Text(5);
  s.idempotency_key = st.Text(6);
  s.document_sha256 = st.Text(7);
  s.site_receipt = st.Text(8);
  s.document = json::parse(st.Text(9), nullptr, false);
  s.schedule = json::parse(st.Text(10), nullptr, false);
  s.aware_at = st.Text(11);
  s.report_on_site = st.Int(12) != 0;
  return s;
}

Result<std::vector<StoredStage>> QueryStages(sql::Db& db, const std::string& where, const std::string* id) {
  auto st = db.Prepare(std::string("SELECT ") + kStageColumns + " FROM report_stages s " + where);
  if (!st.ok()) return st.status();
  if (id) st->Bind(1, *id);
  std::vector<StoredStage> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ReadStage(*st));
  }
}

Status CheckRevisionExists(sql::Db& db, const std::string& id, int revision) {
  auto st = db.Prepare("SELECT 1 FROM reports WHERE report_id = ? AND revision = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, id).Bind(2, revision);
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("report " + id + " has no revision " + std::to_string(revision));
  return Status::Ok();
}

}  // namespace

Result<StageSubmitResult> Store::AddStage(const StageRecord& record, const json& schedule) {
  StageSubmitResult result;
  const std::string stage(StageName(record.stage)), document = record.document.dump();
  const std::string digest = Sha256Of(document);
  Status s = InTransaction([&]() -> Status {
    LIFELINE_RETURN_IF_ERROR(CheckRevisionExists(*db_, record.report_id, record.report_revision));
    auto existing = Stages(record.report_id);
    if (!existing.ok()) return existing.status();
    int version = 1;
    for (const StoredStage& e : *existing) {
      if (e.stage != stage) continue;
      if (e.document_sha256 == digest) {
        result = {e, true};
        return Status::Ok();
      }
      version = std::max(version, e.version + 1);
    }
    StoredStage row;
    row.report_id = record.report_id;
    row.stage = stage;
    row.version = version;
    row.report_revision = record.report_revision;
    row.at = FormatRfc3339(record.at);
    row.received_at = FormatUtcMicros(clock_.Now());
    row.idempotency_key = record.report_id + ":" + std::to_string(version) + ":" + stage;
    row.document_sha256 = digest;
    row.document = record.document;
    row.schedule = schedule;
    auto ins = db_->Prepare(
        "INSERT INTO report_stages (report_id, stage, version, report_revision, document, document_sha256, at,"
        " received_at, idempotency_key, schedule) VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (!ins.ok()) return ins.status();
    ins->Bind(1, row.report_id).Bind(2, stage).Bind(3, version).Bind(4, row.report_revision).Bind(5, document);
    ins->Bind(6, digest).Bind(7, row.at).Bind(8, row.received_at).Bind(9, row.idempotency_key).Bind(10, schedule.dump());
    LIFELINE_RETURN_IF_ERROR(ins->Run());
    auto seq = Journal("report.stage_received", row.report_id,
                       {{"stage", stage}, {"version", version}, {"report_revision", row.report_revision},
                        {"document_sha256", digest}, {"at", row.at}, {"idempotency_key", row.idempotency_key},
                        {"status", record.status}});
    if (!seq.ok()) return seq.status();
    result = {std::move(row), false};
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

Result<std::vector<StoredStage>> Store::Stages(const std::string& id) {
  return QueryStages(*db_, "WHERE s.report_id = ?1 ORDER BY s.stage DESC, s.version", &id);
}

Result<std::vector<StoredStage>> Store::ListUnacknowledgedStages() {
  return QueryStages(*db_,
                     "WHERE s.site_receipt IS NULL ORDER BY (SELECT MIN(r.aware_at_us) FROM reports r"
                     " WHERE r.report_id = s.report_id), s.report_id, s.stage DESC, s.version",
                     nullptr);
}

Status Store::SetStageReceipt(const std::string& id, const std::string& stage, int version,
                              const std::string& receipt) {
  return InTransaction([&]() -> Status {
    auto up = db_->Prepare(
        "UPDATE report_stages SET site_receipt = ? WHERE report_id = ? AND stage = ? AND version = ?"
        " AND site_receipt IS NULL");
    if (!up.ok()) return up.status();
    up->Bind(1, receipt).Bind(2, id).Bind(3, stage).Bind(4, version);
    LIFELINE_RETURN_IF_ERROR(up->Run());
    if (sqlite3_changes(db_->raw()) != 1) {
      return FailedPrecondition("report " + id + " has no " + stage + " version " + std::to_string(version) +
                                " without a site receipt");
    }
    return Journal("report.stage_receipt", id, {{"stage", stage}, {"version", version}, {"receipt", receipt}})
        .status();
  });
}

Status Store::AddSignoff(const SignoffRow& in) {
  return InTransaction([&]() -> Status {
    LIFELINE_RETURN_IF_ERROR(CheckRevisionExists(*db_, in.report_id, in.revision));
    const std::string at = FormatUtcMicros(clock_.Now());
    auto ins = db_->Prepare(
        "INSERT INTO record_signoffs (report_id, kind, revision, level, user, role, via, at, record_sha256, note)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (!ins.ok()) return ins.status();
    ins->Bind(1, in.report_id).Bind(2, in.kind).Bind(3, in.revision).Bind(4, in.level).Bind(5, in.user);
    ins->Bind(6, in.role).Bind(7, in.via).Bind(8, at).Bind(9, in.record_sha256).Bind(10, in.note);
    LIFELINE_RETURN_IF_ERROR(ins->Run());
    json entry = {{"signoff", sqlite3_last_insert_rowid(db_->raw())}, {"revision", in.revision}, {"level", in.level},
                  {"user", in.user}, {"role", in.role}, {"via", in.via}, {"record_sha256", in.record_sha256}};
    if (in.kind != "approval") entry["as"] = in.kind;
    if (!in.note.empty()) entry["note"] = in.note;
    return Journal(in.kind == "approval" ? "record.approved" : "record.signed", in.report_id, entry).status();
  });
}

Result<std::vector<SignoffRow>> Store::Signoffs(const std::string& id) {
  auto st = db_->Prepare(
      "SELECT id, report_id, kind, revision, level, user, role, via, at, record_sha256, note FROM record_signoffs"
      " WHERE report_id = ? ORDER BY id");
  if (!st.ok()) return st.status();
  st->Bind(1, id);
  std::vector<SignoffRow> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back({st->Int(0), st->Text(1), st->Text(2), static_cast<int>(st->Int(3)), static_cast<int>(st->Int(4)),
                   st->Text(5), st->Text(6), st->Text(7), st->Text(8), st->Text(9), st->Text(10)});
  }
}

Result<json> Store::CurrentSchedule(const std::string& id) {
  auto revisions = GetReport(id);
  if (!revisions.ok()) return revisions.status();
  if (revisions->empty()) return json();
  auto stages = Stages(id);
  if (!stages.ok()) return stages.status();
  const StoredRevision& latest = revisions->back();
  const StoredStage* newest = nullptr;
  for (const StoredStage& s : *stages) {
    if (!newest || s.received_at > newest->received_at) newest = &s;
  }
  // Both times are UTC with microseconds (FormatUtcMicros), so they compare as text.
  if (newest && newest->received_at >= latest.received_at && newest->schedule.is_object()) return newest->schedule;
  return latest.schedule;
}

}  // namespace lifeline
