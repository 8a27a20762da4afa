#include "daemon/drill/drill_documents.h"

#include "daemon/report/report.h"

namespace lifeline::drill {
namespace {

std::string CategoryZh(const std::string& c) { return LabelZh("categories", c); }

std::string ChannelZh(const std::string& c) {
  if (c == "site") return "通報應變網站";
  if (c == "sms") return "簡訊";
  if (c == "fax") return "傳真";
  if (c == "email") return "電子郵件";
  if (c == "phone") return "電話";
  return c;
}

std::string Who(const Step& s) {
  if (s.recipient.empty()) return ChannelZh(s.channel);
  return s.recipient + (s.channel.empty() ? "" : "／" + ChannelZh(s.channel));
}

std::string Detail(const Step& s) {
  if (s.outcome.empty()) return s.text;
  return s.text.empty() ? s.outcome : s.outcome + "：" + s.text;
}

std::string UnitTitle(size_t i, const UnitRecord& u) {
  return std::to_string(i + 1) + ". " + u.unit + "：" + u.scenario_name + "（第 " + std::to_string(u.level) + " 級，" +
         CategoryZh(u.category) + "）";
}

print::Table StepTable(const UnitRecord& u) {
  print::Table t{{"時間", "距知悉", "步驟", "對象／方式", "說明"}, {}, {2.6, 1.4, 2.1, 2.8, 4.1}};
  const auto origin = u.Origin();
  for (const auto& s : u.steps) {
    t.rows.push_back({LocalTime(s.at), origin ? Elapsed(*origin, s.at) : "", std::string(StepKindLabelZh(s.kind)),
                      Who(s), Detail(s)});
  }
  return t;
}

print::Table DeadlineTable(const UnitRecord& u) {
  print::Table t{{"期限", "應完成時間", "完成時間", "結果", "餘裕"}, {}, {3.6, 2.6, 2.6, 1.2, 2.4}};
  for (const auto& d : u.deadlines) {
    const auto res = Evaluate(d);
    t.rows.push_back({d.title, LocalTime(d.due), d.done ? LocalTime(*d.done) : "—", res.met ? "達成" : "未達成",
                      MarginZh(res)});
  }
  return t;
}

std::string Period(const DrillRecord& r) {
  return "演練期間：" + LocalTime(r.started_at) + " 至 " + LocalTime(r.ended_at) + "（UTC" +
         FormatRfc3339(r.started_at).substr(19) + "）";
}

}  // namespace

print::Document TimeRecordDocument(const DrillRecord& r) {
  print::Document d;
  d.title = "演練時間紀錄表";
  d.subtitle = r.name;
  d.header = r.organiser + "　" + r.name + "　演練時間紀錄表";
  d.footer = r.plan_commitment.empty() ? "lifeline" : "演練計畫封存值 SHA-256 " + r.plan_commitment.substr(0, 16) + "…";
  d.Paragraph(Period(r) + "\n辦理機關：" + r.organiser + "\n參演單位：" + std::to_string(r.units.size()) + " 個");
  for (size_t i = 0; i < r.units.size(); ++i) {
    const auto& u = r.units[i];
    d.Heading(UnitTitle(i, u));
    if (!u.report_id.empty()) d.Paragraph("通報單識別碼：" + u.report_id + "　情境代碼：" + u.scenario_id);
    d.AddTable(StepTable(u));
    if (!u.deadlines.empty()) d.AddTable(DeadlineTable(u));
  }
  d.Heading("登錄及核閱");
  d.Signatures({"登錄人員（督察組）", "通報人員", "資通安全長"});
  return d;
}

namespace {

// The hour of the rule: met through the site (notify_by) or, when the site could
// not be used, by other means (fallback_notify_by); "網站 達成（提前 …）".
std::string HourSummary(const UnitRecord& u) {
  const Deadline* site = nullptr;
  const Deadline* other = nullptr;
  for (const auto& d : u.deadlines) {
    if (d.key == "notify_by") site = &d;
    if (d.key == "fallback_notify_by") other = &d;
  }
  for (const auto& [d, how] : {std::pair{site, "網站"}, std::pair{other, "其他方式"}}) {
    if (d != nullptr && Evaluate(*d).met) return std::string(how) + " 達成（" + MarginZh(Evaluate(*d)) + "）";
  }
  const Deadline* shown = other != nullptr ? other : site;
  return shown == nullptr ? "—" : "未達成（" + MarginZh(Evaluate(*shown)) + "）";
}

std::string MetCount(const UnitRecord& u, bool* any_missed) {
  int met = 0;
  for (const auto& d : u.deadlines) met += Evaluate(d).met ? 1 : 0;
  if (met < static_cast<int>(u.deadlines.size())) *any_missed = true;
  return std::to_string(met) + " / " + std::to_string(u.deadlines.size());
}

}  // namespace

print::Document ResultsDocument(const DrillRecord& r, const OffsetTime& due, const std::string& due_rule) {
  print::Document d;
  d.title = "演練成果報告";
  d.subtitle = r.name;
  d.header = r.organiser + "　" + r.name + "　演練成果報告";
  d.footer = r.plan_commitment.empty() ? "lifeline" : "演練計畫封存值 SHA-256 " + r.plan_commitment.substr(0, 16) + "…";
  d.Heading("一、演練概要");
  d.Paragraph(Period(r) + "\n辦理機關：" + r.organiser + "\n參演單位：" + std::to_string(r.units.size()) +
              " 個（隨機無預警抽選，情境隨機分派並彌封）" +
              (r.plan_commitment.empty() ? "" : "\n演練計畫封存值（SHA-256）：" + r.plan_commitment));
  d.Heading("二、各單位演練結果");
  print::Table t{{"單位", "情境", "等級", "類別", "1 小時內通報", "期限達成"}, {}, {2.6, 3.0, 0.8, 1.5, 3.8, 1.2}};
  int missed_units = 0;
  for (const auto& u : r.units) {
    bool missed = false;
    const std::string notify = HourSummary(u);
    const std::string count = MetCount(u, &missed);
    missed_units += missed ? 1 : 0;
    t.rows.push_back({u.unit, u.scenario_name, std::to_string(u.level), CategoryZh(u.category), notify, count});
  }
  d.AddTable(t);
  d.Paragraph(std::to_string(r.units.size() - static_cast<size_t>(missed_units)) + " 個單位所有期限皆達成；" +
              std::to_string(missed_units) + " 個單位有未達成之期限（詳見演練時間紀錄表）。");
  d.Heading("三、成果報告提交期限");
  d.Paragraph("本成果報告併演練時間紀錄表，應於 " + LocalTime(due).substr(0, 10) + " 前主動送交備查（" + due_rule + "）。");
  d.Heading("四、核定");
  d.Signatures({"規劃組", "督察組", "資通安全長"});
  return d;
}

std::vector<std::vector<std::string>> TimeRecordRows(const DrillRecord& r) {
  std::vector<std::vector<std::string>> rows = {
      {"單位", "情境", "等級", "類型", "項目", "時間", "距知悉秒數", "對象", "方式", "結果", "餘裕秒數", "說明"}};
  for (const auto& u : r.units) {
    const auto origin = u.Origin();
    const std::string level = std::to_string(u.level);
    for (const auto& s : u.steps) {
      const std::string since =
          origin ? std::to_string(std::chrono::duration_cast<std::chrono::seconds>(s.at.instant - origin->instant).count())
                 : "";
      rows.push_back({u.unit, u.scenario_id, level, "步驟", std::string(StepKindLabelZh(s.kind)), FormatRfc3339(s.at),
                      since, s.recipient, s.channel, s.outcome, "", s.text});
    }
    for (const auto& d : u.deadlines) {
      const auto res = Evaluate(d);
      rows.push_back({u.unit, u.scenario_id, level, "期限", d.title, FormatRfc3339(d.due),
                      d.done ? FormatRfc3339(*d.done) : "", "", "", res.met ? "達成" : "未達成",
                      res.margin ? std::to_string(res.margin->count()) : "", MarginZh(res)});
    }
  }
  return rows;
}

}  // namespace lifeline::drill
