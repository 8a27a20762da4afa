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
  modem_.SetStatusReportHandler(
      [this](const StatusReport& r, const std::string& pdu_hex, std::function<void()> kept) {
        OnStatusReport(r, pdu_hex, std::move(kept));
      });
}

template <typename T>
SmsPartLedger::Then<T> SmsSender::ForThisJob(std::function<void(Result<T>)> f) {
  return [this, alive = alive_, gen = generation_, f = std::move(f)](Result<T> r) {
    if (*alive && busy_ && gen == generation_) f(std::move(r));
  };
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
  phase_ = Phase::kIdle;
  ++generation_;  // drops the ledger callback the job may still be waiting for
  asio::post(io_, [this, alive = alive_] {
    if (*alive) StartNext();
  });
  return true;
}

// True while no part of the current job has been handed to the modem, in this
// process or before a restart.
bool SmsSender::CurrentJobUntouched() const {
  if (phase_ != Phase::kPreparing && phase_ != Phase::kWaiting) return false;
  if (!record_) return true;  // still being created or loaded
  for (const PartRecord& p : record_->parts) {
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
  record_.reset();
  Prepare();
}

// Loads a resumed message (checking it is the same message) or creates it.
void SmsSender::Prepare() {
  phase_ = Phase::kPreparing;
  auto number = ParsePhoneNumber(job_.request.recipient);
  if (!number.ok()) return Finish(MessageState::kFailed, number.status());
  ledger_.Load(job_.request.id, ForThisJob<MessageRecord>([this, number = *number](Result<MessageRecord> loaded) {
    if (loaded.ok() || loaded.status().code() != StatusCode::kNotFound) return Resume(std::move(loaded));
    SubmitOptions submit = options_.submit;
    std::string text = job_.request.text;
    SmsPartLedger::Encoder encode = [number, text, submit](uint8_t ref) {
      return EncodeSubmit(number, text, ref, submit);
    };
    ledger_.Create(job_.request.id, number.ToString(), text, std::move(encode),
                   ForThisJob<MessageRecord>([this](Result<MessageRecord> created) {
                     if (!created.ok() && created.status().code() == StatusCode::kInvalidArgument) {
                       return Finish(MessageState::kFailed, created.status());
                     }
                     Resume(std::move(created));
                   }));
  }));
}

void SmsSender::Resume(Result<MessageRecord> loaded) {
  if (!loaded.ok()) return Finish(MessageState::kDeferred, loaded.status());
  auto number = ParsePhoneNumber(job_.request.recipient);
  if (!number.ok() || loaded->recipient != number->ToString() || loaded->text != job_.request.text) {
    return Finish(MessageState::kFailed, InvalidArgument("sms message id " + job_.request.id +
                                                         " was stored with another recipient or text"));
  }
  record_ = std::move(*loaded);
  SendNextPart();
}

void SmsSender::SendNextPart() {
  const MessageRecord& record = *record_;
  if (record.AnyFailed()) return Finish(MessageState::kFailed, InvalidArgument("a part failed for good"));
  const auto next = record.FirstUnsent();
  if (!next) return Finish(MessageState::kSent, Status::Ok());
  const PartRecord& part = record.parts[*next];
  if (part.attempts >= options_.max_attempts_per_part) {
    return Finish(MessageState::kDeferred,
                  Unavailable("part " + std::to_string(part.index) + " failed " +
                              std::to_string(part.attempts) + " times: " + part.error_detail));
  }
  // Not registered: wait rather than spend the part's attempts on +CMS ERROR 331.
  if (!modem_.health().Ready()) {
    if (++job_.modem_waits > options_.max_modem_waits) {
      return Finish(MessageState::kDeferred, Unavailable("modem not ready: " + modem_.health().problem));
    }
    return RetryLater();
  }
  phase_ = Phase::kMarking;
  const int index = part.index, attempts = part.attempts + 1;
  const size_t count = record.parts.size();
  ledger_.MarkSending(job_.request.id, index,
                      ForThisJob<MessageRecord>([this, index, attempts, count](Result<MessageRecord> marked) {
                        if (!marked.ok()) return Finish(MessageState::kDeferred, marked.status());
                        record_ = std::move(*marked);
                        const PartRecord& p = record_->parts[size_t(index - 1)];
                        spdlog::info("sms: {} part {}/{} attempt {}", job_.request.id, index, count, attempts);
                        phase_ = Phase::kInFlight;
                        modem_.SendPdu(p.pdu_hex, p.tpdu_length,
                                       [this, index, attempts, alive = alive_, gen = generation_](SendOutcome o) {
                                         if (*alive && gen == generation_) OnPartOutcome(index, attempts, o);
                                       });
                      }));
}

void SmsSender::OnPartOutcome(int index, int attempts, const SendOutcome& o) {
  phase_ = Phase::kRecording;
  const std::string& id = job_.request.id;
  if (o.kind == SendOutcome::Kind::kSent) {
    return ledger_.MarkSent(id, index, o.message_ref, clock_.Now(),
                            ForThisJob<MessageRecord>([this](Result<MessageRecord> r) {
                              if (!r.ok()) return Finish(MessageState::kDeferred, r.status());
                              record_ = std::move(*r);
                              SendNextPart();
                            }));
  }
  const std::string detail = o.detail.empty() ? "send failed" : o.detail;
  if (o.kind == SendOutcome::Kind::kRejected && o.cms_class == CmsClass::kPermanent) {
    spdlog::warn("sms: {} part {} refused for good: {}", id, index, detail);
    return ledger_.MarkFailed(id, index, o.cms_code, detail,
                              ForThisJob<MessageRecord>([this, detail](Result<MessageRecord> r) {
                                if (r.ok()) record_ = std::move(*r);
                                Finish(MessageState::kFailed, r.ok() ? InvalidArgument(detail) : r.status());
                              }));
  }
  spdlog::warn("sms: {} part {} attempt {} failed: {}", id, index, attempts, detail);
  ledger_.MarkRetry(id, index, o.cms_code, detail,
                    ForThisJob<MessageRecord>([this, index, attempts, detail](Result<MessageRecord> r) {
                      if (!r.ok()) return Finish(MessageState::kDeferred, r.status());
                      record_ = std::move(*r);
                      if (attempts >= options_.max_attempts_per_part) {
                        return Finish(MessageState::kDeferred,
                                      Unavailable("part " + std::to_string(index) + ": " + detail));
                      }
                      RetryLater();
                    }));
}

void SmsSender::RetryLater() {
  phase_ = Phase::kWaiting;
  retry_timer_.expires_after(options_.retry_delay);
  retry_timer_.async_wait([this, alive = alive_, gen = generation_](const asio::error_code& ec) {
    if (*alive && !ec && busy_ && gen == generation_) SendNextPart();
  });
}

void SmsSender::Finish(MessageState state, Status why) {
  MessageResult result{job_.request.id, state, std::move(why), record_};
  Done done = std::move(job_.done);
  busy_ = false;
  phase_ = Phase::kIdle;
  spdlog::info("sms: {} {}: {}", result.id, MessageStateName(state), result.why.ToString());
  // Posted before `done` runs and without touching members after it, so a
  // caller may Send() or even destroy the sender from inside `done`.
  asio::post(io_, [this, alive = alive_] {
    if (*alive) StartNext();
  });
  if (done) done(result);
}

void SmsSender::OnStatusReport(const StatusReport& report, const std::string& pdu_hex,
                               std::function<void()> kept) {
  ledger_.RecordReport(
      report, pdu_hex,
      [this, alive = alive_, report, kept = std::move(kept)](Result<std::optional<MessageRecord>> match) {
        if (!*alive) return;
        if (!match.ok()) {
          spdlog::error("sms: cannot record status report: {}", match.status().ToString());
          return;  // the modem keeps its copy; the next start-up reads it again
        }
        kept();
        if (!match->has_value()) {
          spdlog::info("sms: status report for unknown reference {} to {} (kept in the journal)",
                       report.message_ref, report.recipient.ToString());
          return;
        }
        const MessageRecord& m = **match;
        if (busy_ && record_ && record_->id == m.id) record_ = m;
        spdlog::info("sms: {} {} at {}", m.id, DeliveryOutcomeName(report.outcome),
                     FormatRfc3339(report.discharge_time));
        if (on_evidence_) on_evidence_(m);
      });
}

}  // namespace lifeline::sms
