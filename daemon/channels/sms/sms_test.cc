#include "daemon/channels/sms/sms_test.h"

#include <asio.hpp>
#include <functional>
#include <iomanip>
#include <optional>
#include <sstream>

#include "daemon/channels/sms/sms_sender.h"
#include "daemon/core/clock.h"
#include "daemon/core/uuid.h"

namespace lifeline::sms {
namespace {

using Steady = std::chrono::steady_clock;

// Runs the loop until `done()` or the deadline; false on timeout. Bounded by construction.
bool RunUntil(asio::io_context& io, std::chrono::seconds limit, const std::function<bool()>& done) {
  const auto deadline = Steady::now() + limit;
  while (!done()) {
    if (Steady::now() >= deadline) return false;
    io.run_for(std::chrono::milliseconds(50));
    if (io.stopped()) io.restart();
  }
  return true;
}

void PrintPart(const PartRecord& p, size_t count, std::ostream& out) {
  out << "part " << p.index << "/" << count << ": " << PartStateName(p.state)
      << " attempts=" << p.attempts;
  if (p.message_ref >= 0) out << " ref=" << p.message_ref;
  if (p.sent_at) out << " sent_at=" << FormatRfc3339(WithOffset(*p.sent_at, 8 * 60));
  if (p.error_code >= 0 || !p.error_detail.empty()) {
    out << " last_error=\"" << p.error_detail << "\"";
  }
  if (p.delivery) {
    out << " report=" << DeliveryOutcomeName(*p.delivery)
        << " tp_st=" << StatusHex(static_cast<uint8_t>(p.report_status));
    if (p.discharge_time) out << " at=" << FormatRfc3339(*p.discharge_time);
  } else if (p.state == PartState::kSent) {
    out << " report=none-yet";
  }
  out << "\n";
}

void PrintEvidence(const MessageRecord& m, std::ostream& out) {
  out << "message " << m.id << " to " << m.recipient << ": " << m.parts.size() << " part(s)";
  if (m.parts.size() > 1) out << ", concatenation reference " << m.concat_ref;
  out << "\n";
  for (const PartRecord& p : m.parts) PrintPart(p, m.parts.size(), out);
}

bool ReportsSettled(const std::optional<MessageRecord>& m) {
  if (!m) return false;
  for (const PartRecord& p : m->parts) {
    if (p.delivery != DeliveryOutcome::kDelivered && p.delivery != DeliveryOutcome::kFailed) return false;
  }
  return true;
}

Status Validate(const SmsTestOptions& o) {
  if (o.device.empty()) return InvalidArgument("no modem device configured");
  auto n = ParsePhoneNumber(o.number);
  if (!n.ok()) return n.status();
  auto enc = EncodeSubmit(*n, o.text, 0, SubmitOptions{});
  return enc.ok() ? Status::Ok() : enc.status();
}

Result<std::string> MessageIdFor(const SmsTestOptions& o) {
  if (!o.message_id.empty()) return o.message_id;
  auto uuid = NewUuidV4();
  if (!uuid.ok()) return uuid.status();
  return "sms-test-" + *uuid;
}

SmsModemOptions ModemOptionsFor(const SmsTestOptions& o) {
  SmsModemOptions mo;
  mo.at.device = o.device;
  mo.pin = o.pin;
  mo.health_interval = std::chrono::seconds(5);
  return mo;
}

SmsSenderOptions SenderOptionsFor(const SmsTestOptions& o) {
  SmsSenderOptions so;
  so.submit.validity = o.validity;
  so.max_attempts_per_part = o.max_attempts_per_part;
  so.retry_delay = o.retry_delay;
  so.max_modem_waits = int(std::chrono::milliseconds(o.ready_timeout) / o.retry_delay) + 1;
  return so;
}

// The verdict line and the exit code, once the message left the queue.
int Report(const SmsTestOptions& o, const MessageResult& result, const std::optional<MessageRecord>& latest,
           bool settled, std::ostream& out) {
  if (latest) PrintEvidence(*latest, out);
  const bool confirmed = latest && latest->Confirmed();
  out << "result: " << MessageStateName(result.state);
  if (!result.why.ok()) out << " (" << result.why.message() << ")";
  if (o.report_timeout.count() > 0) {
    out << (confirmed ? ", confirmed: every part delivered"
            : settled ? ", NOT confirmed"
                      : ", reports incomplete");
  }
  out << "\n";
  if (result.state != MessageState::kSent) return 1;
  return o.report_timeout.count() > 0 && !confirmed ? 1 : 0;
}

}  // namespace

int RunSmsTest(const SmsTestOptions& o, const LedgerFactory& open_ledger, std::ostream& out) {
  if (Status v = Validate(o); !v.ok()) {
    out << "error: " << v.message() << "\n";
    return 2;
  }
  asio::io_context io;
  auto ledger = open_ledger(io);
  auto id = ledger.ok() ? MessageIdFor(o) : Result<std::string>(ledger.status());
  if (!id.ok()) {
    out << "error: " << id.status().ToString() << "\n";
    return 1;
  }
  SystemClock clock;
  SmsModem modem(io, ModemOptionsFor(o));
  SmsSender sender(io, modem, **ledger, clock, SenderOptionsFor(o));
  std::optional<MessageRecord> latest;  // the message as last stored
  sender.SetEvidenceHandler([&](const MessageRecord& m) {
    if (m.id == *id) latest = m;
  });
  modem.Start();
  const bool ready = RunUntil(io, o.ready_timeout, [&] { return modem.health().Ready(); });
  out << "modem: " << modem.health().ToJson() << "\n";
  if (!ready) {
    out << "result: modem not ready within " << o.ready_timeout.count() << " s\n";
    return 1;
  }
  std::optional<MessageResult> result;
  sender.Send(SmsRequest{*id, o.number, o.text}, [&](const MessageResult& r) { result = r; });
  if (!RunUntil(io, o.send_timeout, [&] { return result.has_value(); })) {
    out << "result: not sent within " << o.send_timeout.count() << " s\n";
    return 1;
  }
  if (result->record && (!latest || !ReportsSettled(latest))) latest = result->record;
  bool settled = true;
  if (result->state == MessageState::kSent && o.report_timeout.count() > 0) {
    settled = RunUntil(io, o.report_timeout, [&] { return ReportsSettled(latest); });
  }
  int rc = Report(o, *result, latest, settled, out);
  modem.Stop();
  return rc;
}

}  // namespace lifeline::sms
