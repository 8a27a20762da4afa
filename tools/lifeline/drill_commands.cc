// `lifeline drill scenarios|plan|reveal|check-seal|record|results`: the drill
// programme offline, without lifelined: the scenario library checked, the plan
// drawn and sealed, the reveal checked against its seal, and the time record and
// results report printed from a drill record.
#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>

#include "daemon/core/time_format.h"
#include "daemon/core/uuid.h"
#include "daemon/drill/drill_documents.h"
#include "daemon/drill/plan.h"
#include "daemon/report/report.h"
#include "tools/lifeline/client.h"
#include "tools/lifeline/drill_commands.h"

namespace lifeline::cli {
namespace {

using nlohmann::json;

// Refused: bad input or a failed check (exit 1), printed for people.
int Refused(const Status& s) {
  std::cerr << "lifeline: " << s.message() << "\n";
  return 1;
}

// The rule set's drill figures are counts, fractions and months: read unscaled.
Result<RuleSet> DrillRules(const Context& ctx) {
  auto config = LoadCliConfig(ctx);
  std::string file = !ctx.rules_file.empty() ? ctx.rules_file : config.ok() ? config->rules_file : "";
  return file.empty() ? DefaultRuleSet() : LoadRuleSetFile(file);
}

std::string Now() {
  auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  return FormatRfc3339(WithOffset(now, 8 * 60));
}

Result<json> ReadJson(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return InvalidArgument(path + ": not JSON");
  return j;
}

void PrintAssignments(const json& plan) {
  std::cout << "  " << plan.value("units_drawn", 0) << " of " << plan["roster"].value("units_drawable", 0)
            << " units drawn (" << plan["units_fraction"].value("value", "") << " or more, "
            << plan["units_fraction"].value("source", "") << "), seed \"" << plan.value("seed", "") << "\"\n";
  for (const auto& a : plan["assignments"]) {
    std::cout << "  " << a.value("unit", "") << "（" << a.value("responsibility_level", "") << " 級）  →  "
              << a.value("scenario", "") << "  第 " << a.value("level", 0) << " 級  " << a.value("scenario_name", "")
              << "\n";
  }
}

int WriteOutput(const std::string& path, const std::string& bytes, const char* what) {
  if (path.empty()) return 0;
  Status st = print::WriteFile(path, bytes);
  if (!st.ok()) return EnvError(st);
  std::cout << "  " << what << "  " << path << "\n";
  return 0;
}

}  // namespace

int DrillScenarios(const Context& ctx, const std::string& dir) {
  auto lib = drill::LoadScenarioLibrary(dir);
  if (!lib.ok()) return Refused(lib.status());
  auto rules = DrillRules(ctx);
  if (!rules.ok()) return EnvError(rules.status());
  auto req = drill::LibraryRequirementsFrom(*rules);
  if (!req.ok()) return EnvError(req.status());
  std::cout << lib->size() << " scenario(s) 演練情境 in " << dir << "\n";
  for (const auto& s : *lib) {
    std::cout << "  " << std::left << std::setw(24) << s.id << " 第 " << s.level << " 級  "
              << LabelZh("categories", s.category) << "  " << s.duration.count() << " min  " << s.name << "\n";
    for (const auto& f : s.faults) {
      std::cout << "      simulates " << drill::FaultKindName(f.kind) << " (" << drill::FaultKindLabelZh(f.kind)
                << ") from +" << f.start.count() << " s for " << f.duration.count() << " s\n";
    }
  }
  Status st = drill::CheckLibrary(*lib, *req);
  if (!st.ok()) return Refused(st);
  std::cout << "OK: levels 1-4 and the five categories covered, at least " << req->min_scenarios << " scenarios\n";
  return 0;
}

int DrillPlan(const Context& ctx, const DrillPlanArgs& a) {
  auto roster = drill::LoadRosterFile(a.roster);
  if (!roster.ok()) return Refused(roster.status());
  auto lib = drill::LoadScenarioLibrary(a.scenarios);
  if (!lib.ok()) return Refused(lib.status());
  auto rules = DrillRules(ctx);
  if (!rules.ok()) return EnvError(rules.status());
  auto req = drill::LibraryRequirementsFrom(*rules);
  if (!req.ok()) return EnvError(req.status());
  if (Status st = drill::CheckLibrary(*lib, *req); !st.ok()) return Refused(st);
  drill::PlanOptions o;
  auto fraction = drill::UnitsFractionFrom(*rules);
  if (!fraction.ok()) return EnvError(fraction.status());
  o.fraction = *fraction;
  o.seed = a.seed;
  o.drawn_at = Now();
  o.min_units = a.units;
  if (o.seed.empty()) {
    auto random = NewUuidV4();  // 122 random bits from the kernel
    if (!random.ok()) return EnvError(random.status());
    o.seed = *random;
  }
  auto plan = drill::DrawPlan(*roster, *lib, o);
  if (!plan.ok()) return Refused(plan.status());
  auto sealed = drill::SealPlan(*plan);
  if (!sealed.ok()) return EnvError(sealed.status());
  if (int rc = WriteOutput(a.out, sealed->dump(2) + "\n", "sealed plan (keep it sealed: 督察組)"); rc != 0) return rc;
  std::cout << "SEALED 已彌封: " << (*sealed)["commitment"].get<std::string>() << "\n"
            << "  journal this seal before the drill; reveal the file after it:\n"
            << drill::SealOf(*sealed).dump() << "\n";
  return 0;
}

namespace {

// The seal lifelined journaled with this commitment, as GET /v1/drill-plans lists it.
Result<json> JournaledSealOf(const Context& ctx, const std::string& commitment) {
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return config.status();
  auto r = CallDaemon(config->socket_path, "GET", "/v1/drill-plans", "");
  if (!r.ok()) return r.status();
  if (r->status != 200 || !r->body.is_object()) return Unavailable("lifelined answered " + std::to_string(r->status));
  for (const auto& s : r->body.value("seals", json::array())) {
    if (s.value("seal", json::object()).value("commitment", "") == commitment) return s;
  }
  return NotFound("no seal " + commitment + " in this box's journal: it was not journaled before the drill");
}

}  // namespace

Result<std::string> PlannedScenario(const std::string& plan_file, const std::string& unit_id,
                                    const std::string& scenarios_dir) {
  auto sealed = ReadJson(plan_file);
  if (!sealed.ok()) return sealed.status();
  LIFELINE_RETURN_IF_ERROR(drill::CheckSeal(*sealed, ""));
  const json& plan = (*sealed)["plan"];
  std::string scenario_id;
  for (const auto& a : plan.value("assignments", json::array())) {
    if (a.value("unit_id", "") == unit_id) scenario_id = a.value("scenario", "");
  }
  if (scenario_id.empty()) return NotFound("the plan drew no unit '" + unit_id + "' (see lifeline drill reveal)");
  std::string sha;
  for (const auto& s : plan.value("library", json::array())) {
    if (s.value("id", "") == scenario_id) sha = s.value("sha256", "");
  }
  auto lib = drill::LoadScenarioLibrary(scenarios_dir);
  if (!lib.ok()) return lib.status();
  for (const auto& s : *lib) {
    if (s.id != scenario_id) continue;
    if (s.sha256 != sha) {
      return FailedPrecondition(s.origin + " is not the scenario the plan was drawn from (SHA-256 " + s.sha256 +
                                ", the plan's " + sha + ")");
    }
    return s.origin;
  }
  return NotFound("no scenario '" + scenario_id + "' in " + scenarios_dir);
}

int DrillSeal(const Context& ctx, const std::string& file) {
  auto sealed = ReadJson(file);
  if (!sealed.ok()) return Refused(sealed.status());
  if (Status st = drill::CheckSeal(*sealed, ""); !st.ok()) return Refused(st);
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return EnvError(config.status());
  auto r = CallDaemon(config->socket_path, "POST", "/v1/drill-plans", drill::SealOf(*sealed).dump());
  if (!r.ok()) return EnvError(r.status());
  if (r->status != 201) {
    return Refused(FailedPrecondition("lifelined answered " + std::to_string(r->status) + ": " +
                                      (r->body.is_object() ? r->body.value("message", "") : "")));
  }
  std::cout << "JOURNALED 彌封已記錄: " << (*sealed)["commitment"].get<std::string>() << " as journal entry "
            << r->body.value("seq", 0) << "; keep the file sealed until after the drill\n";
  return 0;
}

int DrillReveal(const Context&, const std::string& file) {
  auto sealed = ReadJson(file);
  if (!sealed.ok()) return Refused(sealed.status());
  if (Status st = drill::CheckSeal(*sealed, ""); !st.ok()) return Refused(st);
  std::cout << "REVEALED 解封: " << (*sealed)["commitment"].get<std::string>() << " (plan and nonce match it)\n";
  PrintAssignments((*sealed)["plan"]);
  return 0;
}

int DrillCheckSeal(const Context& ctx, const DrillCheckArgs& a) {
  auto sealed = ReadJson(a.file);
  if (!sealed.ok()) return Refused(sealed.status());
  std::string commitment = a.commitment;
  if (a.journaled == !a.commitment.empty()) return Refused(InvalidArgument("give --commitment HEX or --journaled, one of them"));
  if (a.journaled) {
    auto seal = JournaledSealOf(ctx, sealed->value("commitment", ""));
    if (!seal.ok()) return Refused(seal.status());
    commitment = seal->value("seal", json::object()).value("commitment", "");
    std::cout << "JOURNALED: seal " << commitment << " at " << seal->value("journaled_at", "") << " by "
              << seal->value("by", "") << " (journal entry " << seal->value("seq", 0) << ")\n";
  }
  if (Status st = drill::CheckSeal(*sealed, commitment); !st.ok()) return Refused(st);
  std::cout << "SEAL OK: the revealed plan is the one sealed as " << commitment << "\n";
  if (a.roster.empty()) return 0;
  auto roster = drill::LoadRosterFile(a.roster);
  if (!roster.ok()) return Refused(roster.status());
  auto lib = drill::LoadScenarioLibrary(a.scenarios);
  if (!lib.ok()) return Refused(lib.status());
  if (Status st = drill::CheckDraw((*sealed)["plan"], *roster, *lib); !st.ok()) return Refused(st);
  std::cout << "DRAW OK: redrawing seed \"" << (*sealed)["plan"].value("seed", "")
            << "\" over this roster and library gives exactly these assignments\n";
  return 0;
}

namespace {

// From the file, or from lifelined when --drill names a finished drill (its
// JSON saved to --save when given).
Result<drill::DrillRecord> ReadRecord(const Context& ctx, const DrillPrintArgs& a) {
  if (a.drill.empty() == a.file.empty()) return InvalidArgument("give a drill record FILE or --drill ID, one of them");
  if (!a.file.empty()) {
    auto text = ReadFile(a.file);
    if (!text.ok()) return text.status();
    return drill::ParseDrillRecord(*text, a.file);
  }
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return config.status();
  auto r = CallDaemon(config->socket_path, "GET", "/v1/drills/" + a.drill + "/record", "");
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    std::string why = r->body.is_object() ? r->body.value("message", "") : "";
    return r->status == 404 ? NotFound("no drill " + a.drill + " on this box")
                            : FailedPrecondition("lifelined answered " + std::to_string(r->status) + ": " + why);
  }
  const std::string text = r->body.dump(2) + "\n";
  if (int rc = WriteOutput(a.save, text, "JSON"); rc != 0) return IoError("cannot write " + a.save);
  return drill::ParseDrillRecord(text, "drill " + a.drill);
}

}  // namespace

