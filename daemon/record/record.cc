// The record as one view over the store's rows, and what identifies it.
#include <mbedtls/md.h>

#include "daemon/record/record.h"

namespace lifeline::record {
namespace {

std::string Sha256Hex(const std::string& data) {
  Mac digest{};
  mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), reinterpret_cast<const unsigned char*>(data.data()),
             data.size(), digest.data());
  return HexMac(digest);
}

}  // namespace

const StoredStage* RecordView::LatestStage(std::string_view stage) const {
  const StoredStage* out = nullptr;
  for (const auto& s : stages) {
    if (s.stage == stage && (!out || s.version > out->version)) out = &s;
  }
  return out;
}

int RecordView::OffsetMinutes() const {
  auto aware = ParseRfc3339(latest().aware_at);
  return aware.ok() ? aware->offset_minutes : 8 * 60;
}

const SignoffRow* RecordView::Approval() const {
  const SignoffRow* out = nullptr;
  for (const auto& s : signoffs) {
    if (s.kind == "approval" && s.revision == latest().revision) out = &s;
  }
  return out;
}

const SignoffRow* RecordView::Signature(std::string_view kind) const {
  for (const auto& s : signoffs) {
    if (s.kind == kind) return &s;
  }
  return nullptr;
}

Result<RecordView> LoadRecord(Store& store, const std::string& id) {
  RecordView r;
  auto revisions = store.GetReport(id);
  if (!revisions.ok()) return revisions.status();
  if (revisions->empty()) return NotFound("no report " + id);
  r.revisions = std::move(*revisions);
  auto stages = store.Stages(id);
  auto signoffs = store.Signoffs(id);
  auto notifications = store.Notifications(id);
  auto attempts = store.Attempts(id);
  auto journal = ReadJournal(store.db(), id);
  for (const Status& s : {stages.status(), signoffs.status(), notifications.status(), attempts.status(),
                          journal.status()}) {
    if (!s.ok()) return s;
  }
  r.stages = std::move(*stages);
  r.signoffs = std::move(*signoffs);
  r.notifications = std::move(*notifications);
  r.attempts = std::move(*attempts);
  r.journal = std::move(*journal);
  return r;
}

std::string_view Phase(const RecordView& r) {
  if (r.latest().state == "closed") return "closed";
  if (r.LatestStage("damage-control")) return "damage_controlled";
  return "reported";
}

std::optional<SignAs> SignAsFromName(std::string_view name) {
  for (SignAs as : {SignAs::kReporter, SignAs::kSupervisor, SignAs::kCiso}) {
    if (SignAsName(as) == name) return as;
  }
  return std::nullopt;
}

std::string_view SignAsName(SignAs as) {
  switch (as) {
    case SignAs::kReporter: return "reporter";
    case SignAs::kSupervisor: return "supervisor";
    case SignAs::kCiso: return "ciso";
  }
  return "reporter";
}

std::string_view SignAsZh(SignAs as) {
  switch (as) {
    case SignAs::kReporter: return "通報人員";
    case SignAs::kSupervisor: return "通報主管";
    case SignAs::kCiso: return "資通安全長";
  }
  return "通報人員";
}

// One line per part, in a fixed order, so that the digest names exactly
// these documents and this approval and nothing else.
std::string RecordDigest(const RecordView& r) {
  std::string text = "lifeline.record/1\n";
  for (const auto& rev : r.revisions) {
    text += "revision " + std::to_string(rev.revision) + " " + rev.document_sha256 + "\n";
  }
  for (const auto& s : r.stages) {
    text += "stage " + s.stage + " " + std::to_string(s.version) + " " + s.document_sha256 + "\n";
  }
  if (const SignoffRow* a = r.Approval()) {
    text += "approval " + std::to_string(a->revision) + " level " + std::to_string(a->level) + " " + a->user + "\n";
  }
  return Sha256Hex(text);
}

Result<Report> LatestReport(const RecordView& r) {
  ValidationOutcome o = ValidateReportJson(r.latest().document);
  if (!o.ok()) return Corruption("stored report " + r.latest().id + " no longer validates: " + o.Describe());
  return std::move(*o.report);
}

}  // namespace lifeline::record
