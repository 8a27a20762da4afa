// SmsRunner: the SMS channel behind the ChannelRunner contract. Owns the
// modem and the sender, borrows the part ledger; each attempt is one message with id
// "attempt-<attempt_id>", so a Start after a restart resumes it from the
// ledger with the same PDUs. Confirmed when a status report says every part
// was delivered. io_context thread only; Open before Start.
#pragma once

#include <cstddef>
// <asio.hpp> after <cstddef>: see at_engine.h.
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "daemon/channels/sms/part_ledger.h"
#include "daemon/channels/sms/sms_modem.h"
#include "daemon/channels/sms/sms_sender.h"
#include "daemon/core/clock.h"
#include "daemon/channels/runner/channel_runner.h"

namespace lifeline::sms {

struct SmsRunnerOptions {
  SmsModemOptions modem;           // device (modem.at.device), SIM PIN (modem.pin), timeouts
  SmsPartLedger* ledger = nullptr;  // borrowed: lifelined's store
  std::chrono::minutes validity{24 * 60};
  int max_attempts_per_part = 3;
  std::chrono::milliseconds retry_delay{5000};
  int max_modem_waits = 12;  // retry_delay periods to wait for a modem that is not ready
};

// "attempt-<attempt_id>": the SmsRequest id, and so the ledger's resume key.
std::string SmsMessageId(int64_t attempt_id);

class SmsRunner final : public ChannelRunner {
 public:
  SmsRunner(asio::io_context& io, const Clock& clock, SmsRunnerOptions options);
  ~SmsRunner() override;  // Stop()
  SmsRunner(const SmsRunner&) = delete;
  SmsRunner& operator=(const SmsRunner&) = delete;

  // Starts the modem (which keeps retrying a missing port in the background).
  // An error means the channel cannot be used (no ledger).
  [[nodiscard]] Status Open();
  // Runs on every change of modem health (for the journal); set before Open.
  void SetHealthHandler(std::function<void(const ModemHealth&)> h) { on_health_ = std::move(h); }
  const ModemHealth* health() const { return modem_ ? &modem_->health() : nullptr; }

  void Start(const NoticeJob& job, Progress progress, Done done) override;
  // A message none of whose parts reached the modem is dropped; one under way
  // finishes, silently. Either way neither callback runs again.
  void Cancel(int64_t attempt_id) override;
  // Not from inside one of this runner's callbacks: it tears the modem down.
  void Stop() override;

  struct Attempt;  // one Start: its callbacks and whether it still wants them

 private:
  void OnSent(const std::shared_ptr<Attempt>& a, const MessageResult& r);
  void OnEvidence(const MessageRecord& m);
  // Confirmed, failed by a status report, or still waiting: nullopt.
  std::optional<NoticeOutcome> Settled(const MessageRecord& m) const;
  // `a` by value: it may be the map entry that Finish erases.
  void Finish(std::shared_ptr<Attempt> a, NoticeOutcome outcome);
  void FinishSoon(const std::shared_ptr<Attempt>& a, NoticeOutcome outcome);

  asio::io_context& io_;
  const Clock& clock_;
  const SmsRunnerOptions options_;
  std::function<void(const ModemHealth&)> on_health_;
  std::unique_ptr<SmsModem> modem_;
  std::unique_ptr<SmsSender> sender_;  // borrows modem_: declared after it
  std::map<std::string, std::shared_ptr<Attempt>> attempts_;  // by message id
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeline::sms
