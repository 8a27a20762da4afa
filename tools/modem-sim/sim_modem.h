// SimModem: the behaviour of a cellular modem's AT interface (27.007/27.005
// subset, V1 verbose results, PDU-mode SMS), with faults switched at run time.
// Bytes in via Feed(), bytes out via TakeOutput(); timed events (status
// reports, reboot) fire from Tick(). No I/O of its own; single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/channels/sms/sms.h"

namespace lifeline::modemsim {

using SimClock = std::chrono::steady_clock;
using SimTime = SimClock::time_point;
using std::chrono::milliseconds;

struct RegInfo {
  int stat = 1;      // 27.007 <stat>
  int act = 7;       // 27.007 <AcT>
  int urc_mode = 0;  // <n> of +CxREG=<n>
};

struct SimConfig {
  std::string pin;        // non-empty: starts in SIM PIN and wants this PIN
  bool lte_only = false;  // CS and GPRS never register, only +CEREG does
  std::string smsc = "+886932400821";
  milliseconds report_delay{300};
  int report_status = 0x00;  // TP-ST of status reports; -1 = send none
  milliseconds reboot_silence{400};
  milliseconds reregister_delay{300};
  bool report_memory = true;  // AT+CNMI ds=2 (store, +CDSI) accepted
};

// What happened to one AT+CMGS, for the PDU log tests read back.
struct SubmitRecord {
  int seq = 0;  // 1-based count of AT+CMGS PDUs since start
  std::string pdu_hex;
  std::string result;  // "ok", "cms <code>", "silent"
  int mr = -1;
};

class SimModem {
 public:
  explicit SimModem(SimConfig config);

  void Feed(std::string_view bytes, SimTime now);
  void Tick(SimTime now);
  std::optional<SimTime> NextDeadline() const;
  std::string TakeOutput();
  std::vector<SubmitRecord> TakeSubmits();

  // Run-time faults and settings: one text command, answered with "OK ..." or
  // "ERR reason". See README.md for the list.
  std::string Control(std::string_view command, SimTime now);
  // Set by "unplug": the host closes the pty and, unless ms == 0, makes a new one later.
  std::optional<milliseconds> TakeUnplugRequest();
  // Power applied (start or re-plug): boot messages after a short silence, faults cleared.
  void PowerOn(SimTime now);

 private:
  struct Event {
    SimTime at;
    std::function<void(SimTime)> fire;
  };
  enum class Mode { kCommand, kPduInput };

  void FeedCommandByte(char c, SimTime now);
  void FeedPduByte(char c, SimTime now);
  void ExecuteLine(std::string_view line, SimTime now);
  bool ExecuteBasic(std::string_view* rest);
  bool ExecuteExtended(std::string_view cmd, SimTime now);
  bool ExtendedInfo(std::string_view cmd);
  bool ExtendedSettings(std::string_view cmd);
  bool ExtendedRegistration(std::string_view cmd);
  bool ExtendedSms(std::string_view cmd, SimTime now);
  void FinishSubmit(SimTime now);
  struct PendingReport {
    int message_ref = 0;
    sms::PhoneNumber recipient;
    std::chrono::sys_seconds sent;
    int status = 0;
    milliseconds delay{0};
  };
  void ScheduleReport(const sms::DecodedSubmit& submit, int mr, SimTime now);
  void DeliverReport(const PendingReport& report, SimTime now);
  bool StoreReport(const std::string& pdu_hex);
  bool ExtendedStorage(std::string_view cmd);
  void ListStored(int stat);
  void Reboot(SimTime now, milliseconds silence);
  void Reset();
  void SetRegistered(bool registered);
  int EffectiveStat(const RegInfo& r) const;
  bool Registered() const;
  void Answer(std::string_view name, int value);

  void Info(std::string_view line);
  void Ok();
  void Error();
  void CmeError(int code);
  void CmsError(int code);
  void Urc(std::string_view line);
  bool SimReady() const { return pin_state_ == sms::PinState::kReady; }

  std::string ControlFault(const std::vector<std::string>& args);
  std::string ControlState(const std::vector<std::string>& args, SimTime now);
  std::string StatusJson() const;

  SimConfig config_;
  std::string out_;
  std::string line_;
  std::string pdu_;
  Mode mode_ = Mode::kCommand;
  int pdu_length_ = 0;
  bool echo_ = true;
  int cmee_ = 0;
  int cmgf_ = 0;
  int cnmi_ds_ = 0;
  bool silent_ = false;
  bool booting_ = false;
  bool detached_ = false;
  bool error_sent_ = false;       // the current extended command already answered an error
  bool reboot_after_ok_ = false;  // AT+CFUN=1,1: answer OK, then restart  // registration lost
                                  // (reboot) until re-registered
  sms::PinState pin_state_ = sms::PinState::kReady;
  int rssi_ = 21;
  std::map<std::string, RegInfo> reg_;  // "CREG", "CGREG", "CEREG"
  int next_mr_ = 0;
  int submit_count_ = 0;
  std::vector<Event> events_;
  std::vector<SubmitRecord> submits_;
  std::optional<milliseconds> unplug_;
  // Faults.
  int cms_code_ = 0;       // 0 = off
  int cms_on_submit_ = 0;  // absolute submit count that fails; 0 = every one while set
  std::map<std::string, int> cms_for_number_;
  int silent_at_submit_ = 0;
  uint32_t garbage_seed_ = 12345;
  // The "SR" memory: status reports kept with AT+CNMI ds=2. Like a SIM's, it
  // survives reboots and a DTE that has gone away.
  struct StoredReport {
    std::string pdu_hex;
    bool read = false;
  };
  std::map<int, StoredReport> stored_;
  std::string read_memory_ = "SM";  // <mem1> of AT+CPMS: where AT+CMGL/CMGR/CMGD look
};

}  // namespace lifeline::modemsim