int DrillRecord(const Context& ctx, const DrillPrintArgs& a) {
  if (a.html.empty() && a.pdf.empty() && a.csv.empty()) return Refused(InvalidArgument("give --html, --pdf or --csv"));
  auto record = ReadRecord(ctx, a);
  if (!record.ok()) return Refused(record.status());
  const print::Document doc = drill::TimeRecordDocument(*record);
  std::cout << "演練時間紀錄表: " << record->units.size() << " unit(s)\n";
  if (int rc = WriteOutput(a.html, print::RenderHtml(doc), "HTML"); rc != 0) return rc;
  if (!a.pdf.empty()) {
    auto pdf = print::RenderPdf(doc);
    if (!pdf.ok()) return EnvError(pdf.status());
    if (int rc = WriteOutput(a.pdf, *pdf, "PDF "); rc != 0) return rc;
  }
  return WriteOutput(a.csv, print::Csv(drill::TimeRecordRows(*record)), "CSV ");
}

int DrillResults(const Context& ctx, const DrillPrintArgs& a) {
  if (a.html.empty() && a.pdf.empty()) return Refused(InvalidArgument("give --html or --pdf"));
  auto record = ReadRecord(ctx, a);
  if (!record.ok()) return Refused(record.status());
  auto rules = DrillRules(ctx);
  if (!rules.ok()) return EnvError(rules.status());
  auto due = drill::ResultsDue(*record, *rules);
  if (!due.ok()) return EnvError(due.status());
  std::string rule, source;
  for (const auto& f : rules->figures) {
    if (f.key != "drill_results_due") continue;
    rule = f.title + "；" + f.source;
    source = f.source;
  }
  const print::Document doc = drill::ResultsDocument(*record, *due, rule);
  std::cout << "演練成果報告: " << record->units.size() << " unit(s); due " << drill::LocalTime(*due).substr(0, 10)
            << " (" << source << ")\n";
  if (int rc = WriteOutput(a.html, print::RenderHtml(doc), "HTML"); rc != 0) return rc;
  if (a.pdf.empty()) return 0;
  auto pdf = print::RenderPdf(doc);
  if (!pdf.ok()) return EnvError(pdf.status());
  return WriteOutput(a.pdf, *pdf, "PDF ");
}

