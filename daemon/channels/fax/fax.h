// lifeline's fax channel: renders stage 1 of the incident form (資通安全事件通報單)
// to fax pages and sends it through a Class 1 modem with spandsp's T.30, keeping
// per-attempt evidence (T.30 result, remote CSI, pages confirmed, TIFF sent).
// Every call is blocking and self-contained; run it on the daemon's worker, not
// the io_context thread. No global state; safe to use from one thread at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/channels/fax/fax_image.h"
#include "daemon/core/status.h"
#include "daemon/core/time_format.h"
#include "daemon/report/report.h"

#include <nlohmann/json.hpp>

namespace lifeline::fax {

// What the notice block on the first page says about this alternative notification.
// The deadline and its wording come from the rule set (rules are data), not from here.
struct FaxNotice {
  std::string reason;            // why the designated method (the national site) failed
  std::optional<OffsetTime> deadline;  // when the notification is due (aware_at + rule)
  std::string rule_label;        // the rule in words, e.g. "知悉後1小時內"; empty = not shown
  std::string recipient;         // e.g. "國家資通安全會報技術服務中心"; empty = not shown
  std::string sender_agency;     // empty = the report's agency
  std::string sender_contact;    // empty = the report's reporter (name, phone, fax, e-mail)
};

struct RenderOptions {
  Resolution resolution = Resolution::kFine;
  std::string font_path;  // empty: Noto Sans CJK, then WenQuanYi, from Debian's paths
  int font_face = -1;     // face in a .ttc; -1: the Traditional Chinese face if present
};

// Renders the form to pages in memory.
Result<std::vector<FaxPage>> RenderForm(const Report& report, const FaxNotice& notice,
                                        const RenderOptions& options);
// Renders and writes a TIFF-F at `tiff_path`; returns the number of pages.
Result<int> RenderFormTiff(const Report& report, const FaxNotice& notice,
                           const RenderOptions& options, const std::string& tiff_path);
// For `lifeline fax render`: writes `tiff_path` and a PNG preview next to it
// (same name, extension .png). Returns the PNG's path.
Result<std::string> RenderFormToFiles(const Report& report, const FaxNotice& notice,
                                      const RenderOptions& options, const std::string& tiff_path);

// Stage 2 or 3 of the form (the report's category's pages P20-P35), as a fax
// sends it or the post takes it when the site cannot: pages in memory, and
// for `lifeline fax render --stage` a TIFF-F with its PNG preview (returned).
Result<std::vector<FaxPage>> RenderStageForm(Stage stage, const Report& report, const nlohmann::json& document,
                                             const FaxNotice& notice, const RenderOptions& options);
Result<std::string> RenderStageToFiles(Stage stage, const Report& report, const nlohmann::json& document,
                                       const FaxNotice& notice, const RenderOptions& options,
                                       const std::string& tiff_path);

// ---- Sending through a Class 1 modem -------------------------------------------------

// The best image coding the sender offers; the call uses the best one the
// receiver also supports (its DIS). Each step compresses the page further, so
// the same page takes less of the line: T.4 1-D (MH, every fax machine), T.4
// 2-D (MR), T.6 (MMR, which T.30 allows only with ECM, so it is offered only
// when `ecm` is on). Lower it for a receiver known to mishandle the better ones.
enum class Coding { kMh, kMr, kT6 };
// "T.4 1-D (MH)", "T.4 2-D (MR)", "T.6 (MMR)".
std::string_view CodingName(Coding c);

struct FaxSendOptions {
  std::string device;                 // serial port of the Class 1 modem, e.g. /dev/ttyACM0
  std::string local_ident = "lifeline";  // our TSI (20 characters at most, digits + space)
  std::string dial_prefix = "T";      // ATD<prefix><number>: T tone, P pulse
  bool ecm = true;                    // error correction mode offered; off on request
  Coding best_coding = Coding::kT6;   // see Coding: MH always, MR and T.6 up to this
  int max_bit_rate = 14400;           // 14400 (V.17), 9600 (V.29) or 4800 (V.27ter)
  std::vector<std::string> init_commands = {"ATZ", "ATE0", "AT+FCLASS=1"};
  std::chrono::seconds dial_timeout{90};    // ATD until CONNECT/BUSY/NO ANSWER
  std::chrono::seconds call_timeout{600};   // whole call after CONNECT
  bool trace = false;                 // spandsp T.30 log and AT traffic to stderr
  // Set by another thread to end the call early (runner shutdown or a notice
  // no longer needed). Every wait checks it at least every 20 ms; the modem is
  // then taken out of data mode and hung up, which takes a few seconds at most.
  // Not owned; null = the call cannot be cancelled.
  const std::atomic<bool>* cancel = nullptr;
};

// The line's state for the contact watch: the modem answers and the line
// has dial tone (ATDT; returns OK), or why not. Blocking, a few seconds;
// never dials a number. Fails only for errors of the call itself.
struct LineCheck {
  bool dial_tone = false;
  std::string detail;  // "dial tone", "NO DIALTONE", "cannot open modem ..."
};
Result<LineCheck> CheckLine(const std::string& device, std::chrono::seconds timeout);

// One user of a modem device at a time in this process: a call holds it from
// opening the port to closing it; a line check that finds it held reports the
// line in use and does not touch the port (it would hang up the call).
std::mutex& DeviceMutex(const std::string& device);

// How the dialling ended (the modem's final result to ATD).
enum class DialResult { kAnswered, kBusy, kNoAnswer, kNoCarrier, kNoDialtone, kModemError };
std::string_view DialResultName(DialResult r);

struct PageEvidence {
  int page = 0;           // 1-based
  std::string response;   // post-page response: "MCF", "RTN", "RTP", "PPR", ... or "none"
  bool confirmed = false;  // MCF (or RTP: received, retrain asked)
};

// One attempt, everything an auditor asks about it. Journaled by the caller.
struct AttemptEvidence {
  WallTime started_at{}, ended_at{};
  std::string number;       // as dialled, without prefix
  DialResult dial = DialResult::kModemError;
  std::string modem_result;  // the modem's literal final result to ATD
  std::string remote_csi;    // the receiver's CSI, "" if none was given
  int pages_in_document = 0;
  int pages_sent = 0;
  int pages_confirmed = 0;
  std::vector<PageEvidence> pages;
  int bit_rate = 0;
  bool ecm = false;
  std::string coding;        // the image coding the call used (CodingName), "" if no page went
  int t30_code = -1;         // spandsp T30_ERR_*; 0 = OK; -1 = T.30 never ran
  std::string t30_text;      // spandsp's text for t30_code, or why T.30 did not run
  std::string tiff_sent;     // path of the TIFF-F copy that was transmitted
  std::string error;         // OS or modem error text, if any

