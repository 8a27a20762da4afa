// Each channel's own evidence: the fax pages as sent with their T.30
// results, the SMS ledger's PDUs and status reports, the e-mail server's
// replies, the phone tasks with who answered.
#include <cmath>
#include <fstream>
#include <sstream>

#include "daemon/channels/fax/fax_image.h"
#include "daemon/export/parts.h"

namespace lifeline::evidence_export {
namespace {

using nlohmann::json;

Result<std::string> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The fax pages as a PDF, at the resolution each page was sent in (fine or
// standard, told apart by the page's height: an A4 page is 297 mm long).
Result<std::string> PagesPdf(const std::string& tiff_path) {
  auto pages = fax::ReadTiffPages(tiff_path);
  if (!pages.ok()) return pages.status();
  std::vector<print::Bitmap> bitmaps;
  for (auto& p : *pages) {
    const double dpi = p.height / (297.0 / 25.4);
    bitmaps.push_back({p.width, p.height, 204, std::abs(dpi - 196) < std::abs(dpi - 98) ? 196.0 : 98.0,
                       std::move(p.pixels)});
  }
  return print::RenderBitmapsPdf(bitmaps);
}

Status AddFax(const AttemptRow& a, Collector& out) {
  const std::string base = "fax/attempt-" + std::to_string(a.id);
  LIFELINE_RETURN_IF_ERROR(out.Add(base + ".t30.json", JsonFile(a.evidence),
                                   "fax attempt " + std::to_string(a.id) + ": T.30 result, pages MCF, remote CSI"));
  const json inner = a.evidence.is_object() ? a.evidence.value("evidence", json::object()) : json::object();
  const std::string tiff = inner.is_object() ? inner.value("tiff", "") : "";
  if (tiff.empty()) return Status::Ok();
  auto bytes = ReadBytes(tiff);
  if (!bytes.ok()) {
    out.missing.push_back(base + ".tif: " + bytes.status().message());
    return Status::Ok();
  }
  LIFELINE_RETURN_IF_ERROR(out.Add(base + ".tif", std::move(*bytes), "the pages as sent (TIFF-F)"));
  auto pdf = PagesPdf(tiff);
  if (!pdf.ok()) {
    out.missing.push_back(base + ".pdf: " + pdf.status().message());
    return Status::Ok();
  }
  return out.Add(base + ".pdf", std::move(*pdf), "the same pages as a PDF");
}

json SmsToJson(const SmsMessageRow& m) {
  json parts = json::array();
  for (const SmsPartRow& p : m.parts) {
    json j = {{"part", p.index}, {"state", p.state}, {"pdu", p.pdu_hex}, {"tpdu_length", p.tpdu_length},
              {"attempts", p.attempts}, {"delivery", p.delivery}, {"discharge_time", p.discharge_time}};
    if (p.message_ref) j["message_ref"] = *p.message_ref;
    if (p.report_status) j["tp_st"] = *p.report_status;
    if (p.error_code) j["error_code"] = *p.error_code;
    if (!p.error_detail.empty()) j["error"] = p.error_detail;
    parts.push_back(std::move(j));
  }
  return {{"message_id", m.id}, {"recipient", m.recipient}, {"text", m.text}, {"concat_ref", m.concat_ref},
          {"parts", parts}};
}

Status AddSms(Store& store, const record::RecordView& r, const AttemptRow& a, Collector& out) {
  const std::string id = "attempt-" + std::to_string(a.id);
  auto m = store.SmsLoad(id);
  if (!m.ok()) {
    out.missing.push_back("sms/" + id + ".json: " + m.status().message());
    return Status::Ok();
  }
  json reports = json::array();  // the status reports as received, with their PDUs
  for (const auto& e : r.journal) {
    if (e.type != "sms.report") continue;
    json p = json::parse(e.payload, nullptr, false);
    if (p.is_object() && p.value("message_id", "") == id) reports.push_back({{"journal_seq", e.seq}, {"report", p}});
  }
  json j = SmsToJson(*m);
  j["status_reports"] = reports;
  j["attempt"] = {{"outcome", a.outcome}, {"evidence", a.evidence}};
  return out.Add("sms/" + id + ".json", JsonFile(j), "SMS attempt " + std::to_string(a.id) +
                                                         ": every part's PDU, network reference and status report");
}

Status AddPhoneTasks(Store& store, const record::RecordView& r, Collector& out) {
  auto tasks = store.PhoneTasks(false);
  if (!tasks.ok()) return tasks.status();
  json list = json::array();
  for (const PhoneTask& t : *tasks) {
    if (t.report_id != r.latest().id) continue;
    list.push_back({{"task", t.id}, {"attempt", t.attempt_id}, {"revision", t.revision}, {"recipient", t.recipient},
                    {"recipient_name", t.recipient_name}, {"number", t.number}, {"hours", t.hours},
                    {"script", t.script}, {"reason", t.reason}, {"due_at", t.due_at}, {"created_at", t.created_at},
                    {"state", t.state}, {"answered_by", t.answered_by}, {"answered_at", t.answered_at},
                    {"note", t.note}, {"confirmed_at", t.confirmed_at}, {"reminders", t.reminders}});
  }
  if (list.empty()) return Status::Ok();
  return out.Add("phone/tasks.json", JsonFile(list), "phone tasks: the call card and who answered, when");
}

}  // namespace

Status AddChannelEvidence(Store& store, const record::RecordView& r, Collector& out) {
  for (const AttemptRow& a : r.attempts) {
    if (a.channel == "fax" && !a.ended_at.empty()) LIFELINE_RETURN_IF_ERROR(AddFax(a, out));
    if (a.channel == "sms") LIFELINE_RETURN_IF_ERROR(AddSms(store, r, a, out));
    if (a.channel == "email" && !a.ended_at.empty()) {
      LIFELINE_RETURN_IF_ERROR(out.Add("email/attempt-" + std::to_string(a.id) + ".json", JsonFile(a.evidence),
                                       "e-mail attempt " + std::to_string(a.id) + ": the server's replies"));
    }
  }
  return AddPhoneTasks(store, r, out);
}

}  // namespace lifeline::evidence_export
