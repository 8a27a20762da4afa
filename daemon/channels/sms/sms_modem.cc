#include "daemon/channels/sms/sms_modem.h"
#include "daemon/core/text.h"

#include <nlohmann/json.hpp>

#include "daemon/channels/sms/pdu.h"
#include "daemon/core/log.h"

namespace lifeline::sms {
namespace {

// The first line with the command's prefix, or "" when the modem gave none.
std::string FirstLine(const AtResponse& r) { return r.lines.empty() ? "" : r.lines.front(); }

std::string ApplyRegistration(const AtResponse& r, ModemHealth* h) {
  auto reg = ParseRegistration(FirstLine(r), RegForm::kQueryResponse);
  if (!reg.ok()) return reg.status().message();
  (reg->domain == RegDomain::kCs     ? h->cs
   : reg->domain == RegDomain::kGprs ? h->gprs
                                     : h->eps) = *reg;
  return "";
}

std::string ApplyCsq(const AtResponse& r, ModemHealth* h) {
  auto q = ParseCsq(FirstLine(r));
  if (!q.ok()) return q.status().message();
  h->signal = *q;
  return "";
}

std::string ApplyCpin(const AtResponse& r, ModemHealth* h) {
  auto pin = ParseCpin(FirstLine(r));
  if (!pin.ok()) return pin.status().message();
  h->pin = *pin;
  return "";
}

nlohmann::json RegJson(const std::optional<Registration>& r) {
  if (!r) return nullptr;
  nlohmann::json j = {{"state", RegStateName(r->state)}, {"registered", r->Registered()}};
  if (r->access_technology) j["act"] = *r->access_technology;
  return j;
}

constexpr char kEnterPin[] = "AT+CPIN=<pin>";

}  // namespace

struct SmsModem::Step {
  AtCommand command;
  bool essential = false;
  std::function<bool(const ModemHealth&, const SmsModemOptions&)> needed;  // null: always
  std::string (*apply)(const AtResponse&, ModemHealth*) = nullptr;         // null: OK is enough
};

bool ModemHealth::Registered() const {
  return (cs && cs->Registered()) || (gprs && gprs->Registered()) || (eps && eps->Registered());
}

std::string ModemHealth::ToJson() const {
  nlohmann::json j = {{"port_open", port_open}, {"initialized", initialized},
                      {"ready", Ready()},       {"registered", Registered()},
                      {"smsc", smsc},           {"status_reports", status_reports},
                      {"report_memory", report_memory},
                      {"resets", resets},       {"reopens", reopens},
                      {"problem", problem}};
  j["pin"] = pin ? nlohmann::json(PinStateName(*pin)) : nlohmann::json(nullptr);
  j["signal_dbm"] =
      signal && signal->Dbm() ? nlohmann::json(*signal->Dbm()) : nlohmann::json(nullptr);
  j["cs"] = RegJson(cs);
  j["gprs"] = RegJson(gprs);
  j["eps"] = RegJson(eps);
  return DumpJson(j);
}

SmsModem::SmsModem(asio::io_context& io, SmsModemOptions options)
    : options_(std::move(options)), engine_(io, options_.at), init_timer_(io), health_timer_(io) {
  engine_.SetLinkHandler([this](bool up, const Status& why) { OnLink(up, why); });
  engine_.SetUrcHandler([this](const Urc& u) { OnUrc(u); });
}

void SmsModem::Start() {
  Status s = engine_.Start();
  if (!s.ok()) {
    health_.problem = s.message();
    Publish();
  }
  ScheduleHealth();
}

void SmsModem::Stop() {
  init_timer_.cancel();
  health_timer_.cancel();
  engine_.Stop();
}

void SmsModem::OnLink(bool up, const Status& why) {
  health_.port_open = up;
  health_.initialized = false;
  health_.reopens = engine_.reopen_count();
  if (!up) health_.problem = why.message();
  Publish();
  if (up) ScheduleInit(std::chrono::milliseconds(0));
}

void SmsModem::OnUrc(const Urc& urc) {
  switch (urc.kind) {
    case UrcKind::kStatusReport:
      return HandReport(urc.pdu_hex, [] {});  // routed, not stored: nothing to delete
    case UrcKind::kStoredReport:
      if (auto where = ParseCdsi(urc.line); where.ok()) return ReadStoredReport(where->index);
      spdlog::warn("sms: unusable +CDSI \"{}\"", SafeText(urc.line));
      return;
    case UrcKind::kBoot:
      spdlog::info("sms: modem restarted ({})", urc.line);
      health_.initialized = false;
      engine_.AbandonCurrent(Unavailable("the modem restarted (" + SafeText(urc.line) + ") before answering"));
      Publish();
      return ScheduleInit(options_.boot_settle);
    case UrcKind::kRegistration:
      if (auto reg = ParseRegistration(urc.line, RegForm::kUnsolicited); reg.ok()) {
        (reg->domain == RegDomain::kCs     ? health_.cs
         : reg->domain == RegDomain::kGprs ? health_.gprs
                                           : health_.eps) = *reg;
        Publish();
      }
      return;
    case UrcKind::kPinState:
      if (auto pin = ParseCpin(urc.line); pin.ok()) health_.pin = *pin;
      return Publish();
    default:
      spdlog::info("sms: modem says {}", urc.line);  // RING, +CMTI: nobody answers SMS here
  }
}

void SmsModem::ScheduleInit(std::chrono::milliseconds delay) {
  ++init_generation_;  // any init already running is abandoned
  init_running_ = true;
  init_timer_.expires_after(delay);
  init_timer_.async_wait([this, alive = alive_](const asio::error_code& ec) {
    if (*alive && !ec) RunInit(0);
  });
}

// The start-up sequence. Essential steps stop it on failure; the others only
// note a problem, since older modems reject e.g. +CEREG and still send SMS.
const std::vector<SmsModem::Step>& SmsModem::InitSteps() {
  static const std::vector<Step> kSteps = [] {
    auto q = [](std::string text, std::string prefix) { return AtCommand{text, prefix, {}, {}}; };
    auto pin_locked = [](const ModemHealth& h, const SmsModemOptions& o) {
      return h.pin == PinState::kSimPin && !o.pin.empty();
    };
    auto smsc = [](const AtResponse& r, ModemHealth* h) {
      auto a = ParseCsca(FirstLine(r));
      if (a.ok()) h->smsc = *a;
      return a.ok() ? std::string() : a.status().message();
    };
    auto reports_on = [](const AtResponse&, ModemHealth* h) {
      h->status_reports = true;
      return std::string();
    };
    auto reports_stored = [](const AtResponse&, ModemHealth* h) {
      h->status_reports = h->report_memory = true;
      return std::string();
    };
    auto no_report_memory = [](const ModemHealth& h, const SmsModemOptions&) { return !h.report_memory; };
    return std::vector<Step>{
        {q("ATE0", ""), true, nullptr, nullptr},
        {q("AT+CMEE=1", ""), false, nullptr, nullptr},
        {q("AT+CPIN?", "+CPIN:"), true, nullptr, ApplyCpin},
        {q(kEnterPin, ""), true, pin_locked, nullptr},  // the PIN itself is added when sent
        {q("AT+CPIN?", "+CPIN:"), true, pin_locked, ApplyCpin},
        {q("AT+CSQ", "+CSQ:"), false, nullptr, ApplyCsq},
        {q("AT+CREG=1", ""), false, nullptr, nullptr},
        {q("AT+CGREG=1", ""), false, nullptr, nullptr},
        {q("AT+CEREG=1", ""), false, nullptr, nullptr},
        {q("AT+CREG?", "+CREG:"), false, nullptr, ApplyRegistration},
        {q("AT+CGREG?", "+CGREG:"), false, nullptr, ApplyRegistration},
        {q("AT+CEREG?", "+CEREG:"), false, nullptr, ApplyRegistration},
        {q("AT+CSCA?", "+CSCA:"), false, nullptr, smsc},
        {q("AT+CMGF=0", ""), true, nullptr, nullptr},
        {q("AT+CPMS=\"SR\"", "+CPMS:"), false, nullptr, nullptr},  // where ds=2 keeps them
        {q("AT+CNMI=2,1,0,2,0", ""), false, nullptr, reports_stored},
        {q("AT+CNMI=2,1,0,1,0", ""), false, no_report_memory, reports_on},
    };
  }();
  return kSteps;
}

void SmsModem::RunInit(size_t index) {
  const auto& steps = InitSteps();
  if (index == 0) {
    health_.status_reports = health_.report_memory = false;
    stored_in_hand_.clear();  // a new start-up lists everything the modem still holds
  }
  while (index < steps.size() && steps[index].needed && !steps[index].needed(health_, options_)) {
    ++index;
  }
  if (index == steps.size()) {
    init_running_ = false;
    health_.initialized = true;
    if (health_.pin == PinState::kReady && !health_.Registered())
      health_.problem = "not registered";
    else if (health_.Ready())
      health_.problem.clear();
    Publish();
    if (health_.report_memory) ReadStoredReports();
    return;
  }
  AtCommand cmd = steps[index].command;
  cmd.timeout = options_.command_timeout;
  if (cmd.text == kEnterPin) cmd.text = "AT+CPIN=\"" + options_.pin + "\"";
  const uint64_t gen = init_generation_;
  engine_.Submit(cmd, [this, index, gen, alive = alive_](Result<AtResponse> r) {
    if (*alive && gen == init_generation_) OnInitStep(index, r);
  });
}

void SmsModem::OnInitStep(size_t index, const Result<AtResponse>& r) {
  const Step& step = InitSteps()[index];
  std::string problem;
  if (!r.ok()) {
    problem = r.status().message();
  } else if (r->final.kind != FinalKind::kOk) {
    problem = step.command.text + " answered " + r->final.text;  // never shows the PIN
  } else if (step.apply) {
    problem = step.apply(*r, &health_);
  }
  // A locked SIM is fine at the first query only if we hold its PIN.
  const bool pin_coming = index == 2 && health_.pin == PinState::kSimPin && !options_.pin.empty();
  if (step.apply == ApplyCpin && problem.empty() && health_.pin != PinState::kReady &&
      !pin_coming) {
    problem = "SIM not ready: " + std::string(PinStateName(*health_.pin));
  }
  if (!problem.empty() && (step.essential || !r.ok())) {
    health_.problem = problem;
    init_running_ = false;
    spdlog::warn("sms: modem start-up stopped: {}", problem);
    return Publish();
  }
  if (!problem.empty()) spdlog::info("sms: modem start-up: {} (continuing)", problem);
  RunInit(index + 1);
}

void SmsModem::ScheduleHealth() {
  health_timer_.expires_after(options_.health_interval);
  health_timer_.async_wait([this, alive = alive_](const asio::error_code& ec) {
    if (!*alive || ec) return;
    PollHealth();
    ScheduleHealth();
  });
}

void SmsModem::PollHealth() {
  if (!engine_.is_open() || init_running_) return;
  if (!health_.initialized) return ScheduleInit(std::chrono::milliseconds(0));
  Query("AT+CSQ", "+CSQ:", [this](const AtResponse& r) { ApplyCsq(r, &health_); });
  for (const char* domain : {"CREG", "CGREG", "CEREG"}) {
    Query(std::string("AT+") + domain + "?", std::string("+") + domain + ":",
          [this](const AtResponse& r) { ApplyRegistration(r, &health_); });
  }
}

void SmsModem::Query(const std::string& text, const std::string& prefix,
                     std::function<void(const AtResponse&)> apply) {
  engine_.Submit(AtCommand{text, prefix, options_.command_timeout, {}},
                 [this, apply, alive = alive_](Result<AtResponse> r) {
                   if (!*alive || !r.ok() || r->final.kind != FinalKind::kOk) return;
                   apply(*r);
                   Publish();
                 });
}

void SmsModem::Publish() {
  health_.reopens = engine_.reopen_count();
  if (health_ == published_) return;
  published_ = health_;
  spdlog::info("sms: modem health {}", health_.ToJson());
  if (on_health_) on_health_(health_);
}

void SmsModem::SendPdu(const std::string& pdu_hex, int tpdu_length,
                       std::function<void(SendOutcome)> done) {
  if (!health_.port_open || !health_.initialized) {
    SendOutcome o;
    o.detail = "modem not ready: " + (health_.problem.empty() ? "starting" : health_.problem);
    return done(o);
  }
  AtCommand cmd{"AT+CMGS=" + std::to_string(tpdu_length), "+CMGS:", options_.send_timeout, pdu_hex};
  engine_.Submit(std::move(cmd), [this, done, alive = alive_](Result<AtResponse> r) {
    if (!*alive) return;
    SendOutcome o = Classify(r);
    if (o.kind == SendOutcome::Kind::kSent) {
      trouble_ = 0;
    } else if (o.kind == SendOutcome::Kind::kNoAnswer ||
               (o.kind == SendOutcome::Kind::kRejected && o.cms_class == CmsClass::kModemTrouble)) {
      NoteTrouble(o.detail);
    }
    done(o);
  });
}

SendOutcome SmsModem::Classify(const Result<AtResponse>& r) {
  SendOutcome o;
  if (!r.ok()) {
    o.kind = r.status().code() == StatusCode::kDeadlineExceeded ? SendOutcome::Kind::kNoAnswer
                                                                : SendOutcome::Kind::kUnavailable;
    o.detail = r.status().message();
    return o;
  }
  const FinalResult& f = r->final;
  if (f.kind == FinalKind::kOk) {
    auto mr = ParseCmgs(FirstLine(*r));
    if (mr.ok()) {
      o.kind = SendOutcome::Kind::kSent;
      o.message_ref = *mr;
      return o;
    }
    // Sent, but we cannot match status reports to it; still counts as sent.
    o.kind = SendOutcome::Kind::kSent;
    o.detail = "OK without a usable +CMGS: " + mr.status().message();
    return o;
  }
  o.kind = SendOutcome::Kind::kRejected;
  o.cms_code = f.code;
  // A bare ERROR (or +CME ERROR) to AT+CMGS says nothing about the number: the modem is unwell.
  o.cms_class = f.kind == FinalKind::kCmsError && f.code >= 0 ? ClassifyCmsError(f.code)
                                                              : CmsClass::kModemTrouble;
  o.detail = f.text +
             (f.kind == FinalKind::kCmsError ? " (" + std::string(CmsErrorText(f.code)) + ")" : "");
  return o;
}

void SmsModem::NoteTrouble(const std::string& why) {
  ++trouble_;
  spdlog::warn("sms: modem trouble {}/{}: {}", trouble_, options_.trouble_before_reset, why);
  if (trouble_ >= options_.trouble_before_reset) ResetModem();
}

// A soft reset; if the modem cannot even take that, the engine's silence
// detection reopens the port, and the health record tells the supervisor to power-cycle.
void SmsModem::ResetModem() {
  trouble_ = 0;
  ++health_.resets;
  health_.initialized = false;
  health_.problem = "modem reset after repeated failures";
  Publish();
  engine_.Submit(AtCommand{"AT+CFUN=1,1", "", options_.command_timeout, {}},
                 [this, alive = alive_](Result<AtResponse> r) {
                   if (!*alive) return;
                   if (!r.ok() || r->final.kind != FinalKind::kOk) {
                     health_.problem = "modem did not accept a reset; power-cycle needed";
                     Publish();
                   }
                   // The boot URCs that follow start the init sequence again.
                 });
}

// Everything the modem kept, read at each start-up: reports that arrived while
// lifelined was stopped or the modem was being re-initialised.
void SmsModem::ReadStoredReports() {
  AtCommand list{"AT+CMGL=4", "+CMGL:", options_.command_timeout, {}, true};
  engine_.Submit(std::move(list), [this, alive = alive_](Result<AtResponse> r) {
    if (!*alive) return;
    if (!r.ok() || r->final.kind != FinalKind::kOk) {
      spdlog::warn("sms: cannot list stored status reports: {}",
                   r.ok() ? SafeText(r->final.text) : r.status().ToString());
      return;
    }
    int taken = 0;
    for (size_t i = 0; i + 1 < r->lines.size(); i += 2) {
      auto header = ParseCmglHeader(r->lines[i]);
      if (!header.ok()) {
        spdlog::warn("sms: unusable +CMGL line \"{}\": {}", SafeText(r->lines[i]),
                     header.status().message());
        continue;
      }
      TakeStoredReport(header->index, r->lines[i + 1]);
      ++taken;
    }
    if (taken > 0) spdlog::info("sms: {} message(s) waiting in the modem", taken);
  });
}

void SmsModem::ReadStoredReport(int index) {
  AtCommand read{"AT+CMGR=" + std::to_string(index), "+CMGR:", options_.command_timeout, {}, true};
  engine_.Submit(std::move(read), [this, index, alive = alive_](Result<AtResponse> r) {
    if (!*alive) return;
    if (!r.ok() || r->final.kind != FinalKind::kOk || r->lines.size() < 2) {
      // Still in the modem: the next start-up's AT+CMGL finds it.
      spdlog::warn("sms: cannot read stored status report {}: {}", index,
                   r.ok() ? SafeText(r->final.text) : r.status().ToString());
      return;
    }
    TakeStoredReport(index, r->lines[1]);
  });
}

void SmsModem::TakeStoredReport(int index, const std::string& pdu_hex) {
  if (!stored_in_hand_.insert(index).second) return;  // listed and announced: one is enough
  auto bytes = FromHex(pdu_hex);
  auto report = bytes.ok() ? DecodeStatusReportPdu(*bytes) : Result<StatusReport>(bytes.status());
  if (!report.ok()) {
    // An SMS-DELIVER someone sent to the SIM, or damage: not ours to delete.
    spdlog::info("sms: stored message {} is not a status report ({}): left in the modem", index,
                 report.status().message());
    return;
  }
  HandReport(pdu_hex, [this, index, alive = alive_] {
    if (*alive) DeleteStoredReport(index);
  });
}

void SmsModem::DeleteStoredReport(int index) {
  AtCommand del{"AT+CMGD=" + std::to_string(index), "", options_.command_timeout, {}};
  engine_.Submit(std::move(del), [this, index, alive = alive_](Result<AtResponse> r) {
    if (!*alive) return;
    stored_in_hand_.erase(index);
    if (!r.ok() || r->final.kind != FinalKind::kOk) {
      spdlog::warn("sms: cannot delete stored status report {}: {}", index,
                   r.ok() ? SafeText(r->final.text) : r.status().ToString());
    }
  });
}

void SmsModem::HandReport(const std::string& pdu_hex, std::function<void()> kept) {
  auto bytes = FromHex(pdu_hex);
  auto report = bytes.ok() ? DecodeStatusReportPdu(*bytes) : Result<StatusReport>(bytes.status());
  if (!report.ok()) {
    spdlog::warn("sms: undecodable status report \"{}\": {}", SafeText(pdu_hex),
                 report.status().ToString());
    return;
  }
  if (on_report_) on_report_(*report, pdu_hex, std::move(kept));
}

}  // namespace lifeline::sms
