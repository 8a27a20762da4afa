// ChannelRunner: the contract every channel (SMS, fax, e-mail, phone task)
// offers for delivering one notice to one address. It lives with the
// channels and depends on core only: the escalation engine uses it and knows
// nothing about modems or servers, and no channel knows the engine. The
// engine records the attempt in the store first (so `attempt_id` is
// durable), then calls Start. The runner calls `progress`
// for interim evidence (an SMS accepted by the network, a fax call that will be
// retried) and `done` exactly once with the final outcome. Both run on the
// io_context thread. After a restart the engine calls Start again with the
// same attempt_id for every attempt that had not finished: the runner resumes
// it where it can (the SMS part ledger) or starts it again (a fax call).
// Runners never decide policy: no retries across channels, no deadlines.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace lifeline {

// Where a notice goes: one channel and its address, as the directory lists it.
struct ChannelAddress {
  std::string kind;     // sms | fax | phone | email
  std::string address;  // number or e-mail address
  std::string hours;    // phone only: "08:30-17:30"; "" = any time
  // e-mail only: the configured SMTP server is this address's own mail
  // domain's server, so its acceptance confirms (else it is "sent").
  bool relay_is_recipient_domain = false;
};

// One notice to one address. Texts arrive rendered from config/templates.toml.
struct NoticeJob {
  int64_t attempt_id = 0;  // the store's attempt row; the resume key
  std::string report_id;
  int revision = 0;
  bool drill = false;
  std::string recipient_key;   // "superior", "national_centre", ...
  std::string recipient_name;  // as on the fax cover and phone card
  ChannelAddress address;      // kind + number or e-mail address
  std::string text;            // SMS body, phone script, or e-mail body
  std::string subject;         // e-mail only
  nlohmann::json report;       // the report document (the fax renders the form from it)
  std::string reason_zh;       // why the designated method failed, in zh-TW
  std::string due_at;          // RFC 3339: when this notice is legally due
  std::string rule_label;      // the rule in words, e.g. "知悉後1小時內"
};

struct NoticeOutcome {
  // kConfirmed: the channel's own proof arrived (SMS status report for every
  // part, fax MCF for every page, e-mail accepted by the recipient's own mail
  // domain's server, phone call confirmed by an operator). kSent: handed on
  // without that proof (an e-mail a local relay accepted): the attempt ends,
  // the recipient is not confirmed, and the plan goes on to other channels.
  // kFailed: this channel gave up on this address.
  enum class Kind { kConfirmed, kFailed, kSent } kind = Kind::kFailed;
  std::string summary;      // one line for the console and the timeline
  nlohmann::json evidence;  // stored with the attempt and journaled
};

class ChannelRunner {
 public:
  using Progress = std::function<void(const std::string& summary, const nlohmann::json& evidence)>;
  using Done = std::function<void(const NoticeOutcome& outcome)>;
  virtual ~ChannelRunner() = default;
  // Starts (or resumes, same attempt_id) one delivery.
  virtual void Start(const NoticeJob& job, Progress progress, Done done) = 0;
  // The engine no longer needs this attempt (the site accepted the report).
  // Work not yet begun is dropped; a call or message already under way may
  // finish, but `done` is not called after Cancel returns.
  virtual void Cancel(int64_t attempt_id) = 0;
  // Stops everything before shutdown; no callback runs after Stop returns.
  virtual void Stop() = 0;
};

}  // namespace lifeline
