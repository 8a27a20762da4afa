#include "daemon/channels/sms/sms_runner.h"

#include <cstdio>

#include "daemon/channels/sms/message_json.h"
#include "daemon/core/log.h"

namespace lifeline::sms {

struct SmsRunner::Attempt {
  std::string id;         // SmsMessageId(attempt_id)
  std::string recipient;  // as the job gave it, for summaries
  Progress progress;
  Done done;
  bool active = true;  // false once finished, cancelled, superseded or stopped
};

namespace {

NoticeOutcome Outcome(NoticeOutcome::Kind kind, std::string summary, nlohmann::json evidence) {
  return NoticeOutcome{kind, std::move(summary), std::move(evidence)};
}

NoticeOutcome Failed(std::string summary, nlohmann::json evidence = nlohmann::json::object()) {
  return Outcome(NoticeOutcome::Kind::kFailed, std::move(summary), std::move(evidence));
}

// The sender's verdict with the ledger's record, as stored with the attempt.
nlohmann::json ResultJson(const MessageResult& r) {
  nlohmann::json j = r.record ? MessageJson(*r.record) : nlohmann::json::object();
  j["message_id"] = r.id;
  j["sender_state"] = MessageStateName(r.state);
  if (!r.why.ok()) j["error"] = r.why.ToString();
  return j;
}

}  // namespace

std::string SmsMessageId(int64_t attempt_id) { return "attempt-" + std::to_string(attempt_id); }

SmsRunner::SmsRunner(asio::io_context& io, const Clock& clock, SmsRunnerOptions options)
    : io_(io), clock_(clock), options_(std::move(options)) {}

SmsRunner::~SmsRunner() {
  Stop();
  *alive_ = false;
}

Status SmsRunner::Open() {
  if (modem_ || stopped_) return FailedPrecondition("SMS channel already opened");
  if (!options_.ledger) return FailedPrecondition("SMS channel has no part ledger");
  modem_ = std::make_unique<SmsModem>(io_, options_.modem);
  modem_->SetHealthHandler([this](const ModemHealth& h) {
    if (on_health_) on_health_(h);
  });
  SmsSenderOptions so;
  so.submit.validity = options_.validity;
  so.max_attempts_per_part = options_.max_attempts_per_part;
  so.retry_delay = options_.retry_delay;
  so.max_modem_waits = options_.max_modem_waits;
  sender_ = std::make_unique<SmsSender>(io_, *modem_, *options_.ledger, clock_, so);
  sender_->SetEvidenceHandler([this](const MessageRecord& m) { OnEvidence(m); });
  modem_->Start();
  return Status::Ok();
}

void SmsRunner::Start(const NoticeJob& job, Progress progress, Done done) {
  if (stopped_) {
    spdlog::error("sms: attempt {} started after Stop; ignored", job.attempt_id);
    return;
  }
  auto a = std::make_shared<Attempt>(
      Attempt{SmsMessageId(job.attempt_id), job.address.address, std::move(progress),
              std::move(done)});
  // A second Start for an attempt under way takes it over: the message is the
  // same (same id), only the callbacks change.
  if (auto it = attempts_.find(a->id); it != attempts_.end()) it->second->active = false;
  attempts_[a->id] = a;
  if (!sender_) return FinishSoon(a, Failed("SMS channel not open"));
  if (job.address.kind != "sms") {
    return FinishSoon(a, Failed("not an SMS address (" + job.address.kind + ")"));
  }
  // Resumed after a restart with the outcome already in the ledger.
  SmsRequest request{a->id, job.address.address, job.text};
  options_.ledger->Load(a->id, [this, alive = alive_, a, request](Result<MessageRecord> existing) {
    if (!*alive || !a->active || !sender_) return;
    if (existing.ok()) {
      if (auto settled = Settled(*existing)) return Finish(a, *settled);
    }
    sender_->Send(request, [this, a](const MessageResult& r) { OnSent(a, r); });
  });
}

void SmsRunner::OnSent(const std::shared_ptr<Attempt>& a, const MessageResult& r) {
  if (!a->active) return;
  switch (r.state) {
    case MessageState::kSent: {
      // A report may already have settled it (an earlier run, or a fast SMSC).
      if (r.record) {
        if (auto settled = Settled(*r.record)) return Finish(a, *settled);
      }
      Progress progress = a->progress;  // the engine may Cancel from inside it
      if (progress) progress("sent, waiting for the status report", ResultJson(r));
      return;
    }
    case MessageState::kFailed:
      return Finish(a, Failed("SMS to " + a->recipient + " refused: " + r.why.message(),
                              ResultJson(r)));
    case MessageState::kDeferred:
      return Finish(a, Failed("SMS to " + a->recipient +
                                  " not sent, temporary trouble persisted: " + r.why.message(),
                              ResultJson(r)));
  }
}

void SmsRunner::OnEvidence(const MessageRecord& m) {
  auto it = attempts_.find(m.id);
  if (it == attempts_.end()) return;
  if (auto settled = Settled(m)) Finish(it->second, *settled);
}

std::optional<NoticeOutcome> SmsRunner::Settled(const MessageRecord& m) const {
  const std::string count = std::to_string(m.parts.size());
  if (m.Confirmed()) {
    return Outcome(NoticeOutcome::Kind::kConfirmed,
                   "SMS delivered to " + m.recipient + ": status report for all " + count +
                       " part(s)",
                   MessageJson(m));
  }
  for (const PartRecord& p : m.parts) {
    if (p.delivery != DeliveryOutcome::kFailed) continue;
    return Failed("SMS to " + m.recipient + " not delivered: status report for part " +
                      std::to_string(p.index) + "/" + count + " says " +
                      StatusHex(static_cast<uint8_t>(p.report_status)) + " (failed)",
                  MessageJson(m));
  }
  return std::nullopt;
}

void SmsRunner::Finish(std::shared_ptr<Attempt> a, NoticeOutcome outcome) {
  if (!a->active) return;
  a->active = false;
  if (auto it = attempts_.find(a->id); it != attempts_.end() && it->second == a) {
    attempts_.erase(it);
  }
  Done done = std::move(a->done);
  a->progress = nullptr;
  spdlog::info("sms: {} {}", a->id, outcome.summary);
  if (done) done(outcome);
}

// Posted, so the engine never sees `done` from inside its own Start call.
void SmsRunner::FinishSoon(const std::shared_ptr<Attempt>& a, NoticeOutcome outcome) {
  asio::post(io_, [this, a, outcome = std::move(outcome)]() mutable {
    if (a->active) Finish(a, std::move(outcome));
  });
}

void SmsRunner::Cancel(int64_t attempt_id) {
  const std::string id = SmsMessageId(attempt_id);
  auto it = attempts_.find(id);
  if (it == attempts_.end()) return;
  it->second->active = false;
  attempts_.erase(it);
  if (sender_ && sender_->Cancel(id)) spdlog::info("sms: {} dropped before sending", id);
}

void SmsRunner::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& [id, a] : attempts_) a->active = false;
  attempts_.clear();
  if (!modem_) return;
  modem_->SetHealthHandler(nullptr);
  modem_->SetStatusReportHandler(nullptr);  // it points into the sender
  // The sender first: stopping the modem fails its pending command, and that
  // answer must not start a retry.
  sender_.reset();
  modem_->Stop();
}

}  // namespace lifeline::sms
