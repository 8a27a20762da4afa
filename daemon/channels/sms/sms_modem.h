// SmsModem: a cellular modem as the SMS channel needs it. Brings the modem up
// (echo off, +CMEE, SIM PIN, signal, CS/GPRS/LTE registration, SMSC, PDU mode,
// +CNMI status reports), keeps its health current (polls and URCs, reported on
// change), sends one PDU per call, turns status reports into StatusReports, and
// resets the modem after K consecutive signs of modem trouble. io_context thread only.
//
// Status reports are asked to be stored in the modem (AT+CNMI ds=2, "+CDSI"),
// read back by index, and deleted only once the handler says they are kept:
// a report that arrives while lifelined is stopped waits in the modem and is
// read at the next start-up (AT+CMGL). A modem that refuses ds=2 is asked for
// routed reports (ds=1, "+CDS"), which are lost while nobody listens.
#pragma once

#include <cstddef>
// <asio.hpp> after <cstddef>: see at_engine.h.
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/channels/sms/at_engine.h"
#include "daemon/channels/sms/cms_error.h"
#include "daemon/channels/sms/status_report.h"

namespace lifeline::sms {

struct ModemHealth {
  bool port_open = false;
  bool initialized = false;  // start-up sequence completed since the last (re)boot
  std::optional<PinState> pin;
  std::optional<SignalQuality> signal;
  std::optional<Registration> cs, gprs, eps;
  std::string smsc;
  bool status_reports = false;  // +CNMI accepted: reports will arrive
  bool report_memory = false;   // ds=2 accepted: reports wait in the modem until read
  int resets = 0;               // AT+CFUN=1,1 issued after modem trouble
  int reopens = 0;              // serial port reopened (unplug, silence)
  std::string problem;          // the latest reason the modem is not fully usable

  // Registered on any domain: LTE-only networks register on +CEREG alone.
  bool Registered() const;
  bool Ready() const { return port_open && initialized && Registered(); }
  std::string ToJson() const;
  friend bool operator==(const ModemHealth&, const ModemHealth&) = default;
};

struct SmsModemOptions {
  AtEngineOptions at;
  std::string pin;  // SIM PIN, entered when the SIM asks for it; empty: never entered
  std::chrono::milliseconds command_timeout{5000};
  std::chrono::milliseconds send_timeout{60000};  // +CMGS waits for the network
  std::chrono::milliseconds health_interval{30000};
  std::chrono::milliseconds boot_settle{300};  // boot URCs come in bursts
  int trouble_before_reset = 3;                // K
};

struct SendOutcome {
  enum class Kind { kSent, kRejected, kNoAnswer, kUnavailable };
  Kind kind = Kind::kUnavailable;
  int message_ref = -1;  // kSent
  int cms_code = -1;     // kRejected
  CmsClass cms_class = CmsClass::kTemporary;
  std::string detail;
};

class SmsModem {
 public:
  SmsModem(asio::io_context& io, SmsModemOptions options);

  // Gets each decoded status report with its PDU as received (the evidence), and
  // `kept`, to call once the report is durable: the modem's copy is then deleted.
  using StatusReportHandler = std::function<void(const StatusReport&, const std::string& pdu_hex,
                                                 std::function<void()> kept)>;
  void SetStatusReportHandler(StatusReportHandler h) { on_report_ = std::move(h); }
  void SetHealthHandler(std::function<void(const ModemHealth&)> h) { on_health_ = std::move(h); }
  // Opens the port (retrying in the background) and starts the health timer.
  void Start();
  void Stop();
  void SendPdu(const std::string& pdu_hex, int tpdu_length, std::function<void(SendOutcome)> done);
  const ModemHealth& health() const { return health_; }

 private:
  struct Step;
  void OnLink(bool up, const Status& why);
  void OnUrc(const Urc& urc);
  void ScheduleInit(std::chrono::milliseconds delay);
  static const std::vector<Step>& InitSteps();
  void RunInit(size_t step);
  void OnInitStep(size_t index, const Result<AtResponse>& r);
  void PollHealth();
  void ScheduleHealth();
  void Query(const std::string& text, const std::string& prefix,
             std::function<void(const AtResponse&)> apply);
  void Publish();
  void NoteTrouble(const std::string& why);
  void ResetModem();
  SendOutcome Classify(const Result<AtResponse>& r);
  void ReadStoredReports();
  void ReadStoredReport(int index);
  void TakeStoredReport(int index, const std::string& pdu_hex);
  void DeleteStoredReport(int index);
  void HandReport(const std::string& pdu_hex, std::function<void()> kept);

  SmsModemOptions options_;
  AtEngine engine_;
  asio::steady_timer init_timer_;
  asio::steady_timer health_timer_;
  ModemHealth health_;
  ModemHealth published_;
  bool init_running_ = false;
  uint64_t init_generation_ = 0;
  int trouble_ = 0;
  std::set<int> stored_in_hand_;  // indexes read and not yet deleted: read each once
  StatusReportHandler on_report_;
  std::function<void(const ModemHealth&)> on_health_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

 public:
  ~SmsModem() { *alive_ = false; }
};

}  // namespace lifeline::sms
