// Command-line handling, result codes and timed events of the simulated modem.
#include "tools/modem-sim/sim_modem.h"

#include <algorithm>
#include <cctype>

namespace lifeline::modemsim {
namespace {

constexpr char kCtrlZ = 0x1A;
constexpr char kEsc = 0x1B;
constexpr size_t kMaxLine = 560;  // longer lines are dropped, as a modem's buffer would
constexpr size_t kMaxPduHex = 2 * 176;

// Upper-cases outside double quotes, so AT commands match but arguments keep case.
std::string UpperOutsideQuotes(std::string_view s) {
  std::string out(s);
  bool quoted = false;
  for (char& c : out) {
    if (c == '"') quoted = !quoted;
    if (!quoted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

SimModem::SimModem(SimConfig config) : config_(std::move(config)) { Reset(); }

void SimModem::Reset() {
  echo_ = true;
  cmee_ = 0;
  cmgf_ = 0;
  cnmi_ds_ = 0;
  mode_ = Mode::kCommand;
  line_.clear();
  pdu_.clear();
  pin_state_ = config_.pin.empty() ? sms::PinState::kReady : sms::PinState::kSimPin;
  for (const char* name : {"CREG", "CGREG", "CEREG"}) {
    RegInfo& r = reg_[name];
    r.urc_mode = 0;
    const bool on_lte = std::string_view(name) == "CEREG";
    r.stat = config_.lte_only && !on_lte ? 0 : 1;
    r.act = config_.lte_only || on_lte ? 7 : 2;
  }
}

void SimModem::Feed(std::string_view bytes, SimTime now) {
  for (char c : bytes) {
    if (silent_ || booting_) return;
    if (echo_) out_ += c;
    if (mode_ == Mode::kPduInput) {
      FeedPduByte(c, now);
    } else {
      FeedCommandByte(c, now);
    }
  }
}

void SimModem::FeedCommandByte(char c, SimTime now) {
  if (c == '\r') {
    const std::string line = line_;
    line_.clear();
    ExecuteLine(line, now);
  } else if (c == '\b' || c == 0x7F) {
    if (!line_.empty()) line_.pop_back();
  } else if (c != '\n') {
    if (line_.size() < kMaxLine) line_ += c;
  }
}

void SimModem::FeedPduByte(char c, SimTime now) {
  if (c == kCtrlZ) {
    mode_ = Mode::kCommand;
    FinishSubmit(now);
  } else if (c == kEsc) {
    mode_ = Mode::kCommand;
    pdu_.clear();
    Ok();  // 27.005: ESC cancels the send
  } else if (c != '\r' && c != '\n' && pdu_.size() < kMaxPduHex) {
    pdu_ += c;
  }
}

void SimModem::ExecuteLine(std::string_view raw, SimTime now) {
  const std::string line = UpperOutsideQuotes(raw);
  size_t start = line.find("AT");
  if (start == std::string::npos) return;  // noise without "AT" gets no answer
  std::string_view rest = std::string_view(line).substr(start + 2);
  while (!rest.empty()) {
    if (rest.front() == ' ' || rest.front() == ';') {
      rest.remove_prefix(1);
      continue;
    }
    if (rest.front() == '+' || rest.front() == '^') {
      const size_t end = std::min(rest.find(';'), rest.size());
      const std::string_view cmd = rest.substr(1, end - 1);
      rest.remove_prefix(end);
      if (!ExecuteExtended(cmd, now)) return;  // the handler answered with an error
      if (mode_ == Mode::kPduInput) return;    // "> " sent; the result follows the PDU
      continue;
    }
    if (!ExecuteBasic(&rest)) return Error();
  }
  Ok();
  if (std::exchange(reboot_after_ok_, false)) Reboot(now, config_.reboot_silence);
}

// One basic command (E0, V1, Q0, Z, I, &F, &C1, &D2, S0=0, X4 ...), consumed from *rest.
bool SimModem::ExecuteBasic(std::string_view* rest) {
  std::string_view r = *rest;
  std::string name(1, r.front());
  r.remove_prefix(1);
  if (name == "&" && !r.empty()) {
    name += r.front();
    r.remove_prefix(1);
  }
  size_t n = 0;
  while (n < r.size() && (std::isdigit(static_cast<unsigned char>(r[n])) || r[n] == '=' ||
                          (name == "S" && r[n] == '?'))) {
    ++n;
  }
  const std::string arg(r.substr(0, n));
  *rest = r.substr(n);
  if (name == "E") {
    echo_ = arg != "0";
  } else if (name == "Z" || name == "&F") {
    Reset();
  } else if (name == "I") {
    Info("lifeline modem-sim");
    Info("Revision: 1.0");
  } else if (name == "V" || name == "Q" || name == "X" || name == "&C" || name == "&D" ||
             name == "&W" || name == "S" || name == "L" || name == "M") {
    // Accepted and not modelled: they change nothing a DTE of ours relies on.
  } else {
    return false;
  }
  return true;
}

void SimModem::Info(std::string_view line) {
  out_ += "\r\n";
  out_ += line;
  out_ += "\r\n";
}

void SimModem::Ok() { Info("OK"); }
void SimModem::Error() { Info("ERROR"); }

void SimModem::CmeError(int code) {
  if (cmee_ == 0) return Error();
  Info("+CME ERROR: " + std::to_string(code));
}

void SimModem::CmsError(int code) { Info("+CMS ERROR: " + std::to_string(code)); }

void SimModem::Urc(std::string_view line) { Info(line); }

void SimModem::Tick(SimTime now) {
  std::vector<Event> due;
  auto it = std::stable_partition(events_.begin(), events_.end(),
                                  [&](const Event& e) { return e.at > now; });
  due.assign(std::make_move_iterator(it), std::make_move_iterator(events_.end()));
  events_.erase(it, events_.end());
  std::sort(due.begin(), due.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
  for (Event& e : due) e.fire(now);
}

std::optional<SimTime> SimModem::NextDeadline() const {
  std::optional<SimTime> next;
  for (const Event& e : events_) {
    if (!next || e.at < *next) next = e.at;
  }
  return next;
}

std::string SimModem::TakeOutput() { return std::exchange(out_, {}); }
std::vector<SubmitRecord> SimModem::TakeSubmits() { return std::exchange(submits_, {}); }
std::optional<milliseconds> SimModem::TakeUnplugRequest() { return std::exchange(unplug_, {}); }

void SimModem::PowerOn(SimTime now) {
  silent_ = false;
  silent_at_submit_ = 0;
  Reboot(now, config_.reboot_silence);
}

void SimModem::Reboot(SimTime now, milliseconds silence) {
  booting_ = true;
  Reset();
  SetRegistered(false);
  events_.push_back({now + silence, [this](SimTime at) {
                       booting_ = false;
                       Urc("RDY");
                       Urc("+CFUN: 1");
                       Urc(SimReady() ? "+CPIN: READY" : "+CPIN: SIM PIN");
                       Urc("SMS DONE");
                       events_.push_back({at + config_.reregister_delay,
                                          [this](SimTime) { SetRegistered(true); }});
                     }});
}

void SimModem::SetRegistered(bool registered) {
  detached_ = !registered;
  for (auto& [name, r] : reg_) {
    if (r.urc_mode > 0 && !booting_) Urc("+" + name + ": " + std::to_string(EffectiveStat(r)));
  }
}

int SimModem::EffectiveStat(const RegInfo& r) const {
  if (!SimReady()) return 0;
  if (detached_) return 2;
  return r.stat;
}

bool SimModem::Registered() const {
  for (const auto& [name, r] : reg_) {
    const int s = EffectiveStat(r);
    if (s == 1 || s == 5 || s == 6 || s == 7 || s == 9 || s == 10) return true;
  }
  return false;
}

}  // namespace lifeline::modemsim