  bool success() const { return t30_code == 0 && pages_confirmed == pages_in_document && pages_in_document > 0; }
  nlohmann::json ToJson() const;
};

// Retry policy per failure type. Defaults fit inside the one-hour rule: the
// escalation plan starts fax at about t+20 min, so the default budget leaves
// room for several attempts before the deadline (HylaFAX's 180 s busy / 300 s
// no-answer delays are shortened accordingly).
struct RetryPolicy {
  int max_attempts = 6;
  std::chrono::seconds busy_delay{90};
  std::chrono::seconds no_answer_delay{120};
  std::chrono::seconds no_carrier_delay{90};
  std::chrono::seconds no_dialtone_delay{30};
  std::chrono::seconds modem_error_delay{20};
  std::chrono::seconds call_failed_delay{30};  // T.30 failed after answer (line cut, RTN)
  std::chrono::seconds budget{35 * 60};        // from the first attempt's start
  std::chrono::seconds expected_call{90};      // reserved for the next call itself
};

enum class RetryAction { kDone, kRetry, kGiveUp };
struct RetryDecision {
  RetryAction action = RetryAction::kGiveUp;
  std::chrono::seconds delay{0};
  int next_max_bit_rate = 14400;  // speed fallback after a call that failed mid-way
  std::string reason;             // for the journal and the console
};

// Pure: what to do after `attempt` (1-based `attempt_no`), `elapsed` since the
// first attempt began, given the speed used by that attempt.
RetryDecision DecideRetry(const AttemptEvidence& evidence, int attempt_no,
                          std::chrono::seconds elapsed, int bit_rate_used,
                          const RetryPolicy& policy);

// One call: initialise the modem, dial, run T.30 to the end, hang up. Never
// throws; modem or OS failures come back inside the evidence (dial = kModemError).
AttemptEvidence SendFaxAttempt(const FaxSendOptions& options, const std::string& number,
                               const std::string& tiff_path);

// `lifeline fax test NUMBER [REPORT_ID]`: renders `report` (or a test page when
// null) to `work_dir`, sends it once and returns the evidence.
Result<AttemptEvidence> RunFaxTest(const FaxSendOptions& options, const std::string& number,
                                   const Report* report, const FaxNotice& notice,
                                   const std::string& work_dir);

}  // namespace lifeline::fax
