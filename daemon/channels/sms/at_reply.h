// Parsers for the modem's side of a 27.005/27.007 conversation: final result
// codes, information responses (+CSQ, +CREG/+CGREG/+CEREG, +CPIN, +CSCA,
// +CMGS) and unsolicited result codes (+CDS, +CMTI, RING, boot messages).
// Pure functions over one line (no CR/LF); bad input yields a Status, never a crash.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline::sms {

enum class FinalKind { kOk, kError, kCmsError, kCmeError, kNoCarrier, kBusy, kNoAnswer };

struct FinalResult {
  FinalKind kind = FinalKind::kOk;
  int code = -1;     // +CMS/+CME ERROR number; -1 when the modem sent text (+CMEE=2)
  std::string text;  // the line as received, for logs and evidence
};

// The result code that ends a command, or nullopt for any other line.
std::optional<FinalResult> ParseFinalResult(std::string_view line);

struct SignalQuality {
  int rssi = 99;  // 0..31, 99 = not known
  int ber = 99;   // 0..7, 99 = not known
  // -113 dBm + 2 per step; nullopt when not known.
  std::optional<int> Dbm() const;
  friend bool operator==(const SignalQuality&, const SignalQuality&) = default;
};
Result<SignalQuality> ParseCsq(std::string_view line);

enum class RegDomain { kCs, kGprs, kEps };  // +CREG, +CGREG, +CEREG
enum class RegState {
  kNotSearching = 0,
  kHome = 1,
  kSearching = 2,
  kDenied = 3,
  kUnknown = 4,
  kRoaming = 5,
  kHomeSmsOnly = 6,
  kRoamingSmsOnly = 7,
  kEmergencyOnly = 8,
  kHomeCsfbNotPreferred = 9,
  kRoamingCsfbNotPreferred = 10,
};
std::string_view RegStateName(RegState s);

struct Registration {
  RegDomain domain = RegDomain::kCs;
  RegState state = RegState::kUnknown;
  std::string area;                      // LAC or TAC, hex, if reported
  std::string cell_id;                   // hex, if reported
  std::optional<int> access_technology;  // 27.007 <AcT>: 0 GSM, 2 UTRAN, 7 E-UTRAN, ...
  // Registered for SMS purposes (home, roaming, SMS-only, CSFB variants).
  bool Registered() const;
  friend bool operator==(const Registration&, const Registration&) = default;
};

// The query response ("+CREG: <n>,<stat>[,...]") and the unsolicited form
// ("+CREG: <stat>[,...]") differ only by the leading <n>, so the caller says which.
enum class RegForm { kQueryResponse, kUnsolicited };
Result<Registration> ParseRegistration(std::string_view line, RegForm form);

enum class PinState { kReady, kSimPin, kSimPuk, kSimPin2, kSimPuk2, kPhSimPin, kOther };
Result<PinState> ParseCpin(std::string_view line);
std::string_view PinStateName(PinState s);

// "+CMGS: <mr>[,<scts>]" -> <mr> (0..255).
Result<int> ParseCmgs(std::string_view line);
// "+CSCA: \"+886932400821\",145" -> "+886932400821" (may be empty when unset).
Result<std::string> ParseCsca(std::string_view line);

struct NewMessage {
  std::string memory;
  int index = 0;
};
Result<NewMessage> ParseCmti(std::string_view line);
// "+CDSI: <mem>,<index>": a status report the modem stored (AT+CNMI ds=2).
Result<NewMessage> ParseCdsi(std::string_view line);

// The header of one stored message as AT+CMGL lists it in PDU mode,
// "+CMGL: <index>,<stat>,[<alpha>],<length>"; its PDU line follows.
struct ListedMessage {
  int index = 0;
  int stat = 0;
  int length = 0;  // TPDU octets
};
Result<ListedMessage> ParseCmglHeader(std::string_view line);
// "+CDS: <length>" in PDU mode: the TPDU octet count of the PDU line that follows.
Result<int> ParseCdsHeader(std::string_view line);

enum class UrcKind {
  kNone,
  kStatusReport,  // +CDS: header; the PDU follows on the next line
  kNewMessage,    // +CMTI
  kStoredReport,  // +CDSI: a status report kept in the modem's memory
  kRing,
  kBoot,          // RDY, ^SYSSTART, +CFUN: 1, SMS DONE, PB DONE: the modem restarted
  kPinState,      // +CPIN: outside a +CPIN? query
  kRegistration,  // +CREG/+CGREG/+CEREG outside a query
};
UrcKind ClassifyUrc(std::string_view line);

// Splits "a,\"b,c\",d" into fields, unquoting; the text after "PREFIX: ".
std::vector<std::string> SplitFields(std::string_view text);

}  // namespace lifeline::sms
