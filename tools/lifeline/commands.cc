#include "tools/lifeline/commands.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "daemon/config/config.h"
#include "daemon/drill/drill.h"
#include "daemon/journal/journal.h"
#include "daemon/report/report.h"
#include "daemon/rules/rules.h"
#include "tools/lifeline/client.h"
#include "tools/lifeline/render.h"

namespace lifeline::cli {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int EnvError(const Status& s) {
  std::cerr << "lifeline: " << s.message() << "\n";
  return 2;
}

Result<RuleSet> LoadRules(const Context& ctx) {
  auto config = LoadCliConfig(ctx);
  std::string file = !ctx.rules_file.empty() ? ctx.rules_file : config.ok() ? config->rules_file : "";
  auto rules = file.empty() ? DefaultRuleSet() : LoadRuleSetFile(file);
  if (!rules.ok() || !config.ok()) return rules;
  return ScaleRuleSet(std::move(*rules), config->time_scale);
}

// Without --config: $LIFELINE_CONFIG, else the installed CLI (/usr/bin/lifeline)
// reads the installed configuration, so on a box `lifeline user add` finds
// lifelined as the README says; a build tree's CLI keeps the compiled-in defaults.
std::string DefaultConfigFile() {
  if (const char* env = std::getenv("LIFELINE_CONFIG"); env && *env) return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && exe == LIFELINE_INSTALLED_CLI && std::filesystem::exists(LIFELINE_INSTALLED_CONFIG, ec)) {
    return LIFELINE_INSTALLED_CONFIG;
  }
  return "";
}

Result<Config> LoadCliConfig(const Context& ctx) {
  const std::string file = ctx.config_file.empty() ? DefaultConfigFile() : ctx.config_file;
  auto c = file.empty() ? LoadConfig(std::nullopt, "") : LoadConfigFile(file);
  if (!c.ok()) return c;
  if (!ctx.state_dir.empty()) {
    c->socket_path = (std::filesystem::path(ctx.state_dir) / "lifelined.sock").string();
    c->state_dir = ctx.state_dir;
  }
  if (!ctx.socket_path.empty()) c->socket_path = ctx.socket_path;
  return c;
}

int PrintApiError(const ApiResponse& r) {
  const auto& b = r.body;
  if (!b.is_object()) {
    std::cout << "lifelined answered HTTP " << r.status << "\n";
    return 1;
  }
  std::cout << "REFUSED 未受理 (HTTP " << r.status << ", " << b.value("error", "") << ")\n";
  if (b.contains("message_zh")) std::cout << "  " << b.value("message_zh", "") << "\n";
  if (b.contains("message")) std::cout << "  " << b.value("message", "") << "\n";
  for (const auto& p : b.value("problems", nlohmann::json::array())) {
    std::string path = p.value("path", "");
    std::cout << "  " << (path.empty() ? "(document)" : path) << "\n      " << p.value("zh", "")
              << "\n      " << p.value("en", "") << "\n";
  }
  return 1;
}

Result<ApiResponse> Call(const Context& ctx, const std::string& method, const std::string& path,
                         const std::string& body) {
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return config.status();
  return CallDaemon(config->socket_path, method, path, body);
}

int ReportValidate(const Context& ctx, const std::string& file) {
  auto text = ReadFile(file);
  if (!text.ok()) return EnvError(text.status());
  // The same checks lifelined makes, on this machine's clock.
  auto config = LoadCliConfig(ctx);
  const auto skew = std::chrono::seconds(config.ok() ? config->clock_skew_seconds : 300);
  SystemClock clock;
  ValidationOutcome outcome = ValidateReportAt(*text, TimeCheck{clock.Now(), skew});
  if (!outcome.ok()) {
    std::cout << file << ": INVALID 不合格\n" << RenderProblems(outcome);
    return 1;
  }
  auto rules = LoadRules(ctx);
  if (!rules.ok()) return EnvError(rules.status());
  const Report& r = *outcome.report;
  auto schedule = ComputeSchedule(*rules, {r.Level(), r.aware_at, r.affects_others});
  if (!schedule.ok()) return EnvError(schedule.status());
  std::cout << file << ": VALID 合格\n"
            << RenderLevel(r) << RenderSchedule(rules->id + ": " + rules->title, ScheduleToJson(*schedule));
  return 0;
}

int ReportSubmit(const Context& ctx, const std::string& file, bool revision) {
  auto text = ReadFile(file);
  if (!text.ok()) return EnvError(text.status());
  std::string path = "/v1/reports";
  if (revision) {
    auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (!doc.is_object() || !doc.contains("id") || !doc["id"].is_string()) {
      std::cout << file << ": a revision needs the report's \"id\"\n";
      return 1;
    }
    path += "/" + doc["id"].get<std::string>() + "/revisions";
  }
  auto r = Call(ctx, "POST", path, *text);
  if (!r.ok()) return EnvError(r.status());
  if (r->status != 200 && r->status != 201) return PrintApiError(*r);
  std::cout << (r->status == 201 ? "STORED 已儲存 (durable: committed to disk)\n"
                                 : "ALREADY STORED 先前已儲存 (nothing new written)\n")
            << RenderStored(r->body)
            << RenderSchedule(r->body.value("rules_id", ""), r->body.value("schedule", nlohmann::json()));
  return 0;
}

