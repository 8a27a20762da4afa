// Stages 2 and 3 of the paper form (seed 001 附件3 【貳、損害控制或復原】 STEP5 and
// 【參、調查、處理及改善報告】 STEP6), laid out from their schemas: every box of
// the report's category's pages in the form's order, the chosen ones checked,
// with what was written beside them. The labels and the order are the
// schema's (proto/*.schema.json), so the paper says what the data says.
#include <nlohmann/json.hpp>

#include <map>
#include <vector>

#include "daemon/channels/fax/form_content.h"

namespace lifeline::fax {
namespace {

using nlohmann::ordered_json;

const ordered_json& SchemaOf(Stage stage) {
  static const ordered_json dc = ordered_json::parse(DamageControlSchemaText(), nullptr, false);
  static const ordered_json closing = ordered_json::parse(ClosingSchemaText(), nullptr, false);
  return stage == Stage::kDamageControl ? dc : closing;
}

const ordered_json& Labels(Stage stage) {
  static const ordered_json empty = ordered_json::object();
  const ordered_json& s = SchemaOf(stage);
  if (!s.is_object() || !s.contains("$defs") || !s["$defs"].contains("labels")) return empty;
  return s["$defs"]["labels"];
}

const ordered_json& Group(Stage stage, const char* group, const std::string& category = "") {
  static const ordered_json empty = ordered_json::object();
  const ordered_json& l = Labels(stage);
  if (!l.contains(group)) return empty;
  const ordered_json& g = l[group];
  if (category.empty()) return g;
  return g.contains(category) && g[category].is_object() ? g[category] : empty;
}

// The form's pages for a category (seed 001 附件3).
std::string Pages(Stage stage, const std::string& category) {
  static const std::map<std::string, std::pair<const char*, const char*>> kPages = {
      {"web_attack", {"P20-P21", "P22-P23"}}, {"intrusion", {"P24-P25", "P26-P27"}}, {"dos", {"P28", "P29"}},
      {"equipment", {"P30", "P31"}},          {"other", {"P32-P33", "P34-P35"}}};
  auto it = kPages.find(category);
  if (it == kPages.end()) return "";
  return stage == Stage::kDamageControl ? it->second.first : it->second.second;
}

// A value's option label from any of the stage's flat label groups.
std::string OptionZh(Stage stage, const std::string& value) {
  for (const char* g : {"retention", "packet_capture", "equipment_impact", "lost_data_kinds", "search_engines",
                        "completion", "os_families", "security_mechanisms", "causes"}) {
    const ordered_json& group = Group(stage, g);
    if (group.contains(value) && group[value].is_object()) return group[value].value("zh", value);
  }
  return value;
}

// What was written beside a box: options by their labels, counts, texts.
std::string Written(Stage stage, const ordered_json& v, const ordered_json& label) {
  if (v.is_boolean() || v.is_null()) return "";
  if (v.is_string()) return OptionZh(stage, v.get<std::string>());
  if (v.is_number()) return v.dump();
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : "；") + s; };
  if (v.is_array()) {
    for (const auto& x : v) add(Written(stage, x, label));
    return out;
  }
  for (const auto& [key, x] : v.items()) {
    if (key == "none" && x == true) add(label.value("none_zh", "無"));
    else if (key == "count") add("共 " + x.dump() + " 個");
    else if (key.find("percent") != std::string::npos) add(x.dump() + "%");
    else if (key == "completed_on") add("完成日期 " + Written(stage, x, label));
    else add(Written(stage, x, label));
  }
  return out;
}

void Boxes(FormContent& f, Stage stage, const char* title, const char* group, const std::string& category,
           const ordered_json& section) {
  f.paragraphs.push_back({TextStyle::kBody, title, 1, false, 0});
  for (const auto& [key, label] : Group(stage, group, category).items()) {
    const bool on = section.is_object() && section.contains(key);
    std::string line = Box(on) + label.value("zh", key);
    if (label.value("required", false)) line += "（必填）";
    const std::string written = on ? Written(stage, section[key], label) : "";
    if (!written.empty()) line += "：" + written;
    else if (!on && label.contains("hint")) line += "（" + label.value("hint", "") + "）";
    f.paragraphs.push_back({TextStyle::kBody, line, 2, false, 1});
  }
}

