// T30Session: spandsp's T.30 engine (calling side) driven through a Class 1
// modem. spandsp asks for modem modes and HDLC frames through callbacks; this
// class turns them into +FTH/+FTM/+FRH/+FTS exchanges and feeds the modem's
// replies back, so T.30 itself (phases B-E, retraining, ECM, timers) is
// spandsp's. ECM frames at high speed are HDLC-framed here and sent with +FTM,
// as Class 1 only offers +FTH/+FRH at V.21. One call per object; one thread.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "daemon/channels/fax/class1_modem.h"
#include "daemon/channels/fax/fax.h"

struct t30_state_s;
struct hdlc_tx_state_s;

namespace lifeline::fax {

class T30Session {
 public:
  T30Session(Class1Modem& modem, const FaxSendOptions& options, AttemptEvidence* evidence);
  ~T30Session();
  T30Session(const T30Session&) = delete;
  T30Session& operator=(const T30Session&) = delete;

  // Runs T.30 from the modem's CONNECT after ATD to phase E. The outcome is in
  // the evidence; a non-OK status means the modem itself failed.
  Status Run(const std::string& tiff_path);

  // spandsp callbacks (static trampolines call these).
  void OnSetRx(int type, int bit_rate, int short_train, int hdlc);
  void OnSetTx(int type, int bit_rate, int short_train, int hdlc);
  void OnSendHdlc(const uint8_t* msg, int len);
  void OnPhaseB();
  void OnPhaseD(int result);
  void OnPhaseE(int code);
  void OnHdlcUnderflow() { hdlc_underflow_ = true; }

 private:
  struct Mode {
    int type = 0;
    int bit_rate = 0;
    int short_train = 0;
    bool hdlc = false;
  };

  void Configure(const std::string& tiff_path);
  bool UpdateTimers();  // poll hook: returns true when T.30 wants to transmit
  bool WantsTransmit() const;
  bool WaitForFrame();
  Status Transmit();
  Status TransmitV21Frames();
  Status TransmitImageData();
  Status TransmitEcmFrames();
  Status Receive(bool already_connected);
  Status DeliverFrames();
  Status StartCarrier(const char* cmd);
  void StepComplete();
  void FailCall(const Status& why);

  Class1Modem& modem_;
  const FaxSendOptions& options_;
  AttemptEvidence* ev_;
  t30_state_s* t30_ = nullptr;
  hdlc_tx_state_s* hdlc_tx_ = nullptr;
  Mode tx_, rx_;
  bool tx_requested_ = false;
  std::deque<std::vector<uint8_t>> frames_;  // empty vector = end of HDLC transmission
  bool hdlc_underflow_ = false;
  bool done_ = false;
  std::chrono::steady_clock::time_point last_timer_update_;
};

// Class 1 modulation code for +FTM/+FRM, e.g. V.17 14400 long training -> 145.
int ModulationCode(int t30_modem_type, int bit_rate, bool short_train);

// spandsp's T30_SUPPORT_* compression mask the sender offers for these options:
// MH always, MR from kMr, T.6 at kT6 and only with ECM.
int OfferedCompressions(const FaxSendOptions& options);
// CodingName of spandsp's T4_COMPRESSION_ITU_* value, "" for none or another.
std::string CodingOfEncoding(int t4_encoding);

}  // namespace lifeline::fax