// Page by page as lifelined gives them, printed as they come, so a store of
// any size is listed in bounded memory on both sides.
int ReportList(const Context& ctx, const ListOptions& options) {
  std::string after;
  size_t shown = 0;
  do {
    std::string path = "/v1/reports?limit=" + std::to_string(options.page_size) + (options.open_only ? "&state=open" : "");
    if (!after.empty()) path += "&after=" + after;
    auto r = Call(ctx, "GET", path, "");
    if (!r.ok()) return EnvError(r.status());
    if (r->status != 200) return PrintApiError(*r);
    for (const auto& rep : r->body.value("reports", nlohmann::json::array())) {
      if (options.limit && shown == options.limit) break;
      std::cout << "  " << rep.value("id", "") << "  r" << rep.value("revision", 0) << "  level "
                << rep.value("level", 0) << "  " << rep.value("state", "") << "  aware "
                << rep.value("aware_at", "") << (rep.value("drill", false) ? "  DRILL" : "") << "\n";
      ++shown;
    }
    after = r->body.value("next", "");
  } while (!after.empty() && (!options.limit || shown < options.limit));
  std::cout << shown << " report(s) 件通報" << (after.empty() ? "" : " (more with a higher --limit)") << "\n";
  return 0;
}

int ReportShow(const Context& ctx, const std::string& id) {
  auto r = Call(ctx, "GET", "/v1/reports/" + id, "");
  if (!r.ok()) return EnvError(r.status());
  if (r->status != 200) return PrintApiError(*r);
  for (const auto& rev : r->body.value("revisions", nlohmann::json::array())) {
    std::cout << RenderStored(rev) << RenderSchedule(rev.value("rules_id", ""), rev.value("schedule", nlohmann::json()));
  }
  std::cout << RenderRecord(r->body.value("record", nlohmann::json::object()));
  return 0;
}

int RulesShow(const Context& ctx, const std::string& report_file) {
  if (!report_file.empty()) return ReportValidate(ctx, report_file);
  auto rules = LoadRules(ctx);
  if (!rules.ok()) return EnvError(rules.status());
  std::cout << RenderRuleSet(*rules);
  return 0;
}

namespace {

struct JournalFiles {
  std::unique_ptr<sql::Db> db;
  JournalKey key;
};

Result<JournalFiles> OpenJournal(const Context& ctx) {
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return config.status();
  std::string db_path = config->state_dir + "/lifeline.db";
  if (!std::filesystem::exists(db_path)) return NotFound("no database at " + db_path);
  auto key = JournalKey::Load(config->state_dir + "/journal.key");
  if (!key.ok()) return key.status();
  auto db = sql::Db::Open(db_path, {});
  if (!db.ok()) return db.status();
  return JournalFiles{std::move(*db), *key};
}

}  // namespace

int JournalVerify(const Context& ctx) {
  auto j = OpenJournal(ctx);
  if (!j.ok()) return EnvError(j.status());
  JournalVerdict v = VerifyJournal(*j->db, j->key);
  if (v.ok) {
    std::cout << "OK: " << v.entries << " journal entries verify (chain, MACs and head)\n";
    return 0;
  }
  std::cout << "BAD: first bad entry #" << v.first_bad << ": " << v.reason << "\n"
            << "  (" << v.entries << " entries before it verify)\n";
  return 1;
}

int ReportTimeline(const Context& ctx, const std::string& id, int follow_seconds) {
  auto j = OpenJournal(ctx);
  if (!j.ok()) return EnvError(j.status());
  std::set<int64_t> printed;
  std::optional<WallTime> origin;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(follow_seconds);
  for (;;) {
    auto entries = ReadJournal(*j->db, id);
    if (!entries.ok()) return EnvError(entries.status());
    bool settled = false;
    for (const auto& e : *entries) {
      if (!origin) {
        auto t = ParseRfc3339(e.wall_time);
        origin = t.ok() ? t->instant : WallTime{};
      }
      if (printed.insert(e.seq).second) std::cout << TimelineLine(e, *origin, 8 * 60) << "\n" << std::flush;
      if (e.type == "report.state" &&
          (e.payload.find("\"to\":\"accepted\"") != std::string::npos ||
           e.payload.find("\"to\":\"accepted_late\"") != std::string::npos)) {
        settled = true;
      }
    }
    if (printed.empty() && follow_seconds == 0) {
      std::cout << "no journal entries for report " << id << "\n";
      return 1;
    }
    if (settled || std::chrono::steady_clock::now() >= deadline) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

int JournalShow(const Context& ctx, const std::optional<std::string>& report_id) {
  auto j = OpenJournal(ctx);
  if (!j.ok()) return EnvError(j.status());
  auto entries = ReadJournal(*j->db, report_id);
  if (!entries.ok()) return EnvError(entries.status());
  for (const auto& e : *entries) std::cout << RenderJournalEntry(e);
  std::cout << entries->size() << " entries\n";
  return 0;
}

}  // namespace lifeline::cli
