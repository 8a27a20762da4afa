// The bundle's frame: the record's documents and rows, the printouts, then
// the channels' and the journal's parts (parts.h), an index of it all, signed.
#include "daemon/export/export.h"

#include "daemon/export/parts.h"

namespace lifeline::evidence_export {
namespace {

using nlohmann::json;

// Each revision's document in its stored bytes (their SHA-256 is the stored
// document_sha256), and the row around it.
Status AddRevisions(const record::RecordView& r, Collector& out) {
  for (const StoredRevision& rev : r.revisions) {
    const std::string n = std::to_string(rev.revision);
    LIFELINE_RETURN_IF_ERROR(out.Add("report/r" + n + ".json", rev.document.dump(),
                                     "stage 1 (事件通報), revision " + n + ", as stored"));
    json row = {{"revision", rev.revision}, {"level", rev.level}, {"drill", rev.drill}, {"state", rev.state},
                {"aware_at", rev.aware_at}, {"received_at", rev.received_at},
                {"idempotency_key", rev.idempotency_key}, {"document_sha256", rev.document_sha256},
                {"site_receipt", rev.site_receipt}, {"rules_id", rev.rules_id}, {"schedule", rev.schedule}};
    LIFELINE_RETURN_IF_ERROR(out.Add("report/r" + n + ".stored.json", JsonFile(row),
                                     "revision " + n + ": state, site receipt, deadlines as computed at receipt"));
  }
  return Status::Ok();
}

Status AddStages(const record::RecordView& r, Collector& out) {
  for (const StoredStage& s : r.stages) {
    const std::string name = "stages/" + s.stage + "-v" + std::to_string(s.version);
    LIFELINE_RETURN_IF_ERROR(out.Add(name + ".json", s.document.dump(), s.stage + " version " +
                                                                              std::to_string(s.version) + ", as stored"));
    json row = {{"stage", s.stage}, {"version", s.version}, {"report_revision", s.report_revision}, {"at", s.at},
                {"received_at", s.received_at}, {"idempotency_key", s.idempotency_key},
                {"document_sha256", s.document_sha256}, {"site_receipt", s.site_receipt}, {"schedule", s.schedule}};
    LIFELINE_RETURN_IF_ERROR(out.Add(name + ".stored.json", JsonFile(row),
                                     "the stage's row: site receipt, deadlines recomputed with it"));
  }
  return Status::Ok();
}

Status AddRecord(const record::RecordView& r, const RuleSet& rules, WallTime now, Collector& out) {
  LIFELINE_RETURN_IF_ERROR(out.Add("record.json", JsonFile(record::RecordToJson(r, rules, now)),
                                   "the record: phase, deadlines met, approval, signatures"));
  json notifications = json::array();
  for (const auto& n : r.notifications) {
    notifications.push_back({{"id", n.id}, {"revision", n.revision}, {"recipient", n.recipient},
                             {"state", n.state}, {"due_at", n.due_at}, {"loud", n.loud}});
  }
  json attempts = json::array();
  for (const auto& a : r.attempts) {
    attempts.push_back({{"id", a.id}, {"notification", a.notification_id}, {"channel", a.channel},
                        {"address", a.address}, {"started_at", a.started_at}, {"ended_at", a.ended_at},
                        {"outcome", a.outcome}, {"evidence", a.evidence}});
  }
  LIFELINE_RETURN_IF_ERROR(out.Add("notifications.json",
                                   JsonFile({{"notifications", notifications}, {"attempts", attempts}}),
                                   "every required notification and every channel attempt with its evidence"));
  auto record_pdf = print::RenderPdf(record::RecordDocument(r, rules, now));
  if (!record_pdf.ok()) return record_pdf.status();
  LIFELINE_RETURN_IF_ERROR(out.Add("record.pdf", std::move(*record_pdf), "the printable record with its signatures"));
  auto summary = print::RenderPdf(record::SummaryDocument(r, rules, now));
  if (!summary.ok()) return summary.status();
  return out.Add("summary.pdf", std::move(*summary), "what was done when, against each deadline");
}

}  // namespace

Status Collector::Add(std::string path, std::string bytes, std::string what) {
  index.push_back({{"path", path}, {"size", bytes.size()}, {"what", std::move(what)}});
  return builder.Add(std::move(path), std::move(bytes));
}

std::string JsonFile(const json& j) { return j.dump(1, ' ', false, json::error_handler_t::replace) + "\n"; }

Result<Exported> ExportEvidence(Store& store, const std::string& id, const RuleSet& rules,
                                const evidence::DeviceKey& key, WallTime now) {
  auto r = record::LoadRecord(store, id);
  if (!r.ok()) return r.status();
  Collector out;
  LIFELINE_RETURN_IF_ERROR(AddRevisions(*r, out));
  LIFELINE_RETURN_IF_ERROR(AddStages(*r, out));
  LIFELINE_RETURN_IF_ERROR(AddRecord(*r, rules, now, out));
  LIFELINE_RETURN_IF_ERROR(AddChannelEvidence(store, *r, out));
  auto head = AddJournal(store, *r, out);
  if (!head.ok()) return head.status();
  json index = {{"report_id", id}, {"files", out.index}, {"missing", out.missing}};
  LIFELINE_RETURN_IF_ERROR(out.builder.Add("index.json", JsonFile(index)));
  evidence::BundleMeta meta{id, WithOffset(now, r->OffsetMinutes()), *head};
  auto bundle = out.builder.Finish(meta, key);
  if (!bundle.ok()) return bundle.status();
  Exported e;
  e.sha256 = evidence::Sha256Hex(*bundle);
  e.bundle = std::move(*bundle);
  e.journal_head = *head;
  e.files = out.builder.file_count();
  e.missing = std::move(out.missing);
  return e;
}

}  // namespace lifeline::evidence_export
