// `lifeline fax ...` and `lifeline sms ...`: exercise a channel by hand, the way
// an officer checks the modems before trusting them in an outage.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "daemon/channels/fax/fax.h"
#include "daemon/channels/wiring/wiring.h"
#include "daemon/channels/sms/sms_test.h"
#include "daemon/config/config.h"
#include "daemon/core/text.h"
#include "daemon/report/report.h"
#include "daemon/rules/rules.h"
#include "daemon/store/store.h"
#include "daemon/channels/wiring/store_sms_ledger.h"
#include "tools/lifeline/client.h"
#include "tools/lifeline/commands.h"

namespace lifeline::cli {
namespace {

int Env(const Status& s) {
  std::cerr << "lifeline: " << s.message() << "\n";
  return 2;
}

// A report by id from lifelined (its latest revision), or from a .json file.
Result<Report> FetchReport(const Context& ctx, const std::string& id_or_file) {
  std::string text;
  if (id_or_file.size() > 5 && id_or_file.substr(id_or_file.size() - 5) == ".json") {
    std::ifstream in(id_or_file, std::ios::binary);
    if (!in) return NotFound("cannot read " + id_or_file);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  } else {
    auto config = LoadCliConfig(ctx);
    if (!config.ok()) return config.status();
    auto r = CallDaemon(config->socket_path, "GET", "/v1/reports/" + id_or_file, "");
    if (!r.ok()) return r.status();
    if (r->status != 200) return NotFound("lifelined has no report " + id_or_file);
    text = r->body["revisions"].back()["document"].dump();
  }
  ValidationOutcome o = ValidateReport(text);
  if (!o.ok()) return InvalidArgument("the report is not valid:\n" + o.Describe());
  return *o.report;
}

// The notice block of a manual render or test: the deadline and its wording
// come from the rule set, as they would in a real fallback.
Result<fax::FaxNotice> NoticeFor(const Context& ctx, const Report& report, const Config& config) {
  auto rules = ctx.rules_file.empty() ? DefaultRuleSet() : LoadRuleSetFile(ctx.rules_file);
  if (!rules.ok()) return rules.status();
  auto schedule = ComputeSchedule(*rules, {report.Level(), report.aware_at, report.affects_others});
  if (!schedule.ok()) return schedule.status();
  fax::FaxNotice n;
  n.reason = "（人工測試：未發生網路中斷）manual test, no outage";
  if (const auto* d = schedule->Find("fallback_notify_by")) {
    n.deadline = d->at;
    n.rule_label = d->title;
  }
  n.sender_agency = config.agency_name;
  n.sender_contact = config.agency_phone;
  return n;
}

// Manual channel tests leave their evidence in the journal like real attempts:
// an entry before the call starts and one with the evidence when it ends.
class TestJournal {
 public:
  static Result<TestJournal> Open(const Config& config) {
    std::error_code ec;
    std::filesystem::create_directories(config.state_dir, ec);
    TestJournal j;
    static const SystemClock clock;  // the store keeps a reference: it must outlive every TestJournal
    auto store = Store::Open(StoreOptionsFor(config.state_dir), clock);
    if (!store.ok()) return store.status();
    j.store_ = std::move(*store);
    return j;
  }
  Status Record(std::string_view type, const std::string& report_id, const nlohmann::json& payload) {
    return store_->RecordEvent(type, report_id, payload);
  }

