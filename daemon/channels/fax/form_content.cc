// The form's wording follows seeds/001 (【壹、事件通報】STEP1-STEP4) so that a
// clerk at the receiving end sees the paper form they know, every option
// printed, the chosen ones checked.
#include "daemon/channels/fax/form_content.h"

#include "daemon/channels/fax/line_break.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace lifeline::fax {
namespace {

std::string Utf8(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    s.push_back(static_cast<char>(0xC0 | (c >> 6)));
    s.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    s.push_back(static_cast<char>(0xE0 | (c >> 12)));
    s.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
  return s;
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string Blank(const std::optional<std::string>& v) { return v && !v->empty() ? *v : "＿＿＿＿"; }
std::string Blank(const std::string& v) { return v.empty() ? "＿＿＿＿" : v; }

// Option texts of STEP3, levels 4..1 then none, as printed on the form.
struct ImpactText {
  const char* group;
  const char* title;
  const char* options[4];  // level 4, 3, 2, 1
};

constexpr ImpactText kImpacts[3] = {
    {"confidentiality", "－機密性衝擊：(單選)",
     {"一般公務機密、敏感資訊或涉及關鍵基礎設施維運之核心業務資訊遭嚴重洩漏，或國家機密遭洩漏(4 級)",
      "未涉及關鍵基礎設施維運之核心業務資訊遭嚴重洩漏，或一般公務機密、敏感資訊或涉及關鍵基礎設施維運之核心業務資訊遭輕微洩漏(3 級)",
      "非核心業務資訊遭嚴重洩漏，或未涉及關鍵基礎設施維運之核心業務資訊遭輕微洩漏(2 級)",
      "非核心業務資訊遭輕微洩漏(1 級)"}},
    {"integrity", "－完整性衝擊：(單選)",
     {"一般公務機密、敏感資訊、涉及關鍵基礎設施維運之核心業務資訊或核心資通系統遭嚴重竄改，或國家機密遭竄改(4 級)",
      "未涉及關鍵基礎設施維運之核心業務資訊或核心資通系統遭嚴重竄改，或一般公務機密、敏感資訊、涉及關鍵基礎設施維運之核心業務資訊或核心資通系統遭輕微竄改(3 級)",
      "非核心業務資訊或非核心資通系統遭嚴重竄改，或未涉及關鍵基礎設施維運之核心業務資訊或核心資通系統遭輕微竄改(2 級)",
      "非核心業務資訊或非核心資通系統遭輕微竄改(1 級)"}},
    {"availability", "－可用性衝擊：(單選)",
     {"涉及關鍵基礎設施維運之核心業務或核心資通系統之運作受影響或停頓，無法於可容忍中斷時間內回復正常運作(4 級)",
      "未涉及關鍵基礎設施維運之核心業務或核心資通系統之運作受影響或停頓，無法於可容忍中斷時間內回復正常運作，或涉及關鍵基礎設施維運之核心業務或核心資通系統之運作受影響或停頓，於可容忍中斷時間內回復正常運作(3 級)",
      "非核心業務之運作受影響或停頓，無法於可容忍中斷時間內回復正常運作，或未涉及關鍵基礎設施維運之核心業務或核心資通系統之運作受影響或停頓，於可容忍中斷時間內回復正常運作(2 級)",
      "非核心業務之運作受影響或停頓，於可容忍中斷時間內回復正常運作，造成機關日常作業影響(1 級)"}},
};

// The schema's labels, in the schema's (= the form's) order.
const nlohmann::ordered_json& Labels() {
  static const nlohmann::ordered_json labels = [] {
    auto schema = nlohmann::ordered_json::parse(ReportSchemaText(), nullptr, false);
    if (schema.is_discarded() || !schema.contains("$defs")) return nlohmann::ordered_json::object();
    return schema["$defs"].value("labels", nlohmann::ordered_json::object());
  }();
  return labels;
}

std::vector<std::pair<std::string, std::string>> AnomaliesOf(std::string_view category) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto anomalies = Labels().value("anomalies", nlohmann::ordered_json::object());
  for (const auto& [key, v] : anomalies.items()) {
    if (v.value("category", "") == category) out.emplace_back(key, v.value("zh", key));
  }
  return out;
}

std::string LabelNone(std::string_view group) {
  const auto impact = Labels().value("impact", nlohmann::ordered_json::object());
  const auto g = impact.value(std::string(group), nlohmann::ordered_json::object());
  return g.value("none", "無(無需通報)");
}

constexpr const char* kCategories[] = {"web_attack", "intrusion", "dos", "equipment", "other"};
constexpr const char* kSectors[] = {"water", "energy", "communications", "transportation",
                                    "banking_finance", "emergency_medical", "government",
                                    "science_parks"};

class Builder {
 public:
  void Add(TextStyle s, std::string text, int indent = 0, bool boxed = false) {
    out_.paragraphs.push_back({s, std::move(text), indent, boxed, 0});
  }
  // A checkbox option whose long text wraps under the text, not under the box.
  void Option(std::string text, int indent) {
    out_.paragraphs.push_back({TextStyle::kBody, std::move(text), indent, false, 1});
  }
  void Body(std::string text, int indent = 0) { Add(TextStyle::kBody, std::move(text), indent); }
  FormContent Take() { return std::move(out_); }
  FormContent& out() { return out_; }

