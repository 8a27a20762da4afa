// The record on paper (zh-TW): the printable record for the agency's files,
// with the three signature blocks filled as signed, and the evidence bundle's
// summary of what was done when against each deadline.
#include <map>

#include "daemon/record/record.h"

namespace lifeline::record {
namespace {

using nlohmann::json;

// At most `n` bytes of `s`, cut before a UTF-8 continuation byte.
std::string Clip(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "…";
}

// "2026-11-21 10:05 (+08:00)" in the report's offset, or the text as it is.
std::string Local(const std::string& t, int offset) {
  auto p = ParseRfc3339(t);
  return p.ok() ? FormatHuman(WithOffset(p->instant, offset)) : t;
}

std::string StateZh(const std::string& s) {
  static const std::map<std::string, std::string> kWords = {
      {"queued", "待送"},        {"accepted", "網站已受理"}, {"fallback", "已改以其他方式通知"},
      {"accepted_late", "備援後受理（補行通報）"}, {"closed", "已結案"}};
  auto it = kWords.find(s);
  return it == kWords.end() ? s : it->second;
}

std::string DeadlineStateZh(const std::string& s) {
  static const std::map<std::string, std::string> kWords = {
      {"met", "如期完成"},   {"met_late", "逾期完成"}, {"open", "進行中"},   {"overdue", "已逾期"},
      {"not_needed", "無需辦理"}, {"by_reviewer", "由審核機關辦理"}, {"not_tracked", "本機未記錄"},
      {"internal", "本機升級點"}};
  auto it = kWords.find(s);
  return it == kWords.end() ? s : it->second;
}

std::string ChannelZh(const std::string& c) {
  static const std::map<std::string, std::string> kWords = {
      {"sms", "簡訊"}, {"fax", "傳真"}, {"email", "電子郵件"}, {"phone", "電話"}};
  auto it = kWords.find(c);
  return it == kWords.end() ? c : it->second;
}

print::Table RevisionTable(const RecordView& r, int offset) {
  print::Table t{{"版次", "等級", "收件時間", "狀態", "通報編號"}, {}, {1, 1, 3, 2.4, 3}};
  for (const auto& rev : r.revisions) {
    t.rows.push_back({std::to_string(rev.revision), std::to_string(rev.level) + " 級", Local(rev.received_at, offset),
                      StateZh(rev.state), rev.site_receipt.empty() ? "—" : rev.site_receipt});
  }
  return t;
}

print::Table DeadlineTable(const std::vector<DeadlineState>& deadlines, int offset) {
  print::Table t{{"期限", "應完成時間", "完成時間", "結果"}, {}, {4.6, 2.6, 2.6, 1.8}};
  for (const auto& d : deadlines) {
    t.rows.push_back({d.title, Local(d.at, offset), d.met_at.empty() ? "—" : Local(d.met_at, offset),
                      DeadlineStateZh(d.state)});
  }
  return t;
}

std::string StageText(const StoredStage& s, int offset) {
  const json& doc = s.document.is_object() ? s.document : json::object();
  std::string text = "第 " + std::to_string(s.version) + " 版（依通報單第 " + std::to_string(s.report_revision) +
                     " 版）　登錄時間：" + Local(s.received_at, offset) +
                     "　網站通報編號：" + (s.site_receipt.empty() ? "尚未受理" : s.site_receipt);
  if (s.stage == "damage-control") {
    const json c = doc.value("completion", json::object());
    text += "\n" + StageLabelZh(Stage::kDamageControl, "completion", c.value("status", "")) +
            "　完成損害控制或復原時間：" + Local(c.value("completed_at", ""), offset);
    text += "\n應變處置綜整說明：" + doc.value("summary", "");
  } else {
    const json c = doc.value("cause", json::object());
    text += "\n事件發生原因：" + StageLabelZh(Stage::kClosing, "causes", c.value("type", "")) +
            "　登錄結報時間：" + Local(doc.value("submitted_at", ""), offset);
    if (doc.contains("handling_summary")) text += "\n處理情形：" + doc.value("handling_summary", "");
  }
  return text;
}

print::Table HistoryTable(const RecordView& r, int offset) {
  std::map<int64_t, std::string> recipient_of;
  for (const auto& n : r.notifications) recipient_of[n.id] = n.recipient + "（第 " + std::to_string(n.revision) + " 版）";
  print::Table t{{"開始", "結束", "對象", "方式／號碼", "結果"}, {}, {2.2, 2.2, 2.2, 2.6, 3.8}};
  for (const auto& a : r.attempts) {
    const std::string summary = a.evidence.is_object() ? a.evidence.value("summary", "") : "";
    t.rows.push_back({Local(a.started_at, offset), a.ended_at.empty() ? "進行中" : Local(a.ended_at, offset),
                      recipient_of[a.notification_id], ChannelZh(a.channel) + " " + a.address,
                      a.outcome + (summary.empty() ? "" : "：" + summary)});
  }
  return t;
}

std::string SignedText(const SignoffRow* s, int offset) {
  if (!s) return "";
  return "簽章：" + s->user + "（帳號角色 " + s->role + "）\n日期：" + Local(s->at, offset) + "\n紀錄摘要 " +
         s->record_sha256.substr(0, 16) + "…";
}

void AddHead(print::Document& d, const RecordView& r, int offset) {
  const json& doc = r.latest().document;
  const std::string agency = doc.is_object() ? doc.value("agency", json::object()).value("name", "") : "";
  d.subtitle = agency;
  d.Paragraph("通報單識別碼：" + r.latest().id + "\n事件分類：" + LabelZh("categories", doc.value("category", "")) +
              "　事件影響等級：" + std::to_string(r.latest().level) + " 級　知悉時間：" +
              Local(r.latest().aware_at, offset) + "\n目前階段：" + StateZh(r.latest().state));
}

// The PDF's CreationDate: whole seconds in the record's own offset.
std::string CreatedAt(WallTime now, int offset) {
  return FormatRfc3339(WithOffset(WallTime(std::chrono::floor<std::chrono::seconds>(now)), offset));
}

// A document of this record: made at `now` in the record's offset, its
// title, `label` and the report's id in the running header, the record's
// digest in the footer, and the report's head.
print::Document OfRecord(const RecordView& r, WallTime now, const std::string& title, const std::string& label) {
  const int offset = r.OffsetMinutes();
  print::Document d;
  d.created = CreatedAt(now, offset);
  d.title = title;
  d.header = label + "　" + r.latest().id;
  d.footer = "紀錄摘要 SHA-256 " + RecordDigest(r);
  AddHead(d, r, offset);
  return d;
}

}  // namespace

print::Document RecordDocument(const RecordView& r, const RuleSet& rules, WallTime now) {
  const int offset = r.OffsetMinutes();
  print::Document d = OfRecord(r, now, "資通安全事件通報及應變紀錄", "資通安全事件通報及應變紀錄");
  d.Heading("一、通報單（壹、事件通報）");
  d.AddTable(RevisionTable(r, offset));
  d.Heading("二、期限（規則 " + rules.id + "）");
  auto deadlines = Deadlines(r, rules, now);
  if (deadlines.ok()) d.AddTable(DeadlineTable(*deadlines, offset));
  else d.Paragraph("期限無法計算：" + deadlines.status().message());
  d.Heading("三、損害控制或復原（貳）");
  const StoredStage* dc = r.LatestStage("damage-control");
  d.Paragraph(dc ? StageText(*dc, offset) : "尚未登錄");
  d.Heading("四、調查、處理及改善報告（參、結案）");
  const StoredStage* closing = r.LatestStage("closing");
  d.Paragraph(closing ? StageText(*closing, offset) : "尚未登錄");
  d.Heading("五、事件等級核定（陸.四）");
  const SignoffRow* a = r.Approval();
  d.Paragraph(a ? "資通安全長 " + a->user + " 於 " + Local(a->at, offset) + " 核定第 " + std::to_string(a->revision) +
                      " 版之事件影響等級為 " + std::to_string(a->level) + " 級" + (a->note.empty() ? "" : "。說明：" + a->note)
                : "尚未核定");
  d.Heading("六、通知紀錄（替代通報）");
  if (r.attempts.empty()) d.Paragraph("無：通報應變網站如期受理，未使用其他通知方式");
  else d.AddTable(HistoryTable(r, offset));
  d.Heading("七、簽核（玖.一）");
  std::vector<std::string> roles, filled;
  for (SignAs as : {SignAs::kReporter, SignAs::kSupervisor, SignAs::kCiso}) {
    roles.emplace_back(SignAsZh(as));
    filled.push_back(SignedText(r.Signature(SignAsName(as)), offset));
  }
  d.Signatures(roles, filled);
  return d;
}

print::Document SummaryDocument(const RecordView& r, const RuleSet& rules, WallTime now) {
  const int offset = r.OffsetMinutes();
  print::Document d = OfRecord(r, now, "證據包摘要：處理經過與期限", "證據包摘要");
  d.Heading("一、各期限之完成情形");
  auto deadlines = Deadlines(r, rules, now);
  if (deadlines.ok()) d.AddTable(DeadlineTable(*deadlines, offset));
  else d.Paragraph("期限無法計算：" + deadlines.status().message());
  d.Heading("二、經過（日誌，依時間）");
  print::Table t{{"#", "時間", "事件", "內容"}, {}, {0.8, 2.4, 2.6, 6.2}};
  for (const auto& e : r.journal) {
    t.rows.push_back({std::to_string(e.seq), Local(e.wall_time, offset), e.type, Clip(e.payload, 300)});
  }
  d.AddTable(std::move(t));
  d.Heading("三、通知紀錄");
  if (r.attempts.empty()) d.Paragraph("無");
  else d.AddTable(HistoryTable(r, offset));
  return d;
}

}  // namespace lifeline::record
