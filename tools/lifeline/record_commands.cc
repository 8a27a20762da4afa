// `lifeline report damage-control|close|approve|sign|print` and `lifeline
// evidence export`: the report's record through lifelined's socket. A
// sign-off names the account of the person signing, whose password comes
// from standard input (never argv, which every user of the box can read);
// lifelined checks it and the account's role.
#include <iostream>
#include <map>
#include <sstream>
#include <vector>

#include "daemon/core/time_format.h"
#include "daemon/print/print.h"
#include "tools/lifeline/commands.h"

namespace lifeline::cli {
namespace {

using nlohmann::json;

std::string Local(const std::string& t) {
  auto p = ParseRfc3339(t);
  return p.ok() ? FormatHuman(WithOffset(p->instant, 8 * 60)) : t;
}

int Posted(const Result<ApiResponse>& r, const std::string& what) {
  if (!r.ok()) return EnvError(r.status());
  if (r->status != 200 && r->status != 201) return PrintApiError(*r);
  std::cout << (r->status == 201 ? "STORED 已儲存: " : "ALREADY STORED 先前已儲存: ") << what << "\n"
            << RenderRecord(r->body.value("record", json::object()));
  return 0;
}

// "2,3,none" -> {"confidentiality":2,"integrity":3,"availability":"none"}.
Result<json> Impacts(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  for (std::string p; std::getline(ss, p, ',');) parts.push_back(p);
  if (parts.size() != 3) return InvalidArgument("--impact is C,I,A: three of 1-4 or none, e.g. 3,2,none");
  json out = json::object();
  const char* keys[] = {"confidentiality", "integrity", "availability"};
  for (int i = 0; i < 3; ++i) {
    if (parts[i] == "none") out[keys[i]] = "none";
    else if (parts[i].size() == 1 && parts[i][0] >= '1' && parts[i][0] <= '4') out[keys[i]] = parts[i][0] - '0';
    else return InvalidArgument("--impact: '" + parts[i] + "' is not 1-4 or none");
  }
  return out;
}

Result<std::string> Password(const std::string& user) {
  std::string p = ReadLineNoEcho(("password of " + user + " 密碼: ").c_str());
  if (p.empty()) return InvalidArgument("no password on standard input for " + user);
  return p;
}

std::string DeadlineLine(const json& d) {
  static const std::map<std::string, std::string> kWords = {
      {"met", "met 如期"},          {"met_late", "MET LATE 逾期完成"}, {"open", "open 進行中"},
      {"overdue", "OVERDUE 已逾期"}, {"not_needed", "not needed 無需"}, {"by_reviewer", "the reviewer's 審核機關"},
      {"not_tracked", "not tracked 未記錄"}, {"internal", "lifeline's escalation point"}};
  auto word = kWords.find(d.value("state", ""));
  std::string s = "  " + d.value("key", "") + "  by " + Local(d.value("at", "")) + "  " +
                  (word == kWords.end() ? d.value("state", "") : word->second);
  if (d.contains("met_at")) s += " at " + Local(d.value("met_at", ""));
  return s + "\n      " + d.value("title", "") + "\n";
}

}  // namespace

std::string RenderRecord(const json& r) {
  if (!r.is_object() || r.empty()) return "";
  std::string s = "Record 紀錄: phase " + r.value("phase", "") + ", state " + r.value("state", "") + "\n";
  s += "  record SHA-256 " + r.value("record_sha256", "") + "\n";
  s += "Deadlines met 期限達成 (rule set " + r.value("rules_id", "") + "):\n";
  for (const auto& d : r.value("deadlines", json::array())) s += DeadlineLine(d);
  s += "Stages 階段:\n";
  for (const auto& st : r.value("stages", json::array())) {
    s += "  " + st.value("stage", "") + " v" + std::to_string(st.value("version", 0)) + "  at " +
         Local(st.value("at", "")) + "  site receipt " + st.value("site_receipt", std::string("(not yet 尚未)")) + "\n";
  }
  const json a = r.value("approval", json::object());
  s += a.value("approved", false)
           ? "Approval 等級核定: level " + std::to_string(a.value("level", 0)) + " of revision " +
                 std::to_string(a.value("revision", 0)) + " by " + a.value("user", "") + " (" + a.value("role", "") +
                 ") at " + Local(a.value("at", "")) + "\n"
           : "Approval 等級核定: NOT YET 尚未 (level " + std::to_string(a.value("level", 0)) + ", revision " +
                 std::to_string(a.value("revision", 0)) + ")\n";
  s += "Signatures 簽核:\n";
  for (const auto& g : r.value("signatures", json::array())) {
    s += "  " + g.value("as_zh", "") + " (" + g.value("as", "") + "): " + g.value("user", "") + " (" +
         g.value("role", "") + ", via " + g.value("via", "") + ") at " + Local(g.value("at", "")) + "\n";
  }
  const json next = r.value("next", json::object());
  s += "Next 下一步: " + next.value("action", "") + (next.contains("as") ? " as " + next.value("as", "") : "") + "\n";
  return s;
}

int ReportStage(const Context& ctx, const std::string& id, const std::string& file, const std::string& stage) {
  auto text = ReadFile(file);
  if (!text.ok()) return EnvError(text.status());
  return Posted(Call(ctx, "POST", "/v1/reports/" + id + "/" + stage, *text), stage + " of report " + id);
}

int ReportApprove(const Context& ctx, const std::string& id, int level, const std::string& impact,
                  const std::string& user, const std::string& note) {
  json body = {{"level", level}, {"user", user}};
  if (!note.empty()) body["note"] = note;
  if (!impact.empty()) {
    auto i = Impacts(impact);
    if (!i.ok()) return EnvError(i.status());
    body["impact"] = *i;
  }
  auto password = Password(user);
  if (!password.ok()) return EnvError(password.status());
  body["password"] = *password;
  return Posted(Call(ctx, "POST", "/v1/reports/" + id + "/approval", body.dump()),
                "approval of level " + std::to_string(level) + " by " + user);
}

int ReportSign(const Context& ctx, const std::string& id, const std::string& as, const std::string& user) {
  auto password = Password(user);
  if (!password.ok()) return EnvError(password.status());
  json body = {{"as", as}, {"user", user}, {"password", *password}};
  return Posted(Call(ctx, "POST", "/v1/reports/" + id + "/signatures", body.dump()), "signed as " + as + " by " + user);
}

namespace {

int Download(const Context& ctx, const std::string& path, const std::string& out, const std::string& what) {
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return EnvError(config.status());
  auto r = CallDaemonRaw(config->socket_path, "GET", path);
  if (!r.ok()) return EnvError(r.status());
  if (r->status != 200) {
    ApiResponse api{r->status, json::parse(r->body, nullptr, false)};
    return PrintApiError(api);
  }
  Status w = print::WriteFile(out, r->body);
  if (!w.ok()) return EnvError(w);
  std::cout << what << ": " << out << " (" << r->body.size() << " bytes"
            << (r->bundle_sha256.empty() ? "" : ", SHA-256 " + r->bundle_sha256) << ")\n";
  return 0;
}

}  // namespace

int ReportPrint(const Context& ctx, const std::string& id, const std::string& pdf_out) {
  return Download(ctx, "/v1/reports/" + id + "/record.pdf", pdf_out, "Record 紀錄 (PDF)");
}

int EvidenceExport(const Context& ctx, const std::string& id, const std::string& out) {
  int rc = Download(ctx, "/v1/reports/" + id + "/evidence.tar", out, "Evidence bundle 證據包 (signed)");
  if (rc == 0) std::cout << "  check it anywhere: lifeline evidence verify " << out << " --key device-key.pub.pem\n";
  return rc;
}

}  // namespace lifeline::cli
