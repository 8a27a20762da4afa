// lifeline: the operator's command line. Validates reports, shows the rules and
// deadlines, and talks to lifelined over its socket. Exit status: 0 success,
// 1 the input or request was refused, 2 usage or environment error.
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "daemon/report/report.h"
#include "daemon/rules/rules.h"
#include "tools/lifeline/render.h"

namespace lifeline::cli {
namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<RuleSet> LoadRules(const std::string& rules_file) {
  return rules_file.empty() ? DefaultRuleSet() : LoadRuleSetFile(rules_file);
}

// Validates FILE; on success prints level and deadlines.
int ReportValidate(const std::string& file, const std::string& rules_file) {
  auto text = ReadFile(file);
  if (!text.ok()) {
    std::cerr << "lifeline: " << text.status().message() << "\n";
    return 2;
  }
  ValidationOutcome outcome = ValidateReport(*text);
  if (!outcome.ok()) {
    std::cout << file << ": INVALID 不合格\n" << RenderProblems(outcome);
    return 1;
  }
  auto rules = LoadRules(rules_file);
  if (!rules.ok()) {
    std::cerr << "lifeline: " << rules.status().message() << "\n";
    return 2;
  }
  const Report& r = *outcome.report;
  auto schedule = ComputeSchedule(*rules, {r.Level(), r.aware_at, r.affects_others});
  if (!schedule.ok()) {
    std::cerr << "lifeline: " << schedule.status().message() << "\n";
    return 2;
  }
  std::cout << file << ": VALID 合格\n" << RenderLevel(r) << RenderSchedule(*rules, *schedule);
  return 0;
}

int RulesShow(const std::string& report_file, const std::string& rules_file) {
  if (!report_file.empty()) return ReportValidate(report_file, rules_file);
  auto rules = LoadRules(rules_file);
  if (!rules.ok()) {
    std::cerr << "lifeline: " << rules.status().message() << "\n";
    return 2;
  }
  std::cout << RenderRuleSet(*rules);
  return 0;
}

int Run(int argc, char** argv) {
  CLI::App app{"lifeline: incident notification within the hour, whatever happens to the network"};
  app.require_subcommand(1);
  std::string rules_file;
  app.add_option("--rules", rules_file, "rule set file (default: the compiled-in tw-2021)");

  auto* report = app.add_subcommand("report", "incident reports")->require_subcommand(1);
  std::string file;
  auto* validate = report->add_subcommand("validate", "check a report file; print its level and deadlines");
  validate->add_option("FILE", file, "report JSON")->required();

  auto* rules = app.add_subcommand("rules", "the legal rule set")->require_subcommand(1);
  std::string report_file;
  auto* show = rules->add_subcommand("show", "print the rules, or a report's deadlines");
  show->add_option("--report", report_file, "report JSON whose deadlines to print");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*validate) return ReportValidate(file, rules_file);
  if (*show) return RulesShow(report_file, rules_file);
  return 2;
}

}  // namespace
}  // namespace lifeline::cli

int main(int argc, char** argv) { return lifeline::cli::Run(argc, argv); }