 private:
  std::unique_ptr<Store> store_;
};

bool AllConfirmed(const fax::AttemptEvidence& e) {
  return e.pages_in_document > 0 && e.pages_confirmed == e.pages_in_document;
}

}  // namespace

namespace {

// The newest version of `stage` in lifelined's record of the report.
Result<nlohmann::json> FetchStage(const Context& ctx, const std::string& id, const std::string& stage) {
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return config.status();
  auto r = CallDaemon(config->socket_path, "GET", "/v1/reports/" + id, "");
  if (!r.ok()) return r.status();
  if (r->status != 200) return NotFound("lifelined has no report " + id);
  nlohmann::json found;
  for (const auto& s : r->body["record"].value("stages", nlohmann::json::array())) {
    if (s.value("stage", "") == stage) found = s.value("document", nlohmann::json());
  }
  if (found.is_null()) return NotFound("report " + id + " has no " + stage + " on record yet");
  return found;
}

// Stage 2 or 3 for the fax or the post: the record's own document, checked again.
int FaxRenderStage(const Context& ctx, const Report& report, const std::string& stage_name, const std::string& out) {
  auto document = FetchStage(ctx, report.id, stage_name);
  if (!document.ok()) return Env(document.status());
  const Stage stage = *StageFromName(stage_name);
  StageOutcome checked = ValidateStageJson(stage, *document, RefOf(report));
  if (!checked.ok()) return Env(InvalidArgument("the stored " + stage_name + " no longer validates:\n" + checked.Describe()));
  auto png = fax::RenderStageToFiles(stage, report, *document, fax::FaxNotice{}, fax::RenderOptions{}, out);
  if (!png.ok()) return Env(png.status());
  std::cout << stage_name << " (" << (stage == Stage::kDamageControl ? "貳、損害控制或復原" : "參、調查、處理及改善報告")
            << ") as the fax sends it or the post takes it\nTIFF-F: " << out << "\nPNG preview: " << *png << "\n";
  return 0;
}

}  // namespace

int FaxRender(const Context& ctx, const std::string& report_id, const std::string& out, const std::string& stage) {
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return Env(config.status());
  auto report = FetchReport(ctx, report_id);
  if (!report.ok()) return Env(report.status());
  if (!stage.empty()) return FaxRenderStage(ctx, *report, stage, out);
  auto notice = NoticeFor(ctx, *report, *config);
  if (!notice.ok()) return Env(notice.status());
  auto png = fax::RenderFormToFiles(*report, *notice, fax::RenderOptions{}, out);
  if (!png.ok()) return Env(png.status());
  std::cout << "TIFF-F (what the fax sends): " << out << "\nPNG preview: " << *png << "\n";
  return 0;
}

int FaxTest(const Context& ctx, const std::string& number, const std::string& report_id,
            const std::string& device, bool retry) {
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return Env(config.status());
  fax::FaxSendOptions options = FaxSendOptionsFrom(config->fax, device);
  if (options.device.empty()) return Env(FailedPrecondition("no fax modem: set fax.device or --device"));
  std::optional<Report> report;
  fax::FaxNotice notice;
  if (!report_id.empty()) {
    auto r = FetchReport(ctx, report_id);
    if (!r.ok()) return Env(r.status());
    report = *r;
    auto n = NoticeFor(ctx, *report, *config);
    if (!n.ok()) return Env(n.status());
    notice = *n;
  }
  auto journal = TestJournal::Open(*config);
  if (!journal.ok()) return Env(journal.status());
  std::string rid = report ? report->id : "";
  std::string work = (std::filesystem::temp_directory_path() / "lifeline-fax-test").string();
  fax::RetryPolicy policy = FaxRetryPolicyFrom(config->fax);
  auto first_start = std::chrono::steady_clock::now();
  std::optional<fax::AttemptEvidence> evidence;
  for (int attempt = 1;; ++attempt) {
    Status s = journal->Record("channel_test.start", rid,
                               {{"channel", "fax"}, {"number", number}, {"device", options.device}, {"attempt", attempt}});
    if (!s.ok()) return Env(s);
    Result<fax::AttemptEvidence> e = evidence ? fax::SendFaxAttempt(options, number, evidence->tiff_sent)
                                              : fax::RunFaxTest(options, number, report ? &*report : nullptr, notice, work);
    nlohmann::json end = e.ok() ? e->ToJson() : nlohmann::json{{"error", e.status().ToString()}};
    s = journal->Record("channel_test.end", rid, {{"channel", "fax"}, {"attempt", attempt}, {"evidence", end}});
    if (!s.ok()) std::cerr << "lifeline: the evidence could not be journaled: " << s.message() << "\n";
    if (!e.ok()) return Env(e.status());
    evidence = *e;
    std::cout << "attempt " << attempt << ":\n" << DumpJson(end, 2) << "\n";
    if (!retry || AllConfirmed(*evidence)) break;
    auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - first_start);
    fax::RetryDecision d = fax::DecideRetry(*evidence, attempt, elapsed, options.max_bit_rate, policy);
    std::cout << "retry decision: " << d.reason << "\n";
    if (d.action != fax::RetryAction::kRetry) break;
    std::cout << "next attempt in " << d.delay.count() << " s at up to " << d.next_max_bit_rate << " bit/s\n";
    std::this_thread::sleep_for(d.delay);
    options.max_bit_rate = d.next_max_bit_rate;
  }
  bool all = AllConfirmed(*evidence);
  std::cout << (all ? "SENT 已送達: every page confirmed by the receiver (MCF)\n"
                    : "NOT CONFIRMED 未確認送達: see the evidence above\n");
  return all ? 0 : 1;
}

int SmsTest(const Context& ctx, const std::string& number, const std::string& text, const std::string& device,
            int wait_reports_seconds, const std::string& message_id) {
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return Env(config.status());
  sms::SmsTestOptions o;
  o.device = device.empty() ? config->sms.device : device;
  if (o.device.empty()) return Env(FailedPrecondition("no SMS modem: set sms.device or --device"));
  o.pin = config->sms.pin;
  o.number = number;
  o.text = text;
  o.message_id = message_id;
  o.validity = std::chrono::minutes(config->sms.validity_minutes);
  o.max_attempts_per_part = config->sms.max_attempts_per_part;
  o.retry_delay = std::chrono::milliseconds(config->sms.retry_delay_ms);
  o.report_timeout = std::chrono::seconds(wait_reports_seconds);
  auto journal = TestJournal::Open(*config);
  if (!journal.ok()) return Env(journal.status());
  Status s = journal->Record("channel_test.start", "", {{"channel", "sms"}, {"number", number}, {"device", o.device}});
  if (!s.ok()) return Env(s);
  std::ostringstream evidence;
  SystemClock clock;
  auto open_ledger = [&](asio::io_context& io) { return OpenStoreSmsLedger(io, StoreOptionsFor(config->state_dir), clock); };
  int rc = sms::RunSmsTest(o, open_ledger, evidence);
  std::cout << evidence.str();
  s = journal->Record("channel_test.end", "", {{"channel", "sms"}, {"exit_code", rc}, {"evidence", evidence.str()}});
  if (!s.ok()) std::cerr << "lifeline: the evidence could not be journaled: " << s.message() << "\n";
  return rc;
}

}  // namespace lifeline::cli
