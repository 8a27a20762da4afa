#include "daemon/channels/sms/sms_sender.h"

#include "daemon/core/log.h"

namespace lifeline::sms {

std::string_view MessageStateName(MessageState s) {
  switch (s) {
    case MessageState::kSent:
      return "sent";
    case MessageState::kFailed:
      return "failed";
    case MessageState::kDeferred:
      return "deferred";
  }
  return "unknown";
}

SmsSender::SmsSender(asio::io_context& io, SmsModem& modem, SmsPartLedger& ledger,
                     const Clock& clock, SmsSenderOptions options)
    : io_(io),
      modem_(modem),
      ledger_(ledger),
      clock_(clock),
      options_(std::move(options)),
      retry_timer_(io) {
  modem_.SetStatusReportHandler([this](const StatusReport& r) { OnStatusReport(r); });
}

void SmsSender::Send(SmsRequest request, Done done) {
  queue_.push_back(Job{std::move(request), std::move(done), 0});
  if (!busy_) StartNext();
}

bool SmsSender::Cancel(const std::string& id) {
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->request.id != id) continue;
    queue_.erase(it);
    return true;
  }
  if (!busy_ || job_.request.id != id || !CurrentJobUntouched()) return false;
  spdlog::info("sms: {} cancelled before any part was sent", id);
  retry_timer_.cancel();
  job_ = Job{};
  busy_ = false;
  asio::post(io_, [this, alive = alive_] {
    if (*alive) StartNext();
  });
  return true;
}

// True while no part of the current job has been handed to the modem, in this
// process or before a restart.
bool SmsSender::CurrentJobUntouched() {
  if (in_flight_) return false;
  auto record = ledger_.Load(job_.request.id);
  if (!record.ok()) return record.status().code() == StatusCode::kNotFound;
  for (const PartRecord& p : record->parts) {
    if (p.state != PartState::kNotSent || p.attempts > 0) return false;
  }
  return true;
}

void SmsSender::StartNext() {
  if (busy_ || queue_.empty()) return;
  job_ = std::move(queue_.front());
  queue_.pop_front();
  busy_ = true;
  ++generation_;
  Status s = Prepare(job_.request);
  if (!s.ok()) {
    const bool permanent = s.code() == StatusCode::kInvalidArgument;
    return Finish(permanent ? MessageState::kFailed : MessageState::kDeferred, s);
  }
  SendNextPart();
}

