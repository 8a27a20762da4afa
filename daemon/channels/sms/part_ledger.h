// SmsPartLedger: the durable state of every SMS part, so that a message
// resumes after a crash at its first unsent part with the same PDUs and
// concatenation reference, and delivery evidence outlives the process.
// SqlitePartLedger keeps it in its own SQLite file (WAL, synchronous=FULL),
// self-contained so it can later move into the main store. Not thread-safe.
#pragma once

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

struct ReportMatch {
  std::string message_id;
  int part_index = 0;
};

class SmsPartLedger {
 public:
  virtual ~SmsPartLedger() = default;
  // A concatenation reference not used by the last 255 messages.
  virtual Result<uint8_t> AllocateConcatRef() = 0;
  // Stores a new message with all its parts kNotSent; AlreadyExists if the id is taken.
  virtual Status Create(const std::string& id, const std::string& recipient,
                        const std::string& text, const EncodedMessage& encoded) = 0;
  virtual Result<MessageRecord> Load(const std::string& id) = 0;  // NotFound if absent
  virtual Status MarkSending(const std::string& id, int index) = 0;
  virtual Status MarkSent(const std::string& id, int index, int message_ref, WallTime at) = 0;
  // Back to kNotSent after a temporary failure, remembering the error.
  virtual Status MarkRetry(const std::string& id, int index, int code,
                           const std::string& detail) = 0;
  virtual Status MarkFailed(const std::string& id, int index, int code,
                            const std::string& detail) = 0;
  // Attaches a status report to the most recently sent part with its message
  // reference and recipient; nullopt when no part matches (a stale report).
  virtual Result<std::optional<ReportMatch>> RecordReport(const StatusReport& report) = 0;
};

// Opens (creating if needed) the ledger file at `path`.
Result<std::unique_ptr<SmsPartLedger>> OpenSqlitePartLedger(const std::string& path);

}  // namespace lifeline::sms