void Head(FormContent& f, Stage stage, const Report& r, const FaxNotice& n, const std::string& category) {
  const bool dc = stage == Stage::kDamageControl;
  f.running_header = std::string("資通安全事件通報單（") + (dc ? "損害控制或復原" : "結案") + "）　通報單編號 " + r.id;
  if (r.drill) f.paragraphs.push_back({TextStyle::kSubtitle, "【演練】本通報為演練，非真實事件", 0, false, 0});
  f.paragraphs.push_back({TextStyle::kSubtitle, r.agency_name, 0, false, 0});
  f.paragraphs.push_back({TextStyle::kTitle, "資通安全事件通報單", 0, false, 0});
  std::string notice = "通報單編號：" + r.id + "（第 " + std::to_string(r.revision) + " 版）　事件分類：" +
                       StageLabelZh(stage, "categories", category) + "　表單第 " + Pages(stage, category) + " 頁";
  if (!n.reason.empty()) {
    notice = (n.recipient.empty() ? "" : "致：" + n.recipient + "\n") + "本階段內容因通報應變網站無法使用改以傳真或郵寄送達，" +
             "並於網站恢復後補登。\n指定通報方式無法使用之原因：" + n.reason + "\n" + notice;
  }
  f.paragraphs.push_back({TextStyle::kBody, notice, 0, true, 0});
  f.paragraphs.push_back({TextStyle::kSubtitle,
                          dc ? "【貳、損害控制或復原】(損害控制或復原階段)" : "【參、調查、處理及改善報告】(結案階段)", 0,
                          false, 0});
}

void DamageControl(FormContent& f, const ordered_json& d, const std::string& category) {
  const Stage s = Stage::kDamageControl;
  f.paragraphs.push_back({TextStyle::kHeading, "STEP5. 損害控制或復原", 0, false, 0});
  Boxes(f, s, "一、保留被入侵或破壞相關資料：（複選）", "records", category, d.value("records", ordered_json()));
  Boxes(f, s, "二、事件分析與影響評估：（複選）", "analysis", category, d.value("analysis", ordered_json()));
  Boxes(f, s, "三、應變措施（損害控制、根除及復原）：（複選）", "containment", category,
        d.value("containment", ordered_json()));
  f.paragraphs.push_back({TextStyle::kBody, "四、應變處置綜整說明：", 1, false, 0});
  f.paragraphs.push_back({TextStyle::kBody, d.value("summary", "＿＿＿＿"), 2, true, 0});
  const ordered_json c = d.value("completion", ordered_json::object());
  for (const auto& [key, label] : Group(s, "completion").items()) {
    f.paragraphs.push_back({TextStyle::kBody, Radio(c.value("status", "") == key) + label.value("zh", key), 2, false, 1});
  }
  auto at = ParseRfc3339(c.value("completed_at", ""));
  f.paragraphs.push_back({TextStyle::kBody, "◎ 完成損害控制或復原時間：" + (at.ok() ? FormTime(*at) : "＿＿＿＿"), 1,
                          false, 0});
}


// The category's causes, from the schema's rule for it (DoS has none).
std::vector<std::string> CausesOf(const std::string& category) {
  std::vector<std::string> out;
  const ordered_json& schema = SchemaOf(Stage::kClosing);
  for (const auto& rule : schema.value("allOf", ordered_json::array())) {
    const ordered_json when = rule.value("if", ordered_json::object()).value("properties", ordered_json::object());
    if (when.value("category", ordered_json::object()).value("const", "") != category) continue;
    const ordered_json cause = rule.value("then", ordered_json::object()).value("properties", ordered_json::object())
                                   .value("cause", ordered_json::object());
    for (const auto& v : cause.value("properties", ordered_json::object()).value("type", ordered_json::object())
                             .value("enum", ordered_json::array())) {
      out.push_back(v.get<std::string>());
    }
  }
  return out;
}

std::string Options(const ordered_json& labels, const ordered_json& chosen) {
  std::string out;
  for (const auto& [key, label] : labels.items()) {
    bool on = false;
    for (const auto& c : chosen) on = on || c == key;
    out += Box(on) + label.value("zh", key) + "　";
  }
  return out;
}

std::string List(const ordered_json& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : "、") + (i.is_string() ? i.get<std::string>() : i.dump());
  return out.empty() ? "無" : out;
}

