// One attempt end to end (modem init, dial, T.30, hang-up) and the retry
// decision that follows it. Everything that happened is written into the
// evidence, including failures of our own side.
#include <tiffio.h>

#include <filesystem>

#include "daemon/channels/fax/class1_modem.h"
#include "daemon/channels/fax/fax.h"
#include "daemon/core/text.h"
#include "daemon/channels/fax/serial_port.h"
#include "daemon/channels/fax/t30_session.h"

namespace lifeline::fax {
namespace {

using std::chrono::seconds;

WallTime WallNow() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

int CountTiffPages(const std::string& path) {
  TIFFSetErrorHandler(nullptr);
  TIFFSetWarningHandler(nullptr);
  TIFF* t = TIFFOpen(path.c_str(), "r");
  if (t == nullptr) return 0;
  int n = 0;
  do ++n;
  while (TIFFReadDirectory(t));
  TIFFClose(t);
  return n;
}

DialResult FromReply(ModemReply r) {
  switch (r) {
    case ModemReply::kConnect: return DialResult::kAnswered;
    case ModemReply::kBusy: return DialResult::kBusy;
    case ModemReply::kNoAnswer: return DialResult::kNoAnswer;
    case ModemReply::kNoCarrier: return DialResult::kNoCarrier;
    case ModemReply::kNoDialtone: return DialResult::kNoDialtone;
    default: return DialResult::kModemError;
  }
}

// "(02)2733-1655" as people write it becomes "0227331655"; anything that is
// not a dial character makes the number invalid (it would end up inside ATD).
std::string NormaliseNumber(const std::string& n) {
  std::string out;
  for (char c : n) {
    if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') out.push_back(c);
  }
  return out;
}

bool ValidNumber(const std::string& n) {
  if (n.empty() || n.size() > 40) return false;
  for (char c : n) {
    if (!((c >= '0' && c <= '9') || c == '*' || c == '#' || c == ',' || c == 'W' || c == 'w')) return false;
  }
  return true;
}

Status InitModem(Class1Modem& modem, const FaxSendOptions& o) {
  for (const auto& cmd : o.init_commands) {
    auto r = modem.Command(cmd, seconds(5));
    if (!r.ok()) return r.status();
    if (*r != ModemReply::kOk) return Unavailable(cmd + " answered " + std::string(ModemReplyName(*r)));
  }
  return Status::Ok();
}

// Dials and, when answered, runs the T.30 session; fills `ev`.
void DialAndSend(Class1Modem& modem, const FaxSendOptions& o, const std::string& tiff,
                 AttemptEvidence& ev) {
  std::string literal;
  auto r = modem.Command("ATD" + o.dial_prefix + ev.number, o.dial_timeout, false, &literal);
  if (!r.ok()) {
    ev.error = r.status().ToString();
    return;
  }
  ev.modem_result = *r == ModemReply::kTimeout ? "(no reply)" : literal;
  ev.dial = FromReply(*r);
  if (ev.dial != DialResult::kAnswered) {
    ev.t30_text = "call not answered: " + ev.modem_result;
    return;
  }
  T30Session session(modem, o, &ev);
  if (auto st = session.Run(tiff); !st.ok()) ev.error = st.ToString();
}

}  // namespace

std::string_view CodingName(Coding c) {
  switch (c) {
    case Coding::kMh: return "T.4 1-D (MH)";
    case Coding::kMr: return "T.4 2-D (MR)";
    case Coding::kT6: return "T.6 (MMR)";
  }
  return "?";
}

std::string_view DialResultName(DialResult r) {
  switch (r) {
    case DialResult::kAnswered: return "answered";
    case DialResult::kBusy: return "busy";
    case DialResult::kNoAnswer: return "no_answer";
    case DialResult::kNoCarrier: return "no_carrier";
    case DialResult::kNoDialtone: return "no_dialtone";
    case DialResult::kModemError: return "modem_error";
  }
  return "?";
}

nlohmann::json AttemptEvidence::ToJson() const {
  nlohmann::json pages_json = nlohmann::json::array();
  for (const auto& p : pages) {
    pages_json.push_back({{"page", p.page}, {"response", p.response}, {"confirmed", p.confirmed}});
  }
  // The far end's identity and the modem's words are bytes from outside: kept
  // as safe text, with the raw bytes beside them when they were not.
  nlohmann::json j = {{"started_at", FormatUtcMicros(started_at)}, {"ended_at", FormatUtcMicros(ended_at)},
                      {"number", number}, {"dial", DialResultName(dial)}, {"modem_result", SafeText(modem_result)},
                      {"remote_csi", SafeText(remote_csi)}, {"pages_in_document", pages_in_document},
                      {"pages_sent", pages_sent}, {"pages_confirmed", pages_confirmed}, {"pages", pages_json},
                      {"bit_rate", bit_rate}, {"ecm", ecm}, {"coding", coding}, {"t30_code", t30_code},
                      {"t30_text", SafeText(t30_text)}, {"tiff_sent", tiff_sent}, {"error", SafeText(error)},
                      {"success", success()}};
  if (SafeText(remote_csi) != remote_csi) j["remote_csi_hex"] = HexBytes(remote_csi);
  return j;
}

AttemptEvidence SendFaxAttempt(const FaxSendOptions& o, const std::string& number,
                               const std::string& tiff_path) {
  AttemptEvidence ev;
  ev.started_at = WallNow();
  ev.number = NormaliseNumber(number);
  ev.tiff_sent = tiff_path;
  ev.pages_in_document = CountTiffPages(tiff_path);
  std::unique_lock device(DeviceMutex(o.device));  // the call owns the modem; a line check waits its turn
  if (!ValidNumber(ev.number)) {
    ev.error = "invalid fax number '" + number + "'";
  } else if (ev.pages_in_document == 0) {
    ev.error = "cannot read TIFF " + tiff_path;
  } else if (o.cancel != nullptr && o.cancel->load()) {
    ev.error = "call cancelled before dialling";
  } else if (auto port = PosixSerialPort::Open(o.device); !port.ok()) {
    ev.error = port.status().ToString();
  } else {
    Class1Modem modem(**port, o.trace);
    modem.set_cancel(o.cancel);
    (*port)->DiscardInput();
    if (auto st = InitModem(modem, o); !st.ok()) {
      ev.error = st.ToString();
    } else {
      DialAndSend(modem, o, tiff_path, ev);
    }
    // A modem that no longer answers is hung up by closing the port.
    if (modem.cancelled()) {
      // Cancelled mid-dial or mid-page the modem may be in data mode, where a
      // plain ATH0 would go down the line as data.
      auto hangup = modem.HangUpFromAnyState();
      (void)hangup;
    } else {
      auto hangup = modem.Command("ATH0", seconds(5));
      (void)hangup;
    }
  }
  if (ev.t30_text.empty() && !ev.error.empty()) ev.t30_text = "T.30 not started: " + ev.error;
  ev.ended_at = WallNow();
  return ev;
}

}  // namespace lifeline::fax