// Creates the ledger entry for a new message, or checks a resumed one is the same message.
Status SmsSender::Prepare(const SmsRequest& r) {
  auto number = ParsePhoneNumber(r.recipient);
  if (!number.ok()) return number.status();
  auto existing = ledger_.Load(r.id);
  if (existing.ok()) {
    if (existing->recipient != number->ToString() || existing->text != r.text) {
      return InvalidArgument("sms message id " + r.id +
                             " was stored with another recipient or text");
    }
    return Status::Ok();
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  auto ref = ledger_.AllocateConcatRef();
  if (!ref.ok()) return ref.status();
  auto encoded = EncodeSubmit(*number, r.text, *ref, options_.submit);
  if (!encoded.ok()) return encoded.status();
  return ledger_.Create(r.id, number->ToString(), r.text, *encoded);
}

void SmsSender::SendNextPart() {
  auto record = ledger_.Load(job_.request.id);
  if (!record.ok()) return Finish(MessageState::kDeferred, record.status());
  if (record->AnyFailed())
    return Finish(MessageState::kFailed, InvalidArgument("a part failed for good"));
  const auto next = record->FirstUnsent();
  if (!next) return Finish(MessageState::kSent, Status::Ok());
  const PartRecord& part = record->parts[*next];
  if (part.attempts >= options_.max_attempts_per_part) {
    return Finish(MessageState::kDeferred,
                  Unavailable("part " + std::to_string(part.index) + " failed " +
                              std::to_string(part.attempts) + " times: " + part.error_detail));
  }
  // Not registered: wait rather than spend the part's attempts on +CMS ERROR 331.
  if (!modem_.health().Ready()) {
    if (++job_.modem_waits > options_.max_modem_waits) {
      return Finish(MessageState::kDeferred,
                    Unavailable("modem not ready: " + modem_.health().problem));
    }
    return RetryLater();
  }
  Status s = ledger_.MarkSending(job_.request.id, part.index);
  if (!s.ok()) return Finish(MessageState::kDeferred, s);
  const int index = part.index, attempts = part.attempts + 1;
  spdlog::info("sms: {} part {}/{} attempt {}", job_.request.id, index, record->parts.size(),
               attempts);
  in_flight_ = true;
  modem_.SendPdu(part.pdu_hex, part.tpdu_length,
                 [this, index, attempts, alive = alive_](SendOutcome o) {
                   if (!*alive) return;
                   in_flight_ = false;
                   OnPartOutcome(index, attempts, o);
                 });
}

void SmsSender::OnPartOutcome(int index, int attempts, const SendOutcome& o) {
  const std::string& id = job_.request.id;
  if (o.kind == SendOutcome::Kind::kSent) {
    Status s = ledger_.MarkSent(id, index, o.message_ref, clock_.Now());
    if (!s.ok()) return Finish(MessageState::kDeferred, s);
    return SendNextPart();
  }
  const std::string detail = o.detail.empty() ? "send failed" : o.detail;
  if (o.kind == SendOutcome::Kind::kRejected && o.cms_class == CmsClass::kPermanent) {
    Status s = ledger_.MarkFailed(id, index, o.cms_code, detail);
    spdlog::warn("sms: {} part {} refused for good: {}", id, index, detail);
    return Finish(MessageState::kFailed, s.ok() ? InvalidArgument(detail) : s);
  }
  Status s = ledger_.MarkRetry(id, index, o.cms_code, detail);
  if (!s.ok()) return Finish(MessageState::kDeferred, s);
  spdlog::warn("sms: {} part {} attempt {} failed: {}", id, index, attempts, detail);
  if (attempts >= options_.max_attempts_per_part) {
    return Finish(MessageState::kDeferred,
                  Unavailable("part " + std::to_string(index) + ": " + detail));
  }
  RetryLater();
}

void SmsSender::RetryLater() {
  retry_timer_.expires_after(options_.retry_delay);
  retry_timer_.async_wait([this, alive = alive_, gen = generation_](const asio::error_code& ec) {
    if (*alive && !ec && busy_ && gen == generation_) SendNextPart();
  });
}

void SmsSender::Finish(MessageState state, Status why) {
  MessageResult result{job_.request.id, state, std::move(why), std::nullopt};
  if (auto record = ledger_.Load(job_.request.id); record.ok()) result.record = std::move(*record);
  Done done = std::move(job_.done);
  busy_ = false;
  spdlog::info("sms: {} {}: {}", result.id, MessageStateName(state), result.why.ToString());
  // Posted before `done` runs and without touching members after it, so a
  // caller may Send() or even destroy the sender from inside `done`.
  asio::post(io_, [this, alive = alive_] {
    if (*alive) StartNext();
  });
  if (done) done(result);
}

void SmsSender::OnStatusReport(const StatusReport& report) {
  auto match = ledger_.RecordReport(report);
  if (!match.ok()) {
    spdlog::error("sms: cannot record status report: {}", match.status().ToString());
    return;
  }
  if (!match->has_value()) {
    spdlog::info("sms: status report for unknown reference {} to {}", report.message_ref,
                 report.recipient.ToString());
    return;
  }
  auto record = ledger_.Load((*match)->message_id);
  if (!record.ok()) return;
  spdlog::info("sms: {} part {} {} at {}", record->id, (*match)->part_index,
               DeliveryOutcomeName(report.outcome), FormatRfc3339(report.discharge_time));
  if (on_evidence_) on_evidence_(*record);
}

}  // namespace lifeline::sms