void Devices(FormContent& f, const ordered_json& d) {
  const Stage s = Stage::kClosing;
  const ordered_json dev = d.value("affected_devices", ordered_json::object());
  f.paragraphs.push_back({TextStyle::kBody, "◎ 受害資訊設備數量：電腦總計 " + dev.value("computers", ordered_json(0)).dump() +
                                                "臺，伺服器總計 " + dev.value("servers", ordered_json(0)).dump() + "臺", 1, false, 0});
  const ordered_json ip = d.value("ip_addresses", ordered_json::object());
  f.paragraphs.push_back({TextStyle::kBody, "◎ IP 位址：外部 " + List(ip.value("external", ordered_json::array())) +
                                                "；內部 " + List(ip.value("internal", ordered_json::array())), 1, false, 1});
  f.paragraphs.push_back({TextStyle::kBody, "◎ 網際網路位址(Web-URL)：" + List(d.value("web_urls", ordered_json::array())), 1,
                          false, 1});
  const ordered_json os = d.value("operating_systems", ordered_json::object());
  f.paragraphs.push_back({TextStyle::kBody, "◎ 作業系統名稱、版本：" + Options(Group(s, "os_families"),
                                                                          os.value("families", ordered_json::array())) +
                                                "版本：" + os.value("version", "＿＿＿＿"), 1, false, 1});
  const ordered_json sec = d.value("security_mechanisms", ordered_json::object());
  std::string mech = Options(Group(s, "security_mechanisms"), sec.value("installed", ordered_json::array()));
  if (sec.contains("other")) mech += "其他：" + sec.value("other", "");
  f.paragraphs.push_back({TextStyle::kBody, "◎ 已裝置之安全機制：（複選）" + mech, 1, false, 1});
  const bool isms = d.value("isms_certified", false);
  f.paragraphs.push_back({TextStyle::kBody, "◎ 受害系統是否通過資安管理認證(ISMS)：" + Box(isms) + "是　" + Box(!isms) + "否",
                          1, false, 0});
}

void Cause(FormContent& f, const ordered_json& d, const std::string& category) {
  const std::vector<std::string> causes = CausesOf(category);
  if (causes.empty()) return;
  const ordered_json cause = d.value("cause", ordered_json::object());
  f.paragraphs.push_back({TextStyle::kBody, "◎ 事件發生原因：（單選）", 1, false, 0});
  for (const auto& c : causes) {
    const bool on = cause.value("type", "") == c;
    std::string line = Radio(on) + OptionZh(Stage::kClosing, c);
    std::string extra = on ? Written(Stage::kClosing, cause.contains("other") ? cause["other"] : ordered_json(), {}) : "";
    if (!extra.empty()) line += "：" + extra;
    f.paragraphs.push_back({TextStyle::kBody, line, 2, false, 1});
  }
}

void Closing(FormContent& f, const ordered_json& d, const std::string& category) {
  const Stage s = Stage::kClosing;
  f.paragraphs.push_back({TextStyle::kHeading, "STEP6. 調查、處理及改善報告", 0, false, 0});
  Devices(f, d);
  Cause(f, d, category);
  for (const char* key : {"handling_summary", "investigation"}) {
    if (!d.contains(key)) continue;
    f.paragraphs.push_back({TextStyle::kBody, std::string("◎ ") + (std::string(key) == "investigation" ? "事件調查情況：" : "事件處理情況："),
                            1, false, 0});
    f.paragraphs.push_back({TextStyle::kBody, d.value(key, ""), 2, true, 0});
  }
  const ordered_json remedial = d.value("remedial", ordered_json::object());
  f.paragraphs.push_back({TextStyle::kBody, "◎ 補強措施：（複選）", 1, false, 0});
  Boxes(f, s, "I. 補強系統/程式安全設定", "remedial_system", category, remedial.value("system", ordered_json()));
  Boxes(f, s, "II. 資安管理與教育訓練", "remedial_management", category, remedial.value("management", ordered_json()));
  f.paragraphs.push_back({TextStyle::kBody, "◎ 其他相關安全處置：", 1, false, 0});
  const ordered_json measures = d.value("other_measures", ordered_json::array());
  if (measures.empty()) f.paragraphs.push_back({TextStyle::kBody, "無", 2, false, 0});
  for (const auto& m : measures) {
    f.paragraphs.push_back({TextStyle::kBody, "・" + m.value("measure", "") + "（預定完成 " + m.value("scheduled_by", "") +
                                                  "；後續追蹤：" + m.value("follow_up", "") + "）", 2, false, 1});
  }
  auto at = ParseRfc3339(d.value("submitted_at", ""));
  f.paragraphs.push_back({TextStyle::kBody, "◎ 登錄結報時間：" + (at.ok() ? FormTime(*at) : "＿＿＿＿"), 1, false, 0});
}

}  // namespace

FormContent BuildStageForm(Stage stage, const Report& report, const nlohmann::json& document, const FaxNotice& notice) {
  FormContent f;
  const ordered_json d = ordered_json::parse(document.dump(), nullptr, false);
  const std::string category = d.is_object() ? d.value("category", report.category) : report.category;
  Head(f, stage, report, notice, category);
  if (!d.is_object()) return f;
  if (stage == Stage::kDamageControl) DamageControl(f, d, category);
  else Closing(f, d, category);
  return f;
}

}  // namespace lifeline::fax
