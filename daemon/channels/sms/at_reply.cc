#include "daemon/channels/sms/at_reply.h"

#include <charconv>

namespace lifeline::sms {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The text after "PREFIX:" or an error naming what was expected.
Result<std::string_view> After(std::string_view line, std::string_view prefix) {
  if (!line.starts_with(prefix)) {
    return InvalidArgument("expected \"" + std::string(prefix) + "\" in \"" + std::string(line) +
                           "\"");
  }
  return Trim(line.substr(prefix.size()));
}

Result<int> ToInt(std::string_view s, int min, int max) {
  s = Trim(s);
  int v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    return InvalidArgument("\"" + std::string(s) + "\" is not a number");
  }
  if (v < min || v > max) {
    return InvalidArgument(std::to_string(v) + " is outside " + std::to_string(min) + ".." +
                           std::to_string(max));
  }
  return v;
}

Result<RegDomain> DomainOf(std::string_view line, std::string_view* rest) {
  struct Prefix {
    std::string_view text;
    RegDomain domain;
  };
  constexpr Prefix kPrefixes[] = {
      {"+CREG:", RegDomain::kCs}, {"+CGREG:", RegDomain::kGprs}, {"+CEREG:", RegDomain::kEps}};
  for (const Prefix& p : kPrefixes) {
    if (line.starts_with(p.text)) {
      *rest = Trim(line.substr(p.text.size()));
      return p.domain;
    }
  }
  return InvalidArgument("not a registration line: \"" + std::string(line) + "\"");
}

