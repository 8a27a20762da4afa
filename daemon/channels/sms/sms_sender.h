// SmsSender: sends whole messages through an SmsModem, one part at a time,
// recording every step in an SmsPartLedger first (a part is durable as
// "sending" before it reaches the modem), so a restart resumes at the first
// unsent part with the same PDUs. Classifies failures: a permanent error fails
// that message and the queue moves on; temporary ones retry a few times and
// then defer the message to the caller. Matches status reports to parts.
// io_context thread only; borrows the modem, ledger and clock.
#pragma once

#include <cstddef>
// <asio.hpp> after <cstddef>: see at_engine.h.
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "daemon/channels/sms/part_ledger.h"
#include "daemon/channels/sms/sms_modem.h"
#include "daemon/core/clock.h"

namespace lifeline::sms {

struct SmsSenderOptions {
  SubmitOptions submit;
  int max_attempts_per_part = 3;
  std::chrono::milliseconds retry_delay{5000};
  int max_modem_waits = 12;  // retry_delay periods to wait for a modem that is not ready
};

struct SmsRequest {
  std::string id;         // stable per message: the resume key
  std::string recipient;  // "+886912345678" or "0912345678"
  std::string text;       // UTF-8
};

enum class MessageState {
  kSent,      // every part accepted by the network; delivery reports may follow
  kFailed,    // permanent failure (bad number, refused PDU): do not retry
  kDeferred,  // temporary failure persisted: retry later, same id
};
std::string_view MessageStateName(MessageState s);

struct MessageResult {
  std::string id;
  MessageState state = MessageState::kDeferred;
  Status why;  // OK for kSent
  std::optional<MessageRecord> record;
};

class SmsSender {
 public:
  using Done = std::function<void(const MessageResult&)>;
  SmsSender(asio::io_context& io, SmsModem& modem, SmsPartLedger& ledger, const Clock& clock,
            SmsSenderOptions options);

  // Queues a message; `done` runs once when it leaves the queue.
  void Send(SmsRequest request, Done done);
  // Drops a message none of whose parts has reached the modem (queued, or the
  // current one still waiting for the modem to be ready); its `done` never
  // runs. False when a part is already under way: that message finishes.
  bool Cancel(const std::string& id);
  // Runs after each status report that matched a part, with the updated message.
  void SetEvidenceHandler(std::function<void(const MessageRecord&)> h) {
    on_evidence_ = std::move(h);
  }
  size_t queued() const { return queue_.size() + (busy_ ? 1 : 0); }

 private:
  struct Job {
    SmsRequest request;
    Done done;
    int modem_waits = 0;
  };
  // Where the current job is; Cancel may take it only before a part is under way.
  enum class Phase { kIdle, kPreparing, kWaiting, kMarking, kInFlight, kRecording };

  void StartNext();
  void Prepare();
  void Resume(Result<MessageRecord> loaded);
  void SendNextPart();
  void OnPartOutcome(int index, int attempts, const SendOutcome& o);
  void RetryLater();
  void Finish(MessageState state, Status why);
  void OnStatusReport(const StatusReport& report, const std::string& pdu_hex,
                      std::function<void()> kept);
  bool CurrentJobUntouched() const;
  // `f` runs only while this sender lives and the job it was made for is current.
  template <typename T>
  SmsPartLedger::Then<T> ForThisJob(std::function<void(Result<T>)> f);

  asio::io_context& io_;
  SmsModem& modem_;
  SmsPartLedger& ledger_;
  const Clock& clock_;
  SmsSenderOptions options_;
  asio::steady_timer retry_timer_;
  std::deque<Job> queue_;
  Job job_;
  bool busy_ = false;
  Phase phase_ = Phase::kIdle;
  std::optional<MessageRecord> record_;  // the current job's message as last stored
  // Counts jobs taken from the queue, so a callback or retry timer armed for a
  // cancelled job cannot drive the next one.
  uint64_t generation_ = 0;
  std::function<void(const MessageRecord&)> on_evidence_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

 public:
  ~SmsSender() { *alive_ = false; }
};

}  // namespace lifeline::sms
