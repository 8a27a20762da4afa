// AtEngine: one AT conversation with a modem over a serial port, driven by an
// asio::io_context. Commands run one at a time from a queue, each with its own
// timeout; unsolicited result codes are recognised wherever they arrive (even
// between a command and its answer) and handed to a callback. A port that
// fails (USB unplug) or a modem that stops answering is closed and reopened.
// Not thread-safe: call it, and get callbacks, on the io_context's thread only.
#pragma once

// <cstddef> before <asio.hpp>: it defines _GLIBCXX_HAVE_ALIGNED_ALLOC, which
// Asio's config reads. A translation unit that includes Asio before any
// standard header compiles Asio's inline aligned_new/aligned_delete
// differently from the rest (an ODR violation ASan reports as
// alloc-dealloc-mismatch).
#include <cstddef>
// (Asio after it.)
#include <asio.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/channels/sms/at_reply.h"
#include "daemon/core/status.h"

namespace lifeline::sms {

struct AtCommand {
  std::string text;             // "AT+CSQ" (no trailing CR)
  std::string response_prefix;  // "+CSQ:": lines with it belong to this command
  std::chrono::milliseconds timeout{5000};
  std::optional<std::string> pdu;  // AT+CMGS: hex sent after the "> " prompt, then Ctrl-Z
  bool pdu_lines = false;  // AT+CMGL/AT+CMGR: each prefixed line is followed by its PDU line
};

struct AtResponse {
  FinalResult final;
  std::vector<std::string> lines;  // information lines, without CR/LF
};

struct Urc {
  UrcKind kind = UrcKind::kNone;
  std::string line;
  std::string pdu_hex;  // +CDS: the PDU line that followed the header
};

struct AtEngineOptions {
  std::string device;  // "/dev/ttyUSB2", or the link modem-sim keeps
  unsigned baud = 115200;
  std::chrono::milliseconds reopen_delay{500};
  int timeouts_before_reopen = 2;  // consecutive command timeouts that mean "silent modem"
};

class AtEngine {
 public:
  using Callback = std::function<void(Result<AtResponse>)>;
  using UrcHandler = std::function<void(const Urc&)>;
  // Called with true after (re)opening the port, false with the reason when it is lost.
  using LinkHandler = std::function<void(bool up, const Status& why)>;

  AtEngine(asio::io_context& io, AtEngineOptions options);
  ~AtEngine();
  AtEngine(const AtEngine&) = delete;
  AtEngine& operator=(const AtEngine&) = delete;

  void SetUrcHandler(UrcHandler h) { on_urc_ = std::move(h); }
  void SetLinkHandler(LinkHandler h) { on_link_ = std::move(h); }

  // Opens the port; on failure keeps retrying every reopen_delay in the background.
  Status Start();
  void Stop();
  // Queues a command. `done` gets the response, or DeadlineExceeded (timeout),
  // Unavailable (port closed or lost). A final ERROR/+CMS ERROR is a response, not a Status.
  void Submit(AtCommand command, Callback done);
  // Closes and reopens the port (after a modem reset, or when the owner suspects it).
  void Reopen(const Status& why);
  // Fails the command in flight with `why` and goes on with the queue: the
  // modem restarted (RDY), so that command's answer will never come, and
  // waiting out its timeout (+CMGS: a minute) would hold back every other.
  void AbandonCurrent(const Status& why);

  bool is_open() const { return port_.is_open(); }
  int reopen_count() const { return reopen_count_; }
  int noise_lines() const { return noise_lines_; }

 private:
  struct Pending {
    AtCommand command;
    Callback done;
  };

  Status OpenPort();
  void ScheduleReopen();
  void ReadMore();
  void OnRead(const asio::error_code& ec, size_t n);
  void HandleLine(const std::string& line);
  bool MaybeHandlePrompt();
  void StartNext();
  void Write(std::string bytes);
  void Complete(Result<AtResponse> result);
  void OnTimeout(uint64_t id);
  void FailAll(const Status& why);
  void LinkLost(const Status& why);

  AtEngineOptions options_;
  asio::serial_port port_;
  asio::steady_timer command_timer_;
  asio::steady_timer reopen_timer_;
  std::array<char, 512> read_buf_{};
  std::string rx_;
  std::deque<Pending> queue_;
  std::optional<Pending> current_;
  AtResponse partial_;
  uint64_t command_id_ = 0;
  bool awaiting_prompt_ = false;
  bool awaiting_cds_pdu_ = false;
  bool awaiting_response_pdu_ = false;  // the next line is the PDU of a listed message
  std::string cds_header_;
  bool stopped_ = true;
  int consecutive_timeouts_ = 0;
  int reopen_count_ = 0;
  int noise_lines_ = 0;
  UrcHandler on_urc_;
  LinkHandler on_link_;
  // Set on destruction so handlers still queued in the io_context do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeline::sms
