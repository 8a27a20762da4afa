// Run-time control of the simulated modem: faults, radio state, status reports.
#include <charconv>
#include <sstream>

#include "tools/modem-sim/sim_modem.h"

namespace lifeline::modemsim {
namespace {

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::optional<int> Int(const std::string& s) {
  int v = 0;
  const int base = s.rfind("0x", 0) == 0 ? 16 : 10;
  const char* begin = s.data() + (base == 16 ? 2 : 0);
  const auto [p, ec] = std::from_chars(begin, s.data() + s.size(), v, base);
  if (begin == s.data() + s.size() || ec != std::errc() || p != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

std::optional<int> IntAt(const std::vector<std::string>& a, size_t i) {
  return i < a.size() ? Int(a[i]) : std::nullopt;
}

}  // namespace

std::string SimModem::Control(std::string_view command, SimTime now) {
  const auto args = Words(command);
  if (args.empty()) return "ERR empty command";
  std::string reply = ControlFault(args);
  if (reply.empty()) reply = ControlState(args, now);
  return reply.empty() ? "ERR unknown command: " + args[0] : reply;
}

// cms, cms-number, silent, silent-at, garbage, urc.
std::string SimModem::ControlFault(const std::vector<std::string>& a) {
  if (a[0] == "cms") {
    if (IntAt(a, 1) == std::nullopt && a.size() > 1 && a[1] == "off") {
      cms_code_ = 0;
      return "OK";
    }
    const auto code = IntAt(a, 1);
    if (!code) return "ERR usage: cms <code> [on <n>|always] | cms off";
    cms_code_ = *code;
    const auto n = a.size() > 3 && a[2] == "on" ? IntAt(a, 3) : std::optional<int>(1);
    if (a.size() > 2 && a[2] == "always") {
      cms_on_submit_ = 0;
    } else if (n && *n > 0) {
      cms_on_submit_ = submit_count_ + *n;
    } else {
      return "ERR usage: cms <code> [on <n>|always]";
    }
    return "OK";
  }
  if (a[0] == "cms-number" && a.size() == 3) {
    if (a[2] == "off") {
      cms_for_number_.erase(a[1]);
    } else if (auto code = Int(a[2])) {
      cms_for_number_[a[1]] = *code;
    } else {
      return "ERR usage: cms-number <number> <code>|off";
    }
    return "OK";
  }
  if (a[0] == "silent" && a.size() == 2) {
    silent_ = a[1] == "on";
    if (!silent_) silent_at_submit_ = 0;
    return "OK";
  }
  if (a[0] == "silent-at") {
    const auto n = IntAt(a, 1);
    if (!n || *n < 1) return "ERR usage: silent-at <n>";
    silent_at_submit_ = submit_count_ + *n;
    return "OK";
  }
  if (a[0] == "garbage") {
    const auto n = IntAt(a, 1);
    if (!n || *n < 1 || *n > 4096) return "ERR usage: garbage <1..4096>";
    for (int i = 0; i < *n; ++i) {
      garbage_seed_ = garbage_seed_ * 1103515245u + 12345u;  // reproducible noise
      out_ += static_cast<char>(garbage_seed_ >> 16);
    }
    return "OK";
  }
  if (a[0] == "urc" && a.size() >= 2) {
    std::string line;
    for (size_t i = 1; i < a.size(); ++i) line += (i > 1 ? " " : "") + a[i];
    Urc(line);
    return "OK";
  }
  return "";
}

// reboot, unplug, reg, csq, pin, report, status.
std::string SimModem::ControlState(const std::vector<std::string>& a, SimTime now) {
  if (a[0] == "reboot") {
    const auto ms = IntAt(a, 1).value_or(int(config_.reboot_silence.count()));
    Reboot(now, milliseconds(ms));
    return "OK";
  }
  if (a[0] == "unplug") {
    unplug_ = milliseconds(IntAt(a, 1).value_or(1000));
    return "OK";
  }
  if (a[0] == "reg" && a.size() >= 3) {
    const std::string name = a[1] == "cs" ? "CREG" : a[1] == "gprs" ? "CGREG" : "CEREG";
    const auto stat = IntAt(a, 2);
    if (!stat || *stat < 0 || *stat > 10 || (a[1] != "cs" && a[1] != "gprs" && a[1] != "eps")) {
      return "ERR usage: reg <cs|gprs|eps> <stat 0..10> [act]";
    }
    reg_[name].stat = *stat;
    if (auto act = IntAt(a, 3)) reg_[name].act = *act;
    SetRegistered(!detached_);
    return "OK";
  }
  if (a[0] == "csq") {
    const auto r = IntAt(a, 1);
    if (!r || *r < 0 || (*r > 31 && *r != 99)) return "ERR usage: csq <0..31|99>";
    rssi_ = *r;
    return "OK";
  }
  if (a[0] == "pin" && a.size() == 2) {
    config_.pin = a[1] == "none" ? "" : a[1];
    pin_state_ = config_.pin.empty() ? sms::PinState::kReady : sms::PinState::kSimPin;
    return "OK";
  }
  if (a[0] == "report" && a.size() >= 2) {
    const std::string& o = a[1];
    const auto st = o == "delivered" ? 0x00
                    : o == "pending" ? 0x20
                    : o == "failed"  ? 0x41
                    : o == "none"    ? -1
                                     : Int(o).value_or(-2);
    if (st < -1 || st > 0x7F) return "ERR usage: report <delivered|pending|failed|none|0xNN> [ms]";
    config_.report_status = st;
    if (auto ms = IntAt(a, 2)) config_.report_delay = milliseconds(*ms);
    return "OK";
  }
  if (a[0] == "report-memory" && a.size() == 2 && (a[1] == "on" || a[1] == "off")) {
    config_.report_memory = a[1] == "on";
    return "OK";
  }
  if (a[0] == "store-report") {  // a report for a message this modem never sent
    const auto mr = IntAt(a, 1);
    if (!mr || *mr < 0 || *mr > 255) return "ERR usage: store-report <mr 0..255> [number]";
    PendingReport p;
    p.message_ref = *mr;
    auto to = sms::ParsePhoneNumber(a.size() > 2 ? a[2] : "+886900000000");
    if (!to.ok()) return "ERR " + to.status().message();
    p.recipient = *to;
    p.sent = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    const int ds = cnmi_ds_;
    cnmi_ds_ = 2;  // kept in memory whatever the DTE asked for
    DeliverReport(p, now);
    cnmi_ds_ = ds;
    return "OK";
  }
  if (a[0] == "status") return "OK " + StatusJson();
  return "";
}

std::string SimModem::StatusJson() const {
  std::ostringstream o;
  o << "{\"submits\":" << submit_count_ << ",\"next_mr\":" << next_mr_
    << ",\"echo\":" << (echo_ ? "true" : "false") << ",\"cmee\":" << cmee_
    << ",\"cnmi_ds\":" << cnmi_ds_ << ",\"silent\":" << (silent_ ? "true" : "false")
    << ",\"booting\":" << (booting_ ? "true" : "false")
    << ",\"stored_reports\":" << stored_.size()
    << ",\"registered\":" << (Registered() ? "true" : "false") << "}";
  return o.str();
}

}  // namespace lifeline::modemsim
