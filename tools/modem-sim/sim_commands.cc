// The extended (+) commands the simulated modem understands, and AT+CMGS.
#include <charconv>

#include "tools/modem-sim/sim_modem.h"

namespace lifeline::modemsim {
namespace {

struct Cmd {
  std::string name;
  enum Kind { kAction, kRead, kTest, kSet } kind = kAction;
  std::string args;
};

Cmd SplitCmd(std::string_view text) {
  Cmd c;
  const size_t at = text.find_first_of("=?");
  c.name = std::string(text.substr(0, at));
  if (at == std::string_view::npos) return c;
  const std::string_view tail = text.substr(at);
  if (tail == "?") {
    c.kind = Cmd::kRead;
  } else if (tail == "=?") {
    c.kind = Cmd::kTest;
  } else {
    c.kind = Cmd::kSet;
    c.args = std::string(tail.substr(1));
  }
  return c;
}

std::optional<int> Int(std::string_view s) {
  int v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The first comma-separated field of a set command, as a number.
std::optional<int> FirstInt(const std::string& args) {
  const auto f = sms::SplitFields(args);
  return Int(f[0]);
}

constexpr int kCmeIncorrectPassword = 16;
constexpr int kCmeSimPinRequired = 11;
constexpr int kCmsInvalidPdu = 304;
constexpr int kCmsSimPin = 311;
constexpr int kCmsNoNetwork = 331;
constexpr int kCmsNotAllowed = 302;
constexpr int kCmsInvalidIndex = 321;
constexpr size_t kReportMemorySlots = 30;
constexpr int kCmeNotAllowed = 3;
constexpr int kCmeNotSupported = 4;

}  // namespace

void SimModem::Answer(std::string_view name, int value) {
  Info("+" + std::string(name) + ": " + std::to_string(value));
}

bool SimModem::ExecuteExtended(std::string_view text, SimTime now) {
  error_sent_ = false;
  if (ExtendedInfo(text) || ExtendedSettings(text) || ExtendedRegistration(text) ||
      ExtendedSms(text, now)) {
    return !error_sent_;
  }
  if (!error_sent_) Error();  // unknown command
  return false;
}

// Identification and status: +CGMI, +CGMM, +CGMR, +CGSN, +CIMI, +CSQ, +COPS, +CFUN.
bool SimModem::ExtendedInfo(std::string_view text) {
  const Cmd c = SplitCmd(text);
  if (c.name == "CGMI" || c.name == "GMI") {
    Info("lifeline");
  } else if (c.name == "CGMM" || c.name == "GMM") {
    Info("modem-sim LTE Cat-1");
  } else if (c.name == "CGMR" || c.name == "GMR") {
    Info("modem-sim 1.0");
  } else if (c.name == "CGSN" || c.name == "GSN") {
    Info("356938035643809");
  } else if (c.name == "CIMI") {
    if (SimReady()) {
      Info("466920123456789");
    } else {
      CmeError(kCmeSimPinRequired);
      error_sent_ = true;
    }
  } else if (c.name == "CSQ") {
    Info("+CSQ: " + std::to_string(rssi_) + ",99");
  } else if (c.name == "COPS" && c.kind == Cmd::kRead) {
    Info(Registered() ? "+COPS: 0,0,\"Chunghwa Telecom\",7" : "+COPS: 0");
  } else if (c.name == "CFUN") {
    if (c.kind == Cmd::kRead) Info("+CFUN: 1");
    if (c.kind == Cmd::kSet && c.args == "1,1") reboot_after_ok_ = true;
  } else {
    return false;
  }
  return true;
}

// Settings: +CMEE, +CMGF, +CNMI, +CSMS, +CSCS, +CPMS, +CSMP, +CPIN, +CSCA.
bool SimModem::ExtendedSettings(std::string_view text) {
  const Cmd c = SplitCmd(text);
  auto fail = [this](int cme) {
    CmeError(cme);
    error_sent_ = true;
    return true;
  };
  if (c.name == "CMEE") {
    if (c.kind == Cmd::kRead) Answer("CMEE", cmee_);
    if (c.kind == Cmd::kTest) Info("+CMEE: (0-2)");
    if (c.kind == Cmd::kSet) {
      auto v = FirstInt(c.args);
      if (!v || *v < 0 || *v > 2) return fail(kCmeNotSupported);
      cmee_ = *v;
    }
  } else if (c.name == "CMGF") {
    if (c.kind == Cmd::kRead) Answer("CMGF", cmgf_);
    if (c.kind == Cmd::kTest) Info("+CMGF: (0)");  // PDU mode only
    if (c.kind == Cmd::kSet && FirstInt(c.args) != 0) return fail(kCmeNotSupported);
  } else if (c.name == "CNMI") {
    if (c.kind == Cmd::kRead) Info("+CNMI: 2,1,0," + std::to_string(cnmi_ds_) + ",0");
    if (c.kind == Cmd::kTest) Info("+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)");
    if (c.kind == Cmd::kSet) {
      const auto f = sms::SplitFields(c.args);
      const int ds = f.size() > 3 ? Int(f[3]).value_or(0) : 0;
      if (ds == 2 && !config_.report_memory) return fail(kCmeNotSupported);
      cnmi_ds_ = ds;
    }
  } else if (c.name == "CSMS") {
    if (c.kind == Cmd::kRead) Info("+CSMS: 0,1,1,1");
    if (c.kind == Cmd::kTest) Info("+CSMS: (0,1)");
  } else if (c.name == "CSCS") {
    if (c.kind == Cmd::kRead) Info("+CSCS: \"GSM\"");
    if (c.kind == Cmd::kTest) Info("+CSCS: (\"GSM\",\"UCS2\",\"IRA\")");
  } else if (c.name == "CPMS") {
    const std::string used = std::to_string(read_memory_ == "SR" ? stored_.size() : 0);
    const std::string slots = std::to_string(kReportMemorySlots);
    if (c.kind == Cmd::kSet) {
      const auto f = sms::SplitFields(c.args);
      if (f.empty() || (f[0] != "SM" && f[0] != "ME" && f[0] != "SR")) {
        CmsError(kCmsNotAllowed);
        error_sent_ = true;
        return true;
      }
      read_memory_ = f[0];
      const std::string n = std::to_string(read_memory_ == "SR" ? stored_.size() : 0);
      Info("+CPMS: " + n + "," + slots + ",0," + slots + ",0," + slots);
    } else if (c.kind == Cmd::kRead) {
      Info("+CPMS: \"" + read_memory_ + "\"," + used + "," + slots + ",\"SM\",0," + slots +
           ",\"SM\",0," + slots);
    } else {
      Info("+CPMS: (\"SM\",\"ME\",\"SR\"),(\"SM\",\"ME\"),(\"SM\",\"ME\")");
    }
  } else if (c.name == "CSMP") {
    if (c.kind == Cmd::kRead) Info("+CSMP: 17,167,0,0");
  } else if (c.name == "CPIN") {
    if (c.kind == Cmd::kRead) Info("+CPIN: " + std::string(SimReady() ? "READY" : "SIM PIN"));
    if (c.kind == Cmd::kSet) {
      if (SimReady()) return fail(kCmeNotAllowed);
      if (sms::SplitFields(c.args)[0] != config_.pin) return fail(kCmeIncorrectPassword);
      pin_state_ = sms::PinState::kReady;
      SetRegistered(true);
    }
  } else if (c.name == "CSCA") {
    if (c.kind == Cmd::kRead) Info("+CSCA: \"" + config_.smsc + "\",145");
    if (c.kind == Cmd::kSet) config_.smsc = sms::SplitFields(c.args)[0];
  } else {
    return false;
  }
  return true;
}

bool SimModem::ExtendedRegistration(std::string_view text) {
  const Cmd c = SplitCmd(text);
  auto it = reg_.find(c.name);
  if (it == reg_.end()) return false;
  RegInfo& r = it->second;
  if (c.kind == Cmd::kTest) Info("+" + c.name + ": (0-2)");
  if (c.kind == Cmd::kSet) {
    auto n = FirstInt(c.args);
    if (!n || *n < 0 || *n > 2) {
      CmeError(kCmeNotSupported);
      error_sent_ = true;
      return true;
    }
    r.urc_mode = *n;
  }
  if (c.kind == Cmd::kRead) {
    std::string line =
        "+" + c.name + ": " + std::to_string(r.urc_mode) + "," + std::to_string(EffectiveStat(r));
    if (r.urc_mode == 2) line += ",\"2F4A\",\"01A2D001\"," + std::to_string(r.act);
    Info(line);
  }
  return true;
}

// AT+CMGL, AT+CMGR, AT+CMGD on the memory AT+CPMS chose; only "SR" holds anything.
bool SimModem::ExtendedStorage(std::string_view text) {
  const Cmd c = SplitCmd(text);
  if (c.name != "CMGL" && c.name != "CMGR" && c.name != "CMGD") return false;
  auto fail = [this](int cms) {
    CmsError(cms);
    error_sent_ = true;
    return true;
  };
  if (c.kind == Cmd::kTest) {
    if (c.name == "CMGL") Info("+CMGL: (0-4)");
    return true;
  }
  const auto arg = FirstInt(c.args);
  if (c.name == "CMGL") {
    const int stat = c.kind == Cmd::kSet ? arg.value_or(-1) : 0;
    if (stat < 0 || stat > 4) return fail(kCmsNotAllowed);
    ListStored(stat);
    return true;
  }
  if (c.kind != Cmd::kSet || !arg) return fail(kCmsNotAllowed);
  auto it = read_memory_ == "SR" ? stored_.find(*arg) : stored_.end();
  if (it == stored_.end()) return fail(kCmsInvalidIndex);
  if (c.name == "CMGD") {
    stored_.erase(it);
    return true;
  }
  const auto bytes = sms::FromHex(it->second.pdu_hex);
  const size_t tpdu = bytes.ok() && !bytes->empty() ? bytes->size() - 1 - (*bytes)[0] : 0;
  Info("+CMGR: " + std::to_string(it->second.read ? 1 : 0) + ",," + std::to_string(tpdu));
  Info(it->second.pdu_hex);
  it->second.read = true;
  return true;
}

void SimModem::ListStored(int stat) {
  if (read_memory_ != "SR") return;
  for (auto& [index, report] : stored_) {
    const int s = report.read ? 1 : 0;
    if (stat != 4 && stat != s) continue;
    const auto bytes = sms::FromHex(report.pdu_hex);
    const size_t tpdu = bytes.ok() && !bytes->empty() ? bytes->size() - 1 - (*bytes)[0] : 0;
    Info("+CMGL: " + std::to_string(index) + "," + std::to_string(s) + ",," + std::to_string(tpdu));
    Info(report.pdu_hex);
    report.read = true;
  }
}

// Keeps a report in the "SR" memory and says where; false when it is full.
bool SimModem::StoreReport(const std::string& pdu_hex) {
  if (stored_.size() >= kReportMemorySlots) return false;
  int index = 1;
  while (stored_.count(index)) ++index;
  stored_[index] = StoredReport{pdu_hex, false};
  Urc("+CDSI: \"SR\"," + std::to_string(index));
  return true;
}

bool SimModem::ExtendedSms(std::string_view text, SimTime) {
  if (ExtendedStorage(text)) return true;
  const Cmd c = SplitCmd(text);
  if (c.name != "CMGS") return false;
  if (c.kind == Cmd::kTest) return true;
  const auto len = FirstInt(c.args);
  if (c.kind != Cmd::kSet || !len || *len < 7 || *len > 164) {
    CmsError(kCmsInvalidPdu);
    error_sent_ = true;
    return true;
  }
  pdu_length_ = *len;
  pdu_.clear();
  mode_ = Mode::kPduInput;
  out_ += "\r\n> ";
  return true;
}

void SimModem::FinishSubmit(SimTime now) {
  SubmitRecord rec{++submit_count_, pdu_, "ok", -1};
  auto finish = [&](int cms) {
    rec.result = "cms " + std::to_string(cms);
    CmsError(cms);
    submits_.push_back(rec);
  };
  if (silent_at_submit_ != 0 && submit_count_ >= silent_at_submit_) {
    silent_ = true;
    rec.result = "silent";
    submits_.push_back(rec);
    return;
  }
  auto bytes = sms::FromHex(pdu_);
  if (!bytes.ok() || bytes->empty() || int(bytes->size()) - 1 - (*bytes)[0] != pdu_length_) {
    return finish(kCmsInvalidPdu);
  }
  auto submit = sms::DecodeSubmitPdu(*bytes);
  if (!submit.ok()) return finish(kCmsInvalidPdu);
  if (!SimReady()) return finish(kCmsSimPin);
  if (!Registered()) return finish(kCmsNoNetwork);
  if (auto it = cms_for_number_.find(submit->to.ToString()); it != cms_for_number_.end()) {
    return finish(it->second);
  }
  if (cms_code_ != 0 && (cms_on_submit_ == 0 || cms_on_submit_ == submit_count_)) {
    const int code = cms_code_;
    if (cms_on_submit_ != 0) cms_code_ = 0;
    return finish(code);
  }
  rec.mr = next_mr_;
  next_mr_ = (next_mr_ + 1) % 256;
  submits_.push_back(rec);
  Info("+CMGS: " + std::to_string(rec.mr));
  Ok();
  if (submit->status_report_requested) ScheduleReport(*submit, rec.mr, now);
}

void SimModem::ScheduleReport(const sms::DecodedSubmit& submit, int mr, SimTime now) {
  if (config_.report_status < 0) return;
  PendingReport r;
  r.message_ref = mr;
  r.recipient = submit.to;
  r.sent = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  r.status = config_.report_status;
  r.delay = config_.report_delay;
  events_.push_back({now + config_.report_delay, [this, r](SimTime at) { DeliverReport(r, at); }});
}

void SimModem::DeliverReport(const PendingReport& p, SimTime now) {
  if (mode_ == Mode::kPduInput || booting_) {  // the TA holds URCs while the link is busy
    events_.push_back({now + milliseconds(50), [this, p](SimTime at) { DeliverReport(p, at); }});
    return;
  }
  if (cnmi_ds_ != 1 && cnmi_ds_ != 2) return;  // ds=0: not routed, not kept
  constexpr int kTaipei = 8 * 60;
  sms::StatusReport r;
  r.message_ref = p.message_ref;
  r.recipient = p.recipient;
  r.sc_timestamp = WithOffset(p.sent, kTaipei);
  r.discharge_time = WithOffset(p.sent + std::chrono::ceil<std::chrono::seconds>(p.delay), kTaipei);
  r.status = static_cast<uint8_t>(p.status);
  const auto pdu = sms::EncodeStatusReportPdu(*sms::ParsePhoneNumber(config_.smsc), r);
  if (cnmi_ds_ == 2) {
    StoreReport(sms::ToHex(pdu));  // a full memory loses it, as a real SIM does
    return;
  }
  Info("+CDS: " + std::to_string(pdu.size() - 1 - pdu[0]));
  out_ += sms::ToHex(pdu) + "\r\n";
}

}  // namespace lifeline::modemsim