 private:
  FormContent out_;
};

void AddNotice(Builder& b, const Report& r, const FaxNotice& n) {
  b.Add(TextStyle::kHeading, "【替代通報說明】");
  std::string due = n.rule_label;
  if (n.deadline) due += (due.empty() ? "" : "（") + FormTime(*n.deadline) + " 前" + (due.empty() ? "" : "）");
  std::string text = "本機關於 " + FormTime(r.aware_at) + " 知悉本資安事件，依規定應" +
                     (due.empty() ? std::string("於時限內") : "於" + due) +
                     "至國家資通安全通報應變網站通報；因指定通報方式無法使用，爰於同一時限內以傳真（其他適當方式）通報本單內容，並於原因消除後至通報應變網站補行通報。";
  if (!n.recipient.empty()) text = "致：" + n.recipient + "\n" + text;
  text += "\n指定通報方式無法使用之原因：" + Blank(n.reason);
  text += "\n通報單編號：" + r.id + "（第 " + std::to_string(r.revision) + " 版）　資安事件影響等級：" +
          std::to_string(r.Level()) + " 級";
  const std::string agency = n.sender_agency.empty() ? r.agency_name : n.sender_agency;
  std::string contact = n.sender_contact;
  if (contact.empty()) {
    contact = r.reporter_name + "　電話 " + r.reporter_phone +
              (r.reporter_fax ? "　傳真 " + *r.reporter_fax : "") + "　電子郵件 " + r.reporter_email;
  }
  text += "\n發送機關：" + agency + "　聯絡人：" + contact;
  b.Add(TextStyle::kBody, text, 0, true);
}

void AddStep1(Builder& b, const Report& r) {
  b.Add(TextStyle::kHeading, "STEP1. 請填寫事件相關基本資料");
  b.Body("一、發生資通安全事件之機關(機構)聯絡資料：");
  b.Body("◎ 機關(機構)名稱：" + r.agency_name + "　◎審核機關名稱：" + r.reviewing_agency, 1);
  b.Body("◎ 通報人：" + r.reporter_name + "　◎電話：" + r.reporter_phone + "　傳真：" +
             Blank(r.reporter_fax), 1);
  b.Body("◎ 電子郵件信箱：" + r.reporter_email, 1);
  const bool behalf = r.on_behalf_of.has_value();
  b.Body("◎ 是否代其他機關(構)通報：" + Box(behalf) + "是，該單位名稱：" +
             (behalf ? *r.on_behalf_of : std::string("＿＿＿＿")) + "　" + Box(!behalf) + "否", 1);
  const bool out = r.soc_type == "outsourced";
  b.Body("◎ 資安監控中心(SOC)：" + Box(r.soc_type == "none") + "無　" +
             Box(r.soc_type == "self_built") + "機關自行建置　" + Box(out) +
             "委外建置，該廠商名稱：" + (out ? Blank(r.soc_vendor) : std::string("＿＿＿＿")), 1);
  b.Body("◎ 資安維護廠商：" + Blank(r.maintenance_vendor), 1);
}

void AddCategories(Builder& b, const Report& r) {
  b.Body("◎ 事件分類與異常狀況：(事件分類為單選項；異常狀況為複選項)", 1);
  for (const char* cat : kCategories) {
    const bool chosen = r.category == cat;
    std::string line = Radio(chosen) + LabelZh("categories", cat);
    if (std::string(cat) == "other") {
      line += "：" + (chosen ? Blank(r.other_description) : std::string("＿＿＿＿"));
    }
    b.Body(line, 2);
    std::string boxes;
    for (const auto& [key, label] : AnomaliesOf(cat)) {
      boxes += Box(chosen && Has(r.anomalies, key)) + label + "　";
    }
    if (!boxes.empty()) b.Body(boxes, 3);
  }
}

void AddStep2(Builder& b, const Report& r) {
  b.Add(TextStyle::kHeading, "STEP2. 請詳述事件發生過程");
  b.Body("二、事件發生過程：");
  b.Body("◎ 事件發現時間：" + FormTime(r.discovered_at), 1);
  AddCategories(b, r);
  b.Body("◎ 事件說明及影響範圍", 1);
  b.Add(TextStyle::kSmall, "【請說明事件發生經過，如機關如何發現此事件、處理情形等】", 2);
  b.Add(TextStyle::kBody, Blank(r.description), 2, true);
  b.Body("◎ 是否影響其他政府機關(構)或重要民生設施運作：" + Box(r.affects_others) + "是　" +
             Box(!r.affects_others) + "否", 1);
  b.Body("◎ 承上，影響機關(構)重要民生設施領域名稱：", 1);
  std::string sectors;
  for (const char* s : kSectors) sectors += Box(Has(r.sectors, s)) + LabelZh("sectors", s) + "　";
  b.Body(sectors, 2);
  const bool alert = r.source_type == "alert", intel = r.source_type == "external_intel";
  b.Body("◎ 此事件通報來源：" + Box(r.source_type == "self_discovered") + "自行發現　" +
             Box(alert) + "警訊通知，發布編號：" +
             (alert ? Blank(r.source_alert_id) : std::string("＿＿＿＿")) + "　" + Box(intel) +
             "其他外部情資：" + (intel ? Blank(r.source_detail) : std::string("＿＿＿＿")), 1);
}

void AddStep3(Builder& b, const Report& r) {
  b.Add(TextStyle::kHeading, "STEP3. 評估事件影響等級");
  b.Body("三、事件影響等級");
  b.Body("◎ 請分別評估資安事件造成之機密性、完整性以及可用性衝擊：", 1);
  b.Add(TextStyle::kSmall, "*資安事件影響等級為機密性、完整性及可用性衝擊最嚴重者(數字最大者)", 1);
  const ImpactLevel levels[3] = {r.confidentiality, r.integrity, r.availability};
  for (int i = 0; i < 3; ++i) {
    b.Body(kImpacts[i].title, 1);
    for (int k = 0; k < 4; ++k) {
      b.Option(Box(levels[i] == 4 - k) + kImpacts[i].options[k], 2);
    }
    b.Body(Box(!levels[i].has_value()) + LabelNone(kImpacts[i].group), 2);
  }
  b.Add(TextStyle::kSubtitle, "◎ 資安事件影響等級：" + std::to_string(r.Level()) + " 級", 1);
}

void AddStep4(Builder& b, const Report& r) {
  b.Add(TextStyle::kHeading, "STEP4. 評估事件影響等級");
  b.Body("四、期望支援項目：");
  b.Body("◎ 是否需要支援：" + Box(r.support_requested) + "是（請續填期望支援內容）" +
             Box(!r.support_requested) + "否（免填期望支援內容）", 1);
  b.Body("期望支援內容：（請勿超過 200 字）", 1);
  b.Add(TextStyle::kBody, r.support_requested ? Blank(r.support_content) : "（免填）", 2, true);
}

}  // namespace

