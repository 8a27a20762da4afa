// Class1Modem: the T.31 (Class 1) command set over a SerialPort: AT commands
// and their final result codes, DLE-framed data (<DLE><ETX> ends a block,
// <DLE><DLE> is a literal DLE), and HDLC frame reception after +FRH. Waits call
// a poll hook about every 20 ms so the caller's T.30 timers keep running, and a
// wait marked abortable ends when the hook asks to. A cancel flag, when given,
// ends every wait within about 20 ms (Unavailable "call cancelled"). One owner, one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/channels/fax/serial_port.h"
#include "daemon/core/status.h"

namespace lifeline::fax {

inline constexpr uint8_t kDle = 0x10;
inline constexpr uint8_t kEtx = 0x03;
inline constexpr uint8_t kCan = 0x18;

enum class ModemReply {
  kOk, kConnect, kError, kNoCarrier, kBusy, kNoAnswer, kNoDialtone, kFcError, kTimeout, kAborted
};
std::string_view ModemReplyName(ModemReply r);

// Pure: the final result code a line from the modem carries, if any.
bool ParseFinalResult(std::string_view line, ModemReply* reply);
// Pure: `data` with every DLE doubled (no terminator).
std::vector<uint8_t> StuffDle(const uint8_t* data, size_t len);

struct HdlcFrame {
  std::vector<uint8_t> bytes;  // address, control, FCF, FIF (FCS removed)
  bool fcs_ok = false;         // the modem's verdict: OK vs ERROR after <DLE><ETX>
};

class Class1Modem {
 public:
  // Called while waiting; returns true to end an abortable wait.
  using PollHook = std::function<bool()>;

  Class1Modem(SerialPort& port, bool trace) : port_(port), trace_(trace) {}
  void set_poll_hook(PollHook hook) { poll_ = std::move(hook); }
  // Not owned; null: waits run to their timeouts.
  void set_cancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }
  bool cancelled() const { return cancel_ != nullptr && cancel_->load(); }

  // Sends `cmd` + CR and waits for a final result code (echo and info lines skipped).
  Result<ModemReply> Command(std::string_view cmd, std::chrono::milliseconds timeout,
                             bool abortable = false, std::string* literal = nullptr);
  Result<ModemReply> WaitReply(std::chrono::milliseconds timeout, bool abortable = false,
                               std::string* literal = nullptr);
  // Page or training data, DLE-stuffed; blocks on the modem's flow control.
  Status SendData(const uint8_t* data, size_t len, std::chrono::milliseconds timeout);
  // <DLE><ETX>: end of a frame (after +FTH) or of the data stream (after +FTM).
  Status SendEnd(std::chrono::milliseconds timeout);
  // After CONNECT to +FRH: one frame up to <DLE><ETX>, then the OK/ERROR verdict.
  // Abortable: a frame whose carrier dies mid-way ends when the poll hook says so.
  Result<HdlcFrame> ReceiveFrame(std::chrono::milliseconds timeout);
  // Ends a +FRH/+FRM wait (any character does; CAN is conventional) and waits for its OK.
  Status Abort();
  // Hangs up from whatever state a cancelled call left: <DLE><ETX> ends a
  // transmission, CAN a reception or a dial, then ATH0. Bounded by about 3 s;
  // a modem that does not answer is hung up anyway when the port closes.
  Status HangUpFromAnyState();

 private:
  // -1: timeout; -2: aborted by the hook.
  Result<int> NextByte(Deadline deadline, bool abortable);
  Result<std::string> ReadLine(Deadline deadline, bool abortable, bool* aborted);
  void Trace(std::string_view dir, std::string_view text) const;

  SerialPort& port_;
  bool trace_;
  PollHook poll_;
  const std::atomic<bool>* cancel_ = nullptr;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
  std::chrono::steady_clock::time_point last_poll_{};
};

}  // namespace lifeline::fax
