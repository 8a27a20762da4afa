// StoreSmsLedger: the SMS channel's part ledger kept in lifelined's store
// (lifeline.db), each call a job on the store's worker whose completion comes
// back on the io_context thread. It translates between the SMS channel's
// records and the store's rows, so neither module knows the other.
#pragma once

#include <memory>
#include <string>

#include "daemon/channels/sms/part_ledger.h"
#include "daemon/store/store.h"

namespace lifeline {

class StoreSmsLedger final : public sms::SmsPartLedger {
 public:
  explicit StoreSmsLedger(AsyncStore& store) : store_(store) {}
  // Owns the store it uses.
  explicit StoreSmsLedger(std::unique_ptr<AsyncStore> store) : owned_(std::move(store)), store_(*owned_) {}

  void Create(const std::string& id, const std::string& recipient, const std::string& text, Encoder encode,
              Then<sms::MessageRecord> done) override;
  void Load(const std::string& id, Then<sms::MessageRecord> done) override;
  void MarkSending(const std::string& id, int index, Then<sms::MessageRecord> done) override;
  void MarkSent(const std::string& id, int index, int message_ref, WallTime at,
                Then<sms::MessageRecord> done) override;
  void MarkRetry(const std::string& id, int index, int code, const std::string& detail,
                 Then<sms::MessageRecord> done) override;
  void MarkFailed(const std::string& id, int index, int code, const std::string& detail,
                  Then<sms::MessageRecord> done) override;
  void RecordReport(const sms::StatusReport& report, const std::string& pdu_hex,
                    Then<std::optional<sms::MessageRecord>> done) override;

 private:
  void Change(const std::string& id, int index, SmsPartChange change, Then<sms::MessageRecord> done);

  std::unique_ptr<AsyncStore> owned_;
  AsyncStore& store_;
};

// The store's row as the SMS channel's record (and back, for its parts).
Result<sms::MessageRecord> RecordFromRow(const SmsMessageRow& row);

// Opens lifelined's store for a process of its own (the CLI's `sms test`),
// with a ledger over it that owns it, completing on `io`.
Result<std::unique_ptr<sms::SmsPartLedger>> OpenStoreSmsLedger(asio::io_context& io, const StoreOptions& options,
                                                               const Clock& clock);

}  // namespace lifeline