std::string Box(bool checked) { return Utf8(checked ? kBoxChecked : kBoxUnchecked); }
std::string Radio(bool on) { return Utf8(on ? kRadioOn : kRadioOff); }

std::string FormTime(const OffsetTime& t) {
  using namespace std::chrono;
  const auto local = t.instant + minutes(t.offset_minutes);
  const auto day = floor<days>(local);
  const year_month_day ymd(day);
  const hh_mm_ss hms(duration_cast<minutes>(local - day));
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%d年%02u月%02u日%02ld時%02ld分", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()));
  return buf;
}

FormContent BuildStage1Form(const Report& r, const FaxNotice& n) {
  Builder b;
  b.out().running_header = "資通安全事件通報單（替代通報）　通報單編號 " + r.id;
  if (r.drill) b.Add(TextStyle::kSubtitle, "【演練】本通報為演練，非真實事件");
  b.Add(TextStyle::kSubtitle, r.agency_name);
  b.Add(TextStyle::kTitle, "資通安全事件通報單");
  AddNotice(b, r, n);
  b.Add(TextStyle::kSubtitle, "【壹、事件通報】(通報階段)");
  b.Body("◎填報時間：" + FormTime(r.filed_at));
  AddStep1(b, r);
  AddStep2(b, r);
  AddStep3(b, r);
  AddStep4(b, r);
  return b.Take();
}

}  // namespace lifeline::fax
