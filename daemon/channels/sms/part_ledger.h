// SmsPartLedger: the durable state of every SMS part, so that a message
// resumes after a crash at its first unsent part with the same PDUs and
// concatenation reference, and delivery evidence outlives the process. The
// interface is asynchronous: each call completes through its callback, on the
// io_context thread, once the change is durable. lifelined keeps the ledger in
// its store, on the store's worker (daemon/channels/wiring); the SMS channel
// knows only this interface.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/channels/sms/pdu.h"
#include "daemon/channels/sms/status_report.h"
#include "daemon/core/status.h"
#include "daemon/core/time_format.h"

namespace lifeline::sms {

// kSending: handed to the modem, no answer recorded. After a crash the outcome
// is unknown; the part is sent again (a duplicate beats a missing part).
enum class PartState { kNotSent, kSending, kSent, kFailed };
std::string_view PartStateName(PartState s);

struct PartRecord {
  int index = 1;
  PartState state = PartState::kNotSent;
  std::string pdu_hex;
  int tpdu_length = 0;
  int attempts = 0;
  int message_ref = -1;             // kSent
  std::optional<WallTime> sent_at;  // kSent
  int error_code = -1;              // latest +CMS ERROR, kept across retries
  std::string error_detail;
  std::optional<DeliveryOutcome> delivery;  // from the status report
  int report_status = -1;                   // TP-ST
  std::optional<OffsetTime> discharge_time;
};

struct MessageRecord {
  std::string id;
  std::string recipient;  // PhoneNumber::ToString()
  std::string text;
  int concat_ref = 0;
  std::vector<PartRecord> parts;

  bool AllSent() const;
  bool AnyFailed() const;
  bool Confirmed() const;  // every part delivered
  // The first part not yet sent (kNotSent or kSending), if any.
  std::optional<size_t> FirstUnsent() const;
};

class SmsPartLedger {
 public:
  template <typename T>
  using Then = std::function<void(Result<T>)>;
  // Encodes the message once the ledger has chosen a concatenation reference
  // not used by the last 255 messages. Runs on the ledger's thread.
  using Encoder = std::function<Result<EncodedMessage>(uint8_t concat_ref)>;

  virtual ~SmsPartLedger() = default;
  // Stores a new message with all its parts kNotSent; AlreadyExists if the id is taken.
  virtual void Create(const std::string& id, const std::string& recipient, const std::string& text,
                      Encoder encode, Then<MessageRecord> done) = 0;
  virtual void Load(const std::string& id, Then<MessageRecord> done) = 0;  // NotFound if absent
  // Each gives the message as stored after the change.
  virtual void MarkSending(const std::string& id, int index, Then<MessageRecord> done) = 0;
  virtual void MarkSent(const std::string& id, int index, int message_ref, WallTime at, Then<MessageRecord> done) = 0;
  // Back to kNotSent after a temporary failure, remembering the error.
  virtual void MarkRetry(const std::string& id, int index, int code, const std::string& detail,
                         Then<MessageRecord> done) = 0;
  virtual void MarkFailed(const std::string& id, int index, int code, const std::string& detail,
                          Then<MessageRecord> done) = 0;
  // Attaches a status report to the most recently sent part with its message
  // reference and recipient, giving that message; nullopt when no part
  // matches (the report is kept as evidence all the same). `pdu_hex` is the
  // report as received.
  virtual void RecordReport(const StatusReport& report, const std::string& pdu_hex,
                            Then<std::optional<MessageRecord>> done) = 0;
};

}  // namespace lifeline::sms
