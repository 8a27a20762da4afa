// lifeline: the operator's command line. Validates reports, shows the rules and
// deadlines, submits reports to lifelined over its socket, and verifies the
// journal. Exit status: 0 success, 1 refused or failed check, 2 usage or
// environment error.
#include <CLI/CLI.hpp>

#include "tools/lifeline/commands.h"
#include "tools/lifeline/drill_commands.h"

namespace lifeline::cli {
namespace {

int Run(int argc, char** argv) {
  CLI::App app{"lifeline: incident notification within the hour, whatever happens to the network"};
  app.require_subcommand(1);
  // Global options may also follow the subcommand: `lifeline rules show --rules FILE`.
  app.fallthrough();
  Context ctx;
  app.add_option("--rules", ctx.rules_file, "rule set file (default: the compiled-in tw-2021)");
  app.add_option("--config", ctx.config_file, "lifelined's configuration file, to find its state and socket");
  app.add_option("--socket", ctx.socket_path, "lifelined's socket (overrides the configuration)");
  app.add_option("--state-dir", ctx.state_dir, "lifelined's state directory (overrides the configuration)");

  std::string file, id, report_file;
  std::optional<std::string> journal_report;
  auto* report = app.add_subcommand("report", "incident reports")->require_subcommand(1);
  std::string stage, stage_report;
  auto* validate = report->add_subcommand("validate", "check a report file; print its level and deadlines");
  validate->add_option("FILE", file, "report JSON (or a stage 2/3 document with --stage)")->required();
  validate->add_option("--stage", stage, "damage-control (stage 2, 損害控制或復原) or closing (stage 3, 結案)")
      ->check(CLI::IsMember({"damage-control", "closing"}));
  validate->add_option("--report", stage_report, "with --stage: the report JSON the document follows");
  auto* submit = report->add_subcommand("submit", "file a new report with lifelined (durable when it answers)");
  submit->add_option("FILE", file, "report JSON (revision 1)")->required();
  auto* revise = report->add_subcommand("revise", "file a new revision of a report (level change, 續行通報)");
  revise->add_option("FILE", file, "report JSON with the same id and the next revision")->required();
  auto* list = report->add_subcommand("list", "the latest revision of every stored report, in the order stored");
  ListOptions list_options;
  list->add_option("--limit", list_options.limit, "at most this many (default: all, fetched a page at a time)");
  list->add_flag("--open", list_options.open_only, "only reports the site has not accepted");
  auto* show = report->add_subcommand("show", "every revision of one report, with its deadlines");
  show->add_option("ID", id, "report id")->required();
  std::string signer, sign_as, impact, note_text, pdf_out;
  int approve_level = 0;
  auto* damage = report->add_subcommand("damage-control", "record stage 2 (損害控制或復原) of a report with lifelined");
  damage->add_option("ID", id, "report id")->required();
  damage->add_option("FILE", file, "damage-control JSON (proto/damage-control.schema.json)")->required();
  auto* close = report->add_subcommand("close", "record stage 3 (調查、處理及改善報告) and close the report (結案)");
  close->add_option("ID", id, "report id")->required();
  close->add_option("FILE", file, "closing JSON (proto/closing.schema.json)")->required();
  auto* approve = report->add_subcommand("approve", "the CISO approves the report's level, or changes it (a new revision)");
  approve->add_option("ID", id, "report id")->required();
  approve->add_option("--level", approve_level, "the approved level, 1-4")->required()->check(CLI::Range(1, 4));
  approve->add_option("--impact", impact, "to change the level: C,I,A impacts, each 1-4 or none (e.g. 3,2,none)");
  approve->add_option("--user", signer, "the CISO's account (its password is read from standard input)")->required();
  approve->add_option("--note", note_text, "why, for the record");
  auto* sign = report->add_subcommand("sign", "sign the closed record: reporter, then supervisor, then ciso");
  sign->add_option("ID", id, "report id")->required();
  sign->add_option("--as", sign_as, "reporter (通報人員) | supervisor (通報主管) | ciso (資通安全長)")
      ->required()->check(CLI::IsMember({"reporter", "supervisor", "ciso"}));
  sign->add_option("--user", signer, "the signer's account (its password is read from standard input)")->required();
  auto* print_record = report->add_subcommand("print", "the printable record (PDF, zh-TW) with the three signatures");
  print_record->add_option("ID", id, "report id")->required();
  print_record->add_option("--pdf", pdf_out, "PDF file to write")->required();
  int follow_report = 0;
  auto* timeline = report->add_subcommand("timeline", "what happened to a report, step by step, with times");
  timeline->add_option("ID", id, "report id")->required();
  timeline->add_option("--follow", follow_report, "keep printing for up to this many seconds, until the site accepts it");

  auto* rules = app.add_subcommand("rules", "the legal rule set")->require_subcommand(1);
  auto* rules_show = rules->add_subcommand("show", "print the rules, or a report's deadlines");
  rules_show->add_option("--report", report_file, "report JSON whose deadlines to print");

  auto* journal = app.add_subcommand("journal", "the tamper-evident journal")->require_subcommand(1);
  auto* verify = journal->add_subcommand("verify", "check the whole chain; name the first bad entry");
  auto* jshow = journal->add_subcommand("show", "print the timeline");
  jshow->add_option("--report", journal_report, "only entries about this report");

  std::string bundle_key, out;
  auto* evidence = app.add_subcommand("evidence", "signed evidence bundles an auditor verifies offline")->require_subcommand(1);
  auto* evidence_key = evidence->add_subcommand("key", "print the device's signing key and fingerprint (created if absent)");
  auto* evidence_verify = evidence->add_subcommand("verify", "check a bundle: structure, every file, the signature");
  evidence_verify->add_option("FILE", file, "the bundle (.tar)")->required();
  evidence_verify->add_option("--key", bundle_key, "PEM public key the bundle must be signed with (pin)");
  auto* evidence_export = evidence->add_subcommand("export", "a report's signed evidence bundle, for auditors");
  evidence_export->add_option("ID", id, "report id")->required();
  evidence_export->add_option("--out", out, "bundle file to write (.tar)")->required();

  std::string number, device, fax_stage;
  auto* fax = app.add_subcommand("fax", "the fax channel (Class 1 modem)")->require_subcommand(1);
  auto* fax_render = fax->add_subcommand("render", "render a report's form as the fax sends it (TIFF-F + PNG)");
  fax_render->add_option("REPORT", id, "report id (from lifelined) or report .json file")->required();
  fax_render->add_option("--out", out, "TIFF file to write (the PNG preview goes beside it)")->required();
  fax_render->add_option("--stage", fax_stage, "damage-control or closing: that stage's pages (P20-P35) from lifelined")
      ->check(CLI::IsMember({"damage-control", "closing"}));
  auto* fax_test = fax->add_subcommand("test", "send one fax now and print the T.30 evidence");
  fax_test->add_option("NUMBER", number, "number to dial")->required();
  fax_test->add_option("REPORT", id, "report id or .json file (default: a test page)");
  fax_test->add_option("--device", device, "modem serial port (default: fax.device)");
  bool fax_retry = false;
  fax_test->add_flag("--retry", fax_retry, "retry failed calls with the delays of the [fax] configuration");

  std::string text;
  int wait_reports = 0;
  auto* sms = app.add_subcommand("sms", "the SMS channel (cellular modem)")->require_subcommand(1);
  auto* sms_test = sms->add_subcommand("test", "send one SMS now and print the evidence");
  sms_test->add_option("NUMBER", number, "destination, +886... or 09...")->required();
  sms_test->add_option("TEXT", text, "message (Chinese is sent as UCS-2, long texts in parts)")->required();
  sms_test->add_option("--device", device, "modem serial port (default: sms.device)");
  sms_test->add_option("--wait-reports", wait_reports, "seconds to wait for delivery reports (default 0)");
  std::string message_id;
  sms_test->add_option("--id", message_id, "message id: the same id resumes that message where it stopped");

  std::string task, answered_by, answered_at, note, scenario;
  bool all_tasks = false, follow = false;
  int follow_seconds = 600;
  auto* phone = app.add_subcommand("phone", "phone tasks: calls an operator must make")->require_subcommand(1);
  auto* pending = phone->add_subcommand("pending", "open phone tasks with their call cards");
  pending->add_flag("--all", all_tasks, "confirmed and cancelled tasks too");
  auto* confirm = phone->add_subcommand("confirm", "record that a call was answered (the evidence)");
  confirm->add_option("TASK", task, "task number from `phone pending`")->required();
  confirm->add_option("--answered-by", answered_by, "name (and unit) of the person who answered")->required();
  confirm->add_option("--at", answered_at, "when, RFC 3339 with offset: 2026-11-21T10:05:00+08:00")->required();
  confirm->add_option("--note", note, "anything the auditor should know");

  auto* drill = app.add_subcommand("drill", "drills: simulated loss of the national site")->require_subcommand(1);
  bool allow_partial = false;
  auto* drill_start = drill->add_subcommand("start", "run a drill from a scenario file");
  std::string plan_file, plan_unit, plan_scenarios = "config/drills";
  auto* by_scenario = drill_start->add_option("--scenario", scenario, "scenario TOML (config/drills/README.md)");
  auto* by_plan = drill_start->add_option("--plan", plan_file, "instead: the sealed plan whose scenario for --unit runs");
  drill_start->add_option("--unit", plan_unit, "with --plan: the drawn unit's id (config/roster.toml)");
  drill_start->add_option("--scenarios", plan_scenarios, "with --plan: the scenario folder (default config/drills)");
  by_scenario->excludes(by_plan);
  by_plan->excludes(by_scenario);
  drill_start->add_flag("--follow", follow, "print the timeline as it happens until the drill completes");
  drill_start->add_flag("--allow-partial", allow_partial,
                        "run even when lifelined can simulate only the scenario's loss of the site");
  drill_start->add_option("--follow-seconds", follow_seconds, "stop following after this long (default 600)");
  auto* drill_list = drill->add_subcommand("list", "every drill with its state");
  auto* drill_timeline = drill->add_subcommand("timeline", "a drill's steps, each with its time");
  drill_timeline->add_option("ID", id, "drill id (or its report id)")->required();
  auto run_programme = AddDrillProgramme(drill);

  std::string user_name, role;
  auto* user = app.add_subcommand("user", "console accounts (passwords from standard input)")->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "add an account");
  user_add->add_option("NAME", user_name, "account name: 2-32 lower-case letters, digits, . _ -")->required();
  user_add->add_option("--role", role, "operator | supervisor | ciso | auditor")->required();
  auto* user_list = user->add_subcommand("list", "every account and its role");
  auto* user_disable = user->add_subcommand("disable", "stop an account from logging in (its sessions end)");
  user_disable->add_option("NAME", user_name)->required();
  auto* user_enable = user->add_subcommand("enable", "let a disabled account log in again");
  user_enable->add_option("NAME", user_name)->required();
  auto* user_passwd = user->add_subcommand("passwd", "set an account's password");
  user_passwd->add_option("NAME", user_name)->required();
  auto* token = app.add_subcommand("token", "API tokens for scripts and a SOC (shown once)")->require_subcommand(1);
  auto* token_add = token->add_subcommand("add", "make a token with a role");
  token_add->add_option("NAME", user_name)->required();
  token_add->add_option("--role", role, "operator | supervisor | ciso | auditor")->required();
  auto* token_list = token->add_subcommand("list", "every token's name and role");
  auto* token_disable = token->add_subcommand("disable", "revoke a token");
  token_disable->add_option("NAME", user_name)->required();
  std::string backup_out;
  bool replace = false;
  auto* backup = app.add_subcommand("backup", "copy the state (database, journal key, device keys) while lifelined runs");
  backup->add_option("--out", backup_out, "archive to write (mode 0600; must not exist)")->required();
  auto* restore = app.add_subcommand("restore", "put a backup back into the state directory (lifelined stopped)");
  restore->add_option("FILE", file, "archive from `lifeline backup`")->required();
  restore->add_flag("--replace", replace, "move an existing database aside (*.before-restore) instead of refusing");
  auto* console = app.add_subcommand("console", "the HTTPS console")->require_subcommand(1);
  auto* console_fp = console->add_subcommand("fingerprint", "the certificate's SHA-256, to trust it on first use");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*validate && !stage.empty()) return StageValidate(ctx, file, stage, stage_report);
  if (*validate && !stage_report.empty()) return EnvError(InvalidArgument("--report needs --stage"));
  if (*validate) return ReportValidate(ctx, file);
  if (*submit) return ReportSubmit(ctx, file, /*revision=*/false);
  if (*revise) return ReportSubmit(ctx, file, /*revision=*/true);
  if (*list) return ReportList(ctx, list_options);
  if (*show) return ReportShow(ctx, id);
  if (*damage) return ReportStage(ctx, id, file, "damage-control");
  if (*close) return ReportStage(ctx, id, file, "closing");
  if (*approve) return ReportApprove(ctx, id, approve_level, impact, signer, note_text);
  if (*sign) return ReportSign(ctx, id, sign_as, signer);
  if (*print_record) return ReportPrint(ctx, id, pdf_out);
  if (*evidence_export) return EvidenceExport(ctx, id, out);
  if (*timeline) return ReportTimeline(ctx, id, follow_report);
  if (*rules_show) return RulesShow(ctx, report_file);
  if (*verify) return JournalVerify(ctx);
  if (*evidence_key) return EvidenceKey(ctx);
  if (*user_add) return UserAdd(ctx, user_name, role);
  if (*user_list) return UserList(ctx);
  if (*user_disable) return UserDisable(ctx, user_name, true);
  if (*user_enable) return UserDisable(ctx, user_name, false);
  if (*user_passwd) return UserPassword(ctx, user_name);
  if (*token_add) return TokenAdd(ctx, user_name, role);
  if (*token_list) return TokenList(ctx);
  if (*token_disable) return TokenDisable(ctx, user_name);
  if (*console_fp) return ConsoleFingerprint(ctx);
  if (*backup) return Backup(ctx, backup_out);
  if (*restore) return Restore(ctx, file, replace);
  if (*evidence_verify) return EvidenceVerify(ctx, file, bundle_key);
  if (*jshow) return JournalShow(ctx, journal_report);
  if (*sms_test) return SmsTest(ctx, number, text, device, wait_reports, message_id);
  if (*fax_render) return FaxRender(ctx, id, out, fax_stage);
  if (*fax_test) return FaxTest(ctx, number, id, device, fax_retry);
  if (*pending) return PhonePending(ctx, all_tasks);
  if (*confirm) return PhoneConfirm(ctx, task, answered_by, answered_at, note);
  if (*drill_start) {
    if (!plan_file.empty()) {
      auto assigned = PlannedScenario(plan_file, plan_unit, plan_scenarios);
      if (!assigned.ok()) return EnvError(assigned.status());
      std::cout << "PLAN: unit " << plan_unit << " drills scenario " << *assigned << "\n";
      scenario = *assigned;
    }
    if (scenario.empty()) return EnvError(InvalidArgument("give --scenario FILE, or --plan FILE --unit ID"));
    return DrillStart(ctx, scenario, follow, follow_seconds, allow_partial);
  }
  if (*drill_list) return DrillList(ctx);
  if (*drill_timeline) return DrillTimeline(ctx, id);
  if (int rc = run_programme(ctx); rc >= 0) return rc;
  return 2;
}

}  // namespace
}  // namespace lifeline::cli

int main(int argc, char** argv) { return lifeline::cli::Run(argc, argv); }