// Fills location fields from <lac/tac>,<ci>[,<AcT>...] (empty fields allowed in +CEREG).
Status FillLocation(const std::vector<std::string>& f, size_t at, Registration* r) {
  if (f.size() > at) r->area = f[at];
  if (f.size() > at + 1) r->cell_id = f[at + 1];
  if (f.size() > at + 2 && !f[at + 2].empty()) {
    auto act = ToInt(f[at + 2], 0, 15);
    if (!act.ok()) return act.status();
    r->access_technology = *act;
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> SplitFields(std::string_view text) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  for (std::string& f : out) f = std::string(Trim(f));
  return out;
}

std::optional<FinalResult> ParseFinalResult(std::string_view line) {
  struct Plain {
    std::string_view text;
    FinalKind kind;
  };
  constexpr Plain kPlain[] = {{"OK", FinalKind::kOk},
                              {"ERROR", FinalKind::kError},
                              {"NO CARRIER", FinalKind::kNoCarrier},
                              {"BUSY", FinalKind::kBusy},
                              {"NO ANSWER", FinalKind::kNoAnswer}};
  const std::string_view t = Trim(line);
  for (const Plain& p : kPlain) {
    if (t == p.text) return FinalResult{p.kind, -1, std::string(line)};
  }
  for (FinalKind kind : {FinalKind::kCmsError, FinalKind::kCmeError}) {
    const std::string_view prefix = kind == FinalKind::kCmsError ? "+CMS ERROR:" : "+CME ERROR:";
    if (!t.starts_with(prefix)) continue;
    auto code = ToInt(t.substr(prefix.size()), 0, 65535);
    return FinalResult{kind, code.ok() ? *code : -1, std::string(line)};
  }
  return std::nullopt;
}

std::optional<int> SignalQuality::Dbm() const {
  if (rssi < 0 || rssi > 31) return std::nullopt;
  return -113 + 2 * rssi;
}

Result<SignalQuality> ParseCsq(std::string_view line) {
  auto rest = After(line, "+CSQ:");
  if (!rest.ok()) return rest.status();
  const auto f = SplitFields(*rest);
  if (f.size() != 2) return InvalidArgument("+CSQ wants two fields: \"" + std::string(line) + "\"");
  auto rssi = ToInt(f[0], 0, 99);
  auto ber = ToInt(f[1], 0, 99);
  if (!rssi.ok()) return rssi.status();
  if (!ber.ok()) return ber.status();
  if (*rssi > 31 && *rssi != 99) return InvalidArgument("+CSQ rssi out of range");
  return SignalQuality{*rssi, *ber};
}

std::string_view RegStateName(RegState s) {
  constexpr std::string_view kNames[] = {"not-searching",
                                         "home",
                                         "searching",
                                         "denied",
                                         "unknown",
                                         "roaming",
                                         "home-sms-only",
                                         "roaming-sms-only",
                                         "emergency-only",
                                         "home-csfb-not-preferred",
                                         "roaming-csfb-not-preferred"};
  return kNames[static_cast<int>(s)];
}

bool Registration::Registered() const {
  switch (state) {
    case RegState::kHome:
    case RegState::kRoaming:
    case RegState::kHomeSmsOnly:
    case RegState::kRoamingSmsOnly:
    case RegState::kHomeCsfbNotPreferred:
    case RegState::kRoamingCsfbNotPreferred:
      return true;
    default:
      return false;
  }
}

Result<Registration> ParseRegistration(std::string_view line, RegForm form) {
  std::string_view rest;
  auto domain = DomainOf(line, &rest);
  if (!domain.ok()) return domain.status();
  const auto f = SplitFields(rest);
  const size_t stat_at = form == RegForm::kQueryResponse ? 1 : 0;
  if (f.size() <= stat_at)
    return InvalidArgument("registration line lacks <stat>: \"" + std::string(line) + "\"");
  if (form == RegForm::kQueryResponse) {
    auto n = ToInt(f[0], 0, 5);
    if (!n.ok()) return n.status();
  }
  auto stat = ToInt(f[stat_at], 0, 10);
  if (!stat.ok()) return stat.status();
  Registration r;
  r.domain = *domain;
  r.state = static_cast<RegState>(*stat);
  // +CGREG/+CEREG with n=2 put <rac>/<tac> differently, but <lac|tac>,<ci>,<AcT> lead in all three.
  LIFELINE_RETURN_IF_ERROR(FillLocation(f, stat_at + 1, &r));
  return r;
}

Result<PinState> ParseCpin(std::string_view line) {
  auto rest = After(line, "+CPIN:");
  if (!rest.ok()) return rest.status();
  struct Name {
    std::string_view text;
    PinState state;
  };
  constexpr Name kNames[] = {{"READY", PinState::kReady},      {"SIM PIN", PinState::kSimPin},
                             {"SIM PUK", PinState::kSimPuk},   {"SIM PIN2", PinState::kSimPin2},
                             {"SIM PUK2", PinState::kSimPuk2}, {"PH-SIM PIN", PinState::kPhSimPin}};
  for (const Name& n : kNames) {
    if (*rest == n.text) return n.state;
  }
  if (rest->empty()) return InvalidArgument("+CPIN without a state");
  return PinState::kOther;
}

std::string_view PinStateName(PinState s) {
  constexpr std::string_view kNames[] = {"ready",    "sim-pin",    "sim-puk", "sim-pin2",
                                         "sim-puk2", "ph-sim-pin", "other"};
  return kNames[static_cast<int>(s)];
}

Result<int> ParseCmgs(std::string_view line) {
  auto rest = After(line, "+CMGS:");
  if (!rest.ok()) return rest.status();
  return ToInt(SplitFields(*rest)[0], 0, 255);
}

Result<std::string> ParseCsca(std::string_view line) {
  auto rest = After(line, "+CSCA:");
  if (!rest.ok()) return rest.status();
  if (rest->empty() || rest->front() != '"') return InvalidArgument("+CSCA address is not quoted");
  return SplitFields(*rest)[0];
}

namespace {

// "<prefix> <mem>,<index>": where the modem stored something (+CMTI, +CDSI).
Result<NewMessage> ParseMemoryIndex(std::string_view line, std::string_view prefix) {
  auto rest = After(line, prefix);
  if (!rest.ok()) return rest.status();
  const auto f = SplitFields(*rest);
  if (f.size() != 2) return InvalidArgument(std::string(prefix) + " wants <mem>,<index>");
  auto index = ToInt(f[1], 0, 65535);
  if (!index.ok()) return index.status();
  return NewMessage{f[0], *index};
}

}  // namespace

Result<NewMessage> ParseCmti(std::string_view line) { return ParseMemoryIndex(line, "+CMTI:"); }
Result<NewMessage> ParseCdsi(std::string_view line) { return ParseMemoryIndex(line, "+CDSI:"); }

Result<ListedMessage> ParseCmglHeader(std::string_view line) {
  auto rest = After(line, "+CMGL:");
  if (!rest.ok()) return rest.status();
  const auto f = SplitFields(*rest);
  if (f.size() != 4 && f.size() != 3) return InvalidArgument("+CMGL wants <index>,<stat>,[<alpha>],<length>");
  auto index = ToInt(f[0], 0, 65535);
  if (!index.ok()) return index.status();
  auto stat = ToInt(f[1], 0, 4);
  if (!stat.ok()) return stat.status();
  auto length = ToInt(f.back(), 1, 176);
  if (!length.ok()) return length.status();
  return ListedMessage{*index, *stat, *length};
}

Result<int> ParseCdsHeader(std::string_view line) {
  auto rest = After(line, "+CDS:");
  if (!rest.ok()) return rest.status();
  const auto f = SplitFields(*rest);
  if (f.size() != 1) return InvalidArgument("+CDS in text mode is not supported; use +CMGF=0");
  return ToInt(f[0], 1, 164);
}

UrcKind ClassifyUrc(std::string_view line) {
  const std::string_view t = Trim(line);
  if (t.starts_with("+CDS:")) return UrcKind::kStatusReport;
  if (t.starts_with("+CMTI:")) return UrcKind::kNewMessage;
  if (t.starts_with("+CDSI:")) return UrcKind::kStoredReport;
  if (t == "RING") return UrcKind::kRing;
  if (t == "RDY" || t == "^SYSSTART" || t == "+CFUN: 1" || t == "SMS DONE" || t == "PB DONE" ||
      t == "SMS Ready" || t == "Call Ready") {
    return UrcKind::kBoot;
  }
  if (t.starts_with("+CPIN:")) return UrcKind::kPinState;
  if (t.starts_with("+CREG:") || t.starts_with("+CGREG:") || t.starts_with("+CEREG:")) {
    return UrcKind::kRegistration;
  }
  return UrcKind::kNone;
}

}  // namespace lifeline::sms
