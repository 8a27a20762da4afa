// lifeline: the operator's command line. Validates reports, shows the rules and
// deadlines, submits reports to lifelined over its socket, and verifies the
// journal. Exit status: 0 success, 1 refused or failed check, 2 usage or
// environment error.
#include <CLI/CLI.hpp>

#include "tools/lifeline/commands.h"

namespace lifeline::cli {
namespace {

int Run(int argc, char** argv) {
  CLI::App app{"lifeline: incident notification within the hour, whatever happens to the network"};
  app.require_subcommand(1);
  Context ctx;
  app.add_option("--rules", ctx.rules_file, "rule set file (default: the compiled-in tw-2021)");
  app.add_option("--config", ctx.config_file, "lifelined's configuration file, to find its state and socket");
  app.add_option("--socket", ctx.socket_path, "lifelined's socket (overrides the configuration)");
  app.add_option("--state-dir", ctx.state_dir, "lifelined's state directory (overrides the configuration)");

  std::string file, id, report_file;
  std::optional<std::string> journal_report;
  auto* report = app.add_subcommand("report", "incident reports")->require_subcommand(1);
  auto* validate = report->add_subcommand("validate", "check a report file; print its level and deadlines");
  validate->add_option("FILE", file, "report JSON")->required();
  auto* submit = report->add_subcommand("submit", "file a new report with lifelined (durable when it answers)");
  submit->add_option("FILE", file, "report JSON (revision 1)")->required();
  auto* revise = report->add_subcommand("revise", "file a new revision of a report (level change, 續行通報)");
  revise->add_option("FILE", file, "report JSON with the same id and the next revision")->required();
  auto* list = report->add_subcommand("list", "the latest revision of every stored report");
  auto* show = report->add_subcommand("show", "every revision of one report, with its deadlines");
  show->add_option("ID", id, "report id")->required();

  auto* rules = app.add_subcommand("rules", "the legal rule set")->require_subcommand(1);
  auto* rules_show = rules->add_subcommand("show", "print the rules, or a report's deadlines");
  rules_show->add_option("--report", report_file, "report JSON whose deadlines to print");

  auto* journal = app.add_subcommand("journal", "the tamper-evident journal")->require_subcommand(1);
  auto* verify = journal->add_subcommand("verify", "check the whole chain; name the first bad entry");
  auto* jshow = journal->add_subcommand("show", "print the timeline");
  jshow->add_option("--report", journal_report, "only entries about this report");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*validate) return ReportValidate(ctx, file);
  if (*submit) return ReportSubmit(ctx, file, /*revision=*/false);
  if (*revise) return ReportSubmit(ctx, file, /*revision=*/true);
  if (*list) return ReportList(ctx);
  if (*show) return ReportShow(ctx, id);
  if (*rules_show) return RulesShow(ctx, report_file);
  if (*verify) return JournalVerify(ctx);
  if (*jshow) return JournalShow(ctx, journal_report);
  return 2;
}

}  // namespace
}  // namespace lifeline::cli

int main(int argc, char** argv) { return lifeline::cli::Run(argc, argv); }