namespace {

struct ProgrammeArgs {
  std::string scenarios_dir = "config/drills", plan_file, seal_file;
  DrillPlanArgs plan;
  DrillCheckArgs check;
  DrillPrintArgs record, results;
};

void AddPlanCommands(CLI::App* drill, ProgrammeArgs& a, std::vector<CLI::App*>& c) {
  c.push_back(drill->add_subcommand("scenarios", "check the scenario library (levels 1-4, the five categories)"));
  c.back()->add_option("DIR", a.scenarios_dir, "scenario folder (default config/drills)");
  auto* plan = c.emplace_back(drill->add_subcommand("plan", "draw the units and their scenarios at random, seal the plan"));
  plan->add_option("--roster", a.plan.roster, "roster TOML (config/roster.toml)")->required();
  plan->add_option("--seed", a.plan.seed, "seed of the draw (default: random; the same seed gives the same plan)");
  plan->add_option("--scenarios", a.plan.scenarios, "scenario folder (default config/drills)");
  plan->add_option("--out", a.plan.out, "sealed plan file to write (kept sealed until after the drill)")->required();
  plan->add_option("--units", a.plan.units, "draw at least this many units (default: the rule set's fraction)");
  c.push_back(drill->add_subcommand("reveal", "open a sealed plan: check it against its commitment, print it"));
  c.back()->add_option("FILE", a.plan_file, "sealed plan file")->required();
  auto* check = c.emplace_back(drill->add_subcommand("check-seal", "audit a revealed plan against the sealed commitment"));
  check->add_option("FILE", a.check.file, "sealed plan file")->required();
  check->add_option("--commitment", a.check.commitment, "the commitment journaled before the drill");
  check->add_flag("--journaled", a.check.journaled, "take the commitment from this box's journal (lifeline drill seal)");
  check->add_option("--roster", a.check.roster, "also redraw its seed over this roster and check the assignments");
  check->add_option("--scenarios", a.check.scenarios, "scenario folder for the redraw (default config/drills)");
}

void AddSealCommand(CLI::App* drill, ProgrammeArgs& a, std::vector<CLI::App*>& c) {
  auto* seal = c.emplace_back(drill->add_subcommand("seal", "journal a sealed plan's seal in lifelined, before the drill"));
  seal->add_option("FILE", a.seal_file, "sealed plan file (lifeline drill plan --out)")->required();
}

void AddPrintCommands(CLI::App* drill, ProgrammeArgs& a, std::vector<CLI::App*>& c) {
  auto* record = c.emplace_back(drill->add_subcommand("record", "print the 演練時間紀錄表 of a drill record (JSON)"));
  record->add_option("FILE", a.record.file, "drill record (lifeline.drill-record/1)");
  record->add_option("--drill", a.record.drill, "instead of FILE: a finished drill on this box (id or report id)");
  record->add_option("--save", a.record.save, "with --drill: write the drill record's JSON here");
  record->add_option("--html", a.record.html, "HTML file to write");
  record->add_option("--pdf", a.record.pdf, "PDF file to write");
  record->add_option("--csv", a.record.csv, "CSV file to write (UTF-8 with BOM)");
  auto* results = c.emplace_back(drill->add_subcommand("results", "print the 演練成果報告 of a drill record (JSON)"));
  results->add_option("FILE", a.results.file, "drill record (lifeline.drill-record/1)");
  results->add_option("--drill", a.results.drill, "instead of FILE: a finished drill on this box (id or report id)");
  results->add_option("--html", a.results.html, "HTML file to write");
  results->add_option("--pdf", a.results.pdf, "PDF file to write");
}

}  // namespace

std::function<int(const Context&)> AddDrillProgramme(CLI::App* drill) {
  auto a = std::make_shared<ProgrammeArgs>();
  auto c = std::make_shared<std::vector<CLI::App*>>();
  AddPlanCommands(drill, *a, *c);
  AddPrintCommands(drill, *a, *c);
  AddSealCommand(drill, *a, *c);
  return [a, c](const Context& ctx) {
    const auto& cmd = *c;
    if (*cmd[0]) return DrillScenarios(ctx, a->scenarios_dir);
    if (*cmd[1]) return DrillPlan(ctx, a->plan);
    if (*cmd[2]) return DrillReveal(ctx, a->plan_file);
    if (*cmd[3]) return DrillCheckSeal(ctx, a->check);
    if (*cmd[4]) return DrillRecord(ctx, a->record);
    if (*cmd[5]) return DrillResults(ctx, a->results);
    if (*cmd[6]) return DrillSeal(ctx, a->seal_file);
    return -1;
  };
}

}  // namespace lifeline::cli
