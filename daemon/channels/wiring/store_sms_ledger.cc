#include "daemon/channels/wiring/store_sms_ledger.h"

namespace lifeline {
namespace {

using sms::MessageRecord;
using sms::PartRecord;
using sms::PartState;

// What a store job's result holds until the job has run.
Status NotRunYet() { return Internal("the store job has not run"); }

Result<PartState> PartStateFrom(const std::string& name) {
  for (PartState s : {PartState::kNotSent, PartState::kSending, PartState::kSent, PartState::kFailed}) {
    if (sms::PartStateName(s) == name) return s;
  }
  return Corruption("sms ledger: unknown part state '" + name + "'");
}

Result<PartRecord> PartFromRow(const SmsPartRow& row) {
  auto state = PartStateFrom(row.state);
  if (!state.ok()) return state.status();
  PartRecord p;
  p.index = row.index;
  p.state = *state;
  p.pdu_hex = row.pdu_hex;
  p.tpdu_length = row.tpdu_length;
  p.attempts = row.attempts;
  p.message_ref = row.message_ref.value_or(-1);
  if (row.sent_at_us) p.sent_at = WallTime(std::chrono::microseconds(*row.sent_at_us));
  p.error_code = row.error_code.value_or(-1);
  p.error_detail = row.error_detail;
  for (auto o : {sms::DeliveryOutcome::kDelivered, sms::DeliveryOutcome::kPending, sms::DeliveryOutcome::kFailed}) {
    if (row.delivery == sms::DeliveryOutcomeName(o)) p.delivery = o;
  }
  p.report_status = row.report_status.value_or(-1);
  if (auto t = ParseRfc3339(row.discharge_time); t.ok()) p.discharge_time = *t;
  return p;
}

// A store result as the SMS channel's record, on the io thread.
template <typename Done>
void Reply(const std::shared_ptr<Result<SmsMessageRow>>& row, Status s, const Done& done) {
  if (!s.ok()) return done(s);
  auto record = RecordFromRow(**row);
  if (!record.ok()) return done(record.status());
  done(std::move(*record));
}

}  // namespace

Result<MessageRecord> RecordFromRow(const SmsMessageRow& row) {
  MessageRecord m;
  m.id = row.id;
  m.recipient = row.recipient;
  m.text = row.text;
  m.concat_ref = row.concat_ref;
  for (const SmsPartRow& p : row.parts) {
    auto part = PartFromRow(p);
    if (!part.ok()) return part.status();
    m.parts.push_back(std::move(*part));
  }
  return m;
}

void StoreSmsLedger::Create(const std::string& id, const std::string& recipient, const std::string& text,
                            Encoder encode, Then<MessageRecord> done) {
  auto out = std::make_shared<Result<SmsMessageRow>>(NotRunYet());
  store_.Run(
      [id, recipient, text, encode = std::move(encode), out](Store& st) {
        Store::SmsEncoder rows = [&encode](int ref) -> Result<std::vector<SmsPartRow>> {
          auto encoded = encode(static_cast<uint8_t>(ref));
          if (!encoded.ok()) return encoded.status();
          std::vector<SmsPartRow> parts;
          for (const sms::SubmitPart& p : encoded->parts) {
            SmsPartRow r;
            r.index = p.index;
            r.pdu_hex = p.pdu_hex;
            r.tpdu_length = p.tpdu_length;
            parts.push_back(std::move(r));
          }
          return parts;
        };
        *out = st.SmsCreate(id, recipient, text, rows);
        return out->status();
      },
      [out, done = std::move(done)](Status s) { Reply(out, s, done); });
}

void StoreSmsLedger::Load(const std::string& id, Then<MessageRecord> done) {
  auto out = std::make_shared<Result<SmsMessageRow>>(NotRunYet());
  store_.Run(
      [id, out](Store& st) {
        *out = st.SmsLoad(id);
        return out->status();
      },
      [out, done = std::move(done)](Status s) { Reply(out, s, done); });
}

void StoreSmsLedger::Change(const std::string& id, int index, SmsPartChange change, Then<MessageRecord> done) {
  auto out = std::make_shared<Result<SmsMessageRow>>(NotRunYet());
  store_.Run(
      [id, index, change = std::move(change), out](Store& st) {
        *out = st.SmsChangePart(id, index, change);
        return out->status();
      },
      [out, done = std::move(done)](Status s) { Reply(out, s, done); });
}

void StoreSmsLedger::MarkSending(const std::string& id, int index, Then<MessageRecord> done) {
  Change(id, index, {"sending", {}, {}, {}, {}}, std::move(done));
}

void StoreSmsLedger::MarkSent(const std::string& id, int index, int message_ref, WallTime at,
                              Then<MessageRecord> done) {
  Change(id, index, {"sent", message_ref, at.time_since_epoch().count(), {}, {}}, std::move(done));
}

void StoreSmsLedger::MarkRetry(const std::string& id, int index, int code, const std::string& detail,
                               Then<MessageRecord> done) {
  Change(id, index, {"not_sent", {}, {}, code, detail}, std::move(done));
}

void StoreSmsLedger::MarkFailed(const std::string& id, int index, int code, const std::string& detail,
                                Then<MessageRecord> done) {
  Change(id, index, {"failed", {}, {}, code, detail}, std::move(done));
}

void StoreSmsLedger::RecordReport(const sms::StatusReport& report, const std::string& pdu_hex,
                                  Then<std::optional<MessageRecord>> done) {
  SmsReportRow row{report.message_ref, report.recipient.ToString(), std::string(DeliveryOutcomeName(report.outcome)),
                   report.status, FormatRfc3339(report.discharge_time), pdu_hex};
  auto out = std::make_shared<Result<std::optional<SmsReportMatch>>>(NotRunYet());
  store_.Run(
      [row, out](Store& st) {
        *out = st.SmsRecordReport(row);
        return out->status();
      },
      [out, done = std::move(done)](Status s) {
        if (!s.ok()) return done(s);
        if (!out->value()) return done(std::optional<MessageRecord>());
        auto record = RecordFromRow(out->value()->message);
        if (!record.ok()) return done(record.status());
        done(std::optional<MessageRecord>(std::move(*record)));
      });
}

Result<std::unique_ptr<sms::SmsPartLedger>> OpenStoreSmsLedger(asio::io_context& io, const StoreOptions& options,
                                                               const Clock& clock) {
  auto store = Store::Open(options, clock);
  if (!store.ok()) return store.status();
  auto async = std::make_unique<AsyncStore>(std::move(*store), io);
  return std::unique_ptr<sms::SmsPartLedger>(std::make_unique<StoreSmsLedger>(std::move(async)));
}

}  // namespace lifeline
